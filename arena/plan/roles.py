"""The rank plan: which rank plays which role in a round. Pure Python, no MPI.

A *match list* such as ``[[1, 2], [[1, 1], 3]]`` describes matches. Each match is a
list of *entries*; an entry is a policy id (one entity) or a list of policy ids (a
block of entities controlled together by one worker rank). Entities are numbered
by their flattened position in the match unless ``entity_remaps`` says otherwise.

Rank 0 is the root. Every match copy takes one environment rank followed by one
worker rank per entry. Ranks left over are unused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Integral
from typing import Any

ROOT, ENV, WORKER, UNUSED = "root", "env", "worker", "unused"


class PlanError(ValueError):
    """A match list, remap, or kickoff argument that cannot be planned."""


@dataclass(frozen=True)
class WorkerSpec:
    """One worker rank: the policy it runs and the env entities it controls."""

    rank: int
    policy_id: int
    entities: tuple[int, ...]
    block: bool  # True when the match-list entry was a list: the worker sees the list API


@dataclass(frozen=True)
class MatchCopy:
    """One running copy of a match: its environment rank and its workers."""

    match_index: int
    copy_index: int
    global_index: int  # position among all copies of all matches in this round
    env_rank: int
    workers: tuple[WorkerSpec, ...]
    env_kwargs: dict = field(default_factory=dict)
    num_copies: int = 1  # copies of the match this environment rank steps side by side
    label: str = ""  # what its episodes are recorded under, such as "game=Pong" (see match_labels)

    def copy_ids(self) -> range:
        """Numbers of this rank's copies among all copies of the match (for labels)."""
        return range(self.copy_index * self.num_copies, (self.copy_index + 1) * self.num_copies)

    def global_copy_ids(self) -> range:
        """Numbers of this rank's copies among all copies of all matches (for seeds)."""
        return range(self.global_index * self.num_copies, (self.global_index + 1) * self.num_copies)

    @property
    def num_entities(self) -> int:
        """Number of entities the match list gives to this match."""
        return sum(len(w.entities) for w in self.workers)


@dataclass(frozen=True)
class RankRole:
    """What one rank does in a round."""

    rank: int
    role: str
    match: MatchCopy | None = None
    worker: WorkerSpec | None = None


@dataclass(frozen=True)
class Plan:
    """The whole round: every match copy and the role of every rank."""

    world_size: int
    copies_per_match: int  # environment ranks per match
    matches: tuple[MatchCopy, ...]
    roles: tuple[RankRole, ...]
    copies_per_env: int = 1

    @property
    def total_copies_per_match(self) -> int:
        """Copies of each match in the round, over all its environment ranks."""
        return self.copies_per_match * self.copies_per_env

    @property
    def unused_ranks(self) -> list[int]:
        """Ranks with nothing to do this round."""
        return [r.rank for r in self.roles if r.role == UNUSED]

    def policy_budgets(self, steps_per_match: int) -> dict[int, int]:
        """Each policy's environment steps over a round: ``steps_per_match`` for every copy its workers play."""
        budgets: dict[int, int] = {}
        for role in self.roles:
            if role.role == WORKER:
                pid = role.worker.policy_id
                budgets[pid] = budgets.get(pid, 0) + int(steps_per_match) * role.match.num_copies
        return budgets

    def policy_ranks(self) -> dict[int, list[int]]:
        """Worker ranks of each policy id, in rank order."""
        ranks: dict[int, list[int]] = {}
        for role in self.roles:
            if role.role == WORKER:
                ranks.setdefault(role.worker.policy_id, []).append(role.rank)
        return ranks


