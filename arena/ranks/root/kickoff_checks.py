"""Checks of kickoff's arguments, all made on rank 0 before any rank starts or any file is written."""

from __future__ import annotations

import inspect
from collections import Counter
from numbers import Integral, Real
from typing import Any

from arena.algos import resolve_policy
from arena.algos.base import contract_of
from arena.envs.step_checks import MODES as DATA_CHECK_MODES
from arena.plan.roles import Plan, PlanError, policy_ids, validate_match_list


class KickoffError(ValueError):
    """A kickoff that cannot run; raised on rank 0 before any environment is built."""


def validate_kickoff(
    match_list: Any,
    policy_types: Any,
    steps_per_match: Any,
    policy_kwargs: Any,
    plot_colors: Any,
    known_policies: dict[str, type | str],
    num_entities: int | None,
) -> None:
    """Raise KickoffError naming the first problem with these kickoff arguments."""
    try:
        validate_match_list(match_list)
    except PlanError as err:
        raise KickoffError(str(err)) from None
    if not isinstance(policy_types, dict):
        raise KickoffError(f"policy_types must be a dict of policy id -> type name, got {policy_types!r}")
    for pid in policy_ids(match_list):
        if pid not in policy_types:
            raise KickoffError(
                f"policy {pid} appears in match_list but not in policy_types; add e.g. policy_types[{pid}] = 'random'"
            )
    for pid, name in policy_types.items():
        if name not in known_policies:
            raise KickoffError(
                f"unknown policy type {name!r} for policy {pid}; known types: "
                f"{', '.join(sorted(known_policies))} (register more with make_stem(additional_policies=...))"
            )
        try:  # a "module:Class" registration imports here first: a typo is a kickoff error, not a traceback
            resolve_policy(known_policies[name])
        except (ImportError, AttributeError) as err:
            where = f"policy type {name!r} for policy {pid}: {known_policies[name]!r}"
            raise KickoffError(f"{where} cannot be loaded: {err}") from None
    if not _is_int(steps_per_match) or steps_per_match < 1:
        raise KickoffError(f"steps_per_match must be a positive integer, got {steps_per_match!r}")
    if not isinstance(policy_kwargs, dict) or not all(isinstance(v, dict) for v in policy_kwargs.values()):
        raise KickoffError("policy_kwargs must be a dict of policy id -> dict of keyword arguments")
    if not isinstance(plot_colors, dict):
        raise KickoffError("plot_colors must be a dict of policy id -> matplotlib color")
    if num_entities is not None:
        for m, match in enumerate(match_list):
            n = sum(len(e) if isinstance(e, (list, tuple)) else 1 for e in match)
            if n > num_entities:
                raise KickoffError(
                    f"match {m} names {n} entities but the env's spaces given to make_stem list only {num_entities}"
                )