def _is_policy_id(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def validate_match_list(match_list: Any) -> None:
    """Raise PlanError unless ``match_list`` is a non-empty list of non-empty matches."""
    if not isinstance(match_list, (list, tuple)) or len(match_list) == 0:
        raise PlanError(f"match_list must be a non-empty list of matches, got {match_list!r}")
    for m, match in enumerate(match_list):
        if not isinstance(match, (list, tuple)) or len(match) == 0:
            raise PlanError(f"match {m} of match_list must be a non-empty list of entries, got {match!r}")
        for entry in match:
            ids = entry if isinstance(entry, (list, tuple)) else [entry]
            if len(ids) == 0 or not all(_is_policy_id(p) for p in ids):
                raise PlanError(
                    f"match {m} has entry {entry!r}: an entry is a policy id (int) or a non-empty list of policy ids"
                )


def policy_ids(match_list: list) -> list[int]:
    """Every policy id named in the match list, sorted."""
    ids = set()
    for match in match_list:
        for entry in match:
            ids.update(entry if isinstance(entry, (list, tuple)) else [entry])
    return sorted(int(i) for i in ids)


def procs_per_match(match: list) -> int:
    """Ranks one copy of a match takes: one environment plus one per entry."""
    return 1 + len(match)


def count_needed_procs(match_list: list) -> int:
    """Ranks needed to run every match once: the root plus each match's ranks."""
    validate_match_list(match_list)
    return 1 + sum(procs_per_match(m) for m in match_list)


def num_copies(match_list: list, world_size: int, scale: bool) -> int:
    """How many copies of the whole match list fit in ``world_size`` ranks."""
    per_copy = count_needed_procs(match_list) - 1
    return max(1, (world_size - 1) // per_copy) if scale else 1


def match_steps(match_list: list, total_steps: int, world_size: int, copies_per_env: int = 1) -> int:
    """Split ``total_steps`` evenly over every match copy that ``scale=True`` makes on ``world_size`` ranks.

    ``copies_per_env`` is kickoff's: each environment rank then runs that many copies.
    """
    copies = num_copies(match_list, world_size, scale=True) * max(1, int(copies_per_env))
    return max(1, int(total_steps) // (copies * len(match_list)))


def normalize_remaps(match_list: list, entity_remaps: list | None) -> list[list[int]]:
    """One entity index per flattened position, per match; identity where not given."""
    sizes = [sum(len(e) if isinstance(e, (list, tuple)) else 1 for e in m) for m in match_list]
    if not entity_remaps:
        return [list(range(n)) for n in sizes]
    if len(entity_remaps) != len(match_list):
        raise PlanError(
            f"entity_remaps has {len(entity_remaps)} entries but match_list has "
            f"{len(match_list)} matches; give one remap per match (or [] for none)"
        )
    remaps = []
    for m, (remap, n) in enumerate(zip(entity_remaps, sizes)):
        if remap is None or len(remap) == 0:
            remaps.append(list(range(n)))
            continue
        if len(remap) != n or not all(_is_policy_id(i) and i >= 0 for i in remap):
            raise PlanError(
                f"entity_remaps[{m}] = {remap!r} must list {n} non-negative entity indices, "
                f"one per entity position of match {m}"
            )
        if len(set(remap)) != n:
            raise PlanError(f"entity_remaps[{m}] = {remap!r} names an entity twice")
        remaps.append([int(i) for i in remap])
    return remaps


def normalize_env_kwargs(match_list: list, env_kwargs: dict | list | None) -> list[dict]:
    """One kwargs dict per match: a dict applies to all matches, a list gives one each."""
    if env_kwargs is None or (isinstance(env_kwargs, dict) and not env_kwargs):
        return [{} for _ in match_list]
    if isinstance(env_kwargs, dict):
        return [dict(env_kwargs) for _ in match_list]
    if not isinstance(env_kwargs, (list, tuple)) or len(env_kwargs) != len(match_list):
        got = len(env_kwargs) if isinstance(env_kwargs, (list, tuple)) else type(env_kwargs).__name__
        raise PlanError(
            f"env_kwargs must be a dict or a list with one dict per match: match_list has "
            f"{len(match_list)} matches, env_kwargs has {got}"
        )
    for m, kw in enumerate(env_kwargs):
        if not isinstance(kw, dict):
            raise PlanError(f"env_kwargs[{m}] must be a dict of keyword arguments, got {kw!r}")
    return [dict(kw) for kw in env_kwargs]


def short_value(value: Any) -> str:
    """A kwarg's value as a label shows it: strings bare, anything long cut to 24 characters."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 24 else text[:21] + "..."


def match_labels(kwargs: list[dict], labels: list | None = None) -> list[str]:
    """Each match's label: ``labels[m]`` if given, else its env_kwargs in short form (``"game=Pong"``).

    The short form names only the kwargs whose values differ between matches, so that
    ``[{"game": "Pong", "frame_skip": 4}, {"game": "Breakout", "frame_skip": 4}]`` gives
    ``game=Pong`` and ``game=Breakout``; with one match, or none differing, it names them all.
    """
    if labels is not None:
        if not isinstance(labels, (list, tuple)) or len(labels) != len(kwargs):
            got = len(labels) if isinstance(labels, (list, tuple)) else type(labels).__name__
            raise PlanError(f"match_labels must be a list with one label per match: {len(kwargs)} matches, got {got}")
        for m, label in enumerate(labels):
            if not isinstance(label, str) or not label.strip() or "\n" in label:
                raise PlanError(f"match_labels[{m}] must be a non-empty one-line string, got {label!r}")
        return [label.strip() for label in labels]
    keys = list(dict.fromkeys(k for kw in kwargs for k in kw))
    varying = [k for k in keys if len({repr(kw.get(k)) for kw in kwargs}) > 1] or keys
    return [",".join(f"{k}={short_value(kw[k])}" for k in varying if k in kw) for kw in kwargs]


def make_plan(
    match_list: list,
    world_size: int,
    entity_remaps: list | None = None,
    scale: bool = False,
    env_kwargs: dict | list | None = None,
    copies_per_env: int = 1,
    labels: list | None = None,
) -> Plan:
    """Assign a role to every rank: root, environment, worker or unused."""
    validate_match_list(match_list)
    if not isinstance(copies_per_env, int) or isinstance(copies_per_env, bool) or copies_per_env < 1:
        raise PlanError(f"copies_per_env must be a positive integer, got {copies_per_env!r}")
    remaps = normalize_remaps(match_list, entity_remaps)
    kwargs = normalize_env_kwargs(match_list, env_kwargs)
    names = match_labels(kwargs, labels)
    needed = count_needed_procs(match_list)
    if world_size < needed:
        raise PlanError(
            f"this match list needs at least {needed} MPI ranks (1 root + one environment per "
            f"match + one worker per entry) but only {world_size} were started; "
            f"run with mpiexec -n {needed} or more"
        )
    copies = num_copies(match_list, world_size, scale)
    roles = [RankRole(0, ROOT)]
    matches = []
    rank = 1
    for copy in range(copies):
        for m, match in enumerate(match_list):
            env_rank, rank = rank, rank + 1
            workers, position = [], 0
            for entry in match:
                ids = list(entry) if isinstance(entry, (list, tuple)) else [entry]
                if len(set(ids)) != 1:
                    raise PlanError(f"match {m} entry {entry!r} mixes policies; one worker runs one policy")
                entities = tuple(remaps[m][position : position + len(ids)])
                position += len(ids)
                workers.append(WorkerSpec(rank, int(ids[0]), entities, isinstance(entry, (list, tuple))))
                rank += 1
            if copies_per_env > 1 and any(w.block for w in workers):
                raise PlanError(
                    f"match {m} has a block entry; copies_per_env > 1 needs every entry to be a single "
                    "policy id (a worker then sees its entity in every copy as a vector env)"
                )
            mc = MatchCopy(m, copy, len(matches), env_rank, tuple(workers), kwargs[m], copies_per_env, names[m])
            matches.append(mc)
            roles.append(RankRole(env_rank, ENV, mc))
            roles.extend(RankRole(w.rank, WORKER, mc, w) for w in workers)
    roles.extend(RankRole(r, UNUSED) for r in range(rank, world_size))
    return Plan(world_size, copies, tuple(matches), tuple(roles), copies_per_env)


def format_plan(plan: Plan, devices: dict[int, str] | None = None, hosts: list[str] | None = None) -> str:
    """A table with one row per rank: role, match, copy, entities, policy, and each learner's device.

    ``hosts`` (the host of each rank) adds a host column, for runs over several hosts.
    """
    devices = devices or {}
    rows = [("rank", "role", "match", "copy", "entities", "policy")]
    for r in plan.roles:
        if r.role in (ENV, WORKER):
            ids = r.match.copy_ids()
            copy = str(ids[0]) if len(ids) == 1 else f"{ids[0]}-{ids[-1]}"
        if r.role == ENV:
            ents = ",".join(str(e) for w in r.match.workers for e in w.entities)
            rows.append((r.rank, "environment", r.match.match_index, copy, ents, "-"))
        elif r.role == WORKER:
            ents = ",".join(str(e) for e in r.worker.entities)
            rows.append((r.rank, "worker", r.match.match_index, copy, ents, r.worker.policy_id))
        else:
            rows.append((r.rank, r.role, "-", "-", "-", "-"))
    if devices:
        rows = [(*row, "device" if i == 0 else devices.get(row[0], "-")) for i, row in enumerate(rows)]
    if hosts:
        rows = [(*row, "host" if i == 0 else hosts[row[0]]) for i, row in enumerate(rows)]
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip() for row in rows)


def format_scaling_report(match_list: list, plan: Plan) -> str:
    """Copies made, unused ranks, and ranks needed for one more copy."""
    per_copy = count_needed_procs(match_list) - 1
    used = 1 + plan.copies_per_match * per_copy
    more = used + per_copy - plan.world_size
    copies = plan.total_copies_per_match
    per_env = f" ({plan.copies_per_match} environment ranks x {plan.copies_per_env})" if plan.copies_per_env > 1 else ""
    return (
        f"scaling: {copies} cop{'y' if copies == 1 else 'ies'}{per_env} of "
        f"{len(match_list)} match(es) on {plan.world_size} ranks; "
        f"{len(plan.unused_ranks)} unused; {more} more rank(s) would add another copy"
    )