def _is_int(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def _is_positive_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and value > 0


def validate_options(**options: Any) -> None:
    """Raise KickoffError naming the first kickoff option of the wrong kind."""
    checks = {
        "render": (lambda v: isinstance(v, bool), "True or False"),
        "scale": (lambda v: isinstance(v, bool), "True or False"),
        "seed": (_is_int, "an integer"),
        "progress_interval": (_is_positive_number, "a positive number of seconds"),
        "copies_per_env": (lambda v: _is_int(v) and v >= 1, "a positive integer"),
        "silence_timeout": (_is_positive_number, "a positive number of seconds"),
        "data_checks": (lambda v: v in DATA_CHECK_MODES, " or ".join(repr(m) for m in DATA_CHECK_MODES)),
        "games_per_copy": (lambda v: v is None or (_is_int(v) and v >= 1), "None or a positive integer"),
        "realtime_fps": (
            lambda v: v is None or (_is_positive_number(v) and v <= 10_000),
            "None or a rate in (0, 10000]",
        ),
        "env_restarts": (lambda v: _is_int(v) and v >= 0, "a non-negative integer"),
        "report_games": (lambda v: isinstance(v, bool), "True or False"),
    }
    for name, value in options.items():
        ok, wanted = checks[name]
        if not ok(value):
            raise KickoffError(f"{name} must be {wanted}, got {value!r}")


def check_policy_kwargs(policy_types: dict, policy_kwargs: dict, policies: dict[str, type]) -> None:
    """Raise KickoffError when a policy's keyword arguments do not fit its class."""
    for pid, kwargs in policy_kwargs.items():
        if pid not in policy_types:
            continue  # kwargs for a policy that sits out this round
        cls = resolve_policy(policies[policy_types[pid]])
        try:
            inspect.signature(cls).bind(None, None, **kwargs)
            contract_of(cls).check_kwargs(kwargs)
        except TypeError as err:
            raise KickoffError(f"policy_kwargs for policy {pid} ({policy_types[pid]!r}): {err}") from None


def check_policy_spaces(plan: Plan, env_spaces: dict[int, tuple[list, list]], classes: dict[int, type]) -> None:
    """KickoffError if a policy would see different spaces in different matches (one network cannot take both),
    or spaces its class refuses (``check_spaces(obs_space, act_space)``, where the class has one)."""
    seen: dict[int, tuple[int, list, list]] = {}
    for match in plan.matches:
        if match.match_index not in env_spaces:
            continue
        obs_spaces, act_spaces = env_spaces[match.match_index]
        for worker in match.workers:
            spaces = ([obs_spaces[e] for e in worker.entities], [act_spaces[e] for e in worker.entities])
            first = seen.setdefault(worker.policy_id, (match.match_index, *spaces))
            if (first[1], first[2]) != spaces:
                raise KickoffError(
                    f"policy {worker.policy_id} sees different spaces in match {_named(plan, first[0])} "
                    f"(observations {first[1]}, actions {first[2]}) and in match {_named(plan, match.match_index)} "
                    f"(observations {spaces[0]}, actions {spaces[1]}); one policy learns one network, so its "
                    "entities must have the same spaces in every match it plays"
                    + (" (Atari games: make_atari_game(game, full_action_space=True))" if "game" in match.label else "")
                )
    for pid, (match_index, obs_spaces, act_spaces) in seen.items():
        contract = contract_of(classes.get(pid))
        for obs_space, act_space in zip(obs_spaces, act_spaces):
            try:
                contract.check_spaces(obs_space, act_space)
            except (TypeError, ValueError) as err:
                raise KickoffError(f"policy {pid} in match {match_index}: {err}") from None


def _named(plan: Plan, match_index: int) -> str:
    """``"2 (game=Pong)"``: a match's index and, where it has one, its label."""
    label = next(m.label for m in plan.matches if m.match_index == match_index)
    return f"{match_index} ({label})" if label else str(match_index)


def check_policy_memory(
    plan: Plan, env_spaces: dict[int, tuple[list, list]], classes: dict[int, type], policy_kwargs: dict, hosts: list
) -> None:
    """KickoffError when the replays of the workers on a host would take more than that host's memory.

    A class that keeps a large memory says how much with ``Policy.memory_needed(obs_space, act_space, kwargs)``:
    the bytes of the whole policy, split evenly over its workers.
    """
    workers = [r for r in plan.roles if r.worker is not None]
    count = Counter(r.worker.policy_id for r in workers)
    per_host: dict[str, float] = {}
    needs: dict[int, int] = {}
    for role in workers:
        pid = role.worker.policy_id
        if pid not in needs and role.match.match_index in env_spaces:
            obs_spaces, act_spaces = env_spaces[role.match.match_index]
            entity = role.worker.entities[0]
            needs[pid] = contract_of(classes[pid]).memory_needed(
                obs_spaces[entity], act_spaces[entity], policy_kwargs.get(pid, {})
            )
        host = hosts[role.rank]
        per_host[host.host] = per_host.get(host.host, 0) + needs.get(pid, 0) / count[pid]
    for host in {h.host: h for h in hosts}.values():
        if host.memory and per_host.get(host.host, 0) > host.memory:
            mine = sorted(needs)
            raise KickoffError(
                f"the replays of policies {mine} need {per_host[host.host] / 1e9:.1f} GB on host {host.host}, "
                f"which has {host.memory / 1e9:.1f} GB of memory; lower replay_size in policy_kwargs "
                "(about 7 GB per million Atari transitions)"
            )


def check_turn_based(match_index: int, entries: list, copies: int, realtime_fps: float | None) -> None:
    """KickoffError for what a turn-based game (arena.ranks.env.turns) cannot play yet."""
    if copies != 1:
        raise KickoffError(
            f"match {match_index}: a turn-based game plays one copy per environment rank, not "
            f"copies_per_env={copies}; scale=True fills the ranks with copies of the match instead"
        )
    if any(len(entities) != 1 for entities in entries):
        raise KickoffError(
            f"match {match_index}: in a turn-based game every match-list entry is one entity, not a block"
        )
    if realtime_fps is not None:
        raise KickoffError(f"match {match_index}: a turn-based game cannot be paced (realtime_fps)")
