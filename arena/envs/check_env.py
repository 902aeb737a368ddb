"""Check an environment before any MPI run: ``arena.check_env(make_env, **env_kwargs)``.

From a shell, on a folder holding ``make_env.py`` (or the file itself):

    python -m arena.env_check examples/touchdown --env-kwargs '{"size": 5}' --steps 500 --render

It builds the env, checks the spaces (one observation and one action space per
entity, and that they survive a pickle, since they travel by MPI), resets with a
seed twice to see that seeding makes episodes repeat, and plays random actions
through either step interface (Gymnasium's 5-tuple or the legacy 4-tuple),
checking every observation against its space and every reward, and every action mask
(``observation["action_mask"]`` or ``info["action_mask"]``: one 0/1 entry per action, at least one
legal; only legal actions are played). The report says
what to fix in plain words; the command exits 1 when something must be fixed.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from arena.envs.api import describe_error, entity_spaces, load_make_env, reset_env, reset_env_form, step_env
from arena.envs.masks import legal_sample, mask_of, mask_problem
from arena.envs.step_checks import reward_problem, value_problem


@dataclass
class EnvReport:
    """What ``check_env`` found: ``problems`` must be fixed; ``warnings`` are worth a look."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing must be fixed."""
        return not self.problems

    def __str__(self) -> str:
        lines = [f"  - {n}" for n in self.notes]
        lines += [f"  WARNING: {w}" for w in self.warnings]
        lines += [f"  PROBLEM: {p}" for p in self.problems]
        verdict = "the env is ready for the arena" if self.ok else f"{len(self.problems)} problem(s) to fix"
        return "\n".join(["arena env check:", *lines, f"result: {verdict}"])


def _obs_equal(a: list, b: list) -> bool:
    try:
        return all(np.array_equal(np.asarray(x), np.asarray(y)) for x, y in zip(a, b))
    except (TypeError, ValueError):
        return all(repr(x) == repr(y) for x, y in zip(a, b))


def _check_spaces(env: Any, report: EnvReport) -> tuple[list, list] | None:
    try:
        obs_spaces, act_spaces = entity_spaces(env)
    except TypeError as err:
        report.problems.append(str(err))
        return None
    if len(obs_spaces) != len(act_spaces):
        report.problems.append(
            f"observation_spaces has {len(obs_spaces)} entries but action_spaces has {len(act_spaces)}; "
            "give one of each per entity"
        )
        return None
    for name, space_list in (("observation_spaces", obs_spaces), ("action_spaces", act_spaces)):
        for e, space in enumerate(space_list):
            try:
                same = pickle.loads(pickle.dumps(space)) == space
            except Exception as exc:  # noqa: BLE001 - any failure is the finding
                why = describe_error(exc, 0)
                report.problems.append(f"{name}[{e}] cannot be pickled ({why}); use gymnasium spaces")
                continue
            if not same:
                report.problems.append(f"{name}[{e}] changes when pickled; ranks would disagree about it")
    report.notes.append(f"{len(obs_spaces)} entities; observation spaces {obs_spaces}; action spaces {act_spaces}")
    return obs_spaces, act_spaces


def _check_values(step: int, obs: list, rewards: np.ndarray | None, obs_spaces: list, report: EnvReport) -> bool:
    for e, (value, space) in enumerate(zip(obs, obs_spaces)):
        problem = value_problem([value], space, "observation", check_bounds=True)
        if problem:
            report.problems.append(f"step {step}, entity {e}: {problem}")
            return False
    found = reward_problem(rewards[None, :]) if rewards is not None else None
    if found:
        report.problems.append(f"step {step}, entity {found[1]}: {found[2]}")
        return False
    return True


def _legal_actions(env: Any, step: int, obs: list, infos: list, act_spaces: list, report: EnvReport) -> list | None:
    """A random action per entity, legal where the env gives a mask; None (a problem noted) for a bad mask."""
    actions = []
    mover = getattr(env, "mover", None) if getattr(env, "turn_based", False) else None
    for e, (value, info, space) in enumerate(zip(obs, infos, act_spaces)):
        if mover is not None and e != mover:  # a turn-based game: only the entity to move acts
            actions.append(None)
            continue
        mask = mask_of(value, info)
        problem = None if mask is None else mask_problem(mask, space)
        if problem:
            report.problems.append(f"step {step}, entity {e}: {problem}")
            return None
        actions.append(legal_sample(space, mask))
    return actions


def _play(env: Any, obs_spaces: list, act_spaces: list, steps: int, seed: int, report: EnvReport) -> None:
    n = len(obs_spaces)
    for space in act_spaces:
        space.seed(seed)
    obs, infos, legacy = reset_env_form(env, n, seed=seed)
    if not _check_values(0, obs, None, obs_spaces, report):
        return
    episodes, lengths, length, masked = 0, [], 0, 0
    for t in range(1, steps + 1):
        actions = _legal_actions(env, t, obs, infos, act_spaces, report)
        if actions is None:
            return
        masked += any(mask_of(value, info) is not None for value, info in zip(obs, infos))
        result = step_env(env, actions, n, legacy)
        obs, infos = result.obs, result.infos
        length += 1
        if not _check_values(t, result.obs, result.rewards, obs_spaces, report):
            return
        if result.episode_over:
            episodes, lengths, length = episodes + 1, lengths + [length], 0
            obs, infos = reset_env(env, n)
            if not _check_values(t, obs, None, obs_spaces, report):
                return
    mean = f", mean length {np.mean(lengths):.1f}" if lengths else ""
    legal = f"; action masks checked on {masked} steps, and only legal actions played" if masked else ""
    report.notes.append(f"{steps} random steps: {episodes} episodes ended{mean}{legal}")
    if not episodes:
        report.warnings.append(f"no episode ended in {steps} random steps; is terminated or truncated ever set?")


def _check_seeding(make_env: Callable[..., Any], env_kwargs: dict, n: int, seed: int, report: EnvReport) -> None:
    starts = []
    for _ in range(2):
        env = make_env(**env_kwargs)
        starts.append(reset_env(env, n, seed=seed)[0])
        if hasattr(env, "close"):
            env.close()
    if _obs_equal(*starts):
        report.notes.append(f"reset(seed={seed}) gives the same first observations in two fresh envs")
    else:
        report.warnings.append(
            f"reset(seed={seed}) gave different first observations in two fresh envs: runs will not repeat; "
            "seed the env's random generators in reset(seed=...)"
        )


def _check_render(env: Any, report: EnvReport) -> None:
    if not hasattr(env, "render"):
        report.problems.append("render was asked for, but the env has no render() method")
        return
    frame = env.render()
    shape = getattr(frame, "shape", None)
    if shape is None or len(shape) != 3 or shape[2] != 3:
        report.problems.append(
            f"render() returned {type(frame).__name__} of shape {shape}; the mosaic needs an RGB array (H, W, 3)"
        )
    else:
        report.notes.append(f"render() gives RGB frames of shape {shape}")


def check_env(
    make_env: Callable[..., Any] | str, steps: int = 200, seed: int = 0, render: bool = False, **env_kwargs: Any
) -> EnvReport:
    """Build and play the env as the arena will, and report what to fix (nothing raises)."""
    report = EnvReport()
    try:
        make_env = load_make_env(make_env)
        env = make_env(**env_kwargs)
    except Exception as exc:  # noqa: BLE001 - the report is the point
        report.problems.append(f"building the env failed: {describe_error(exc)}")
        return report
    spaces = _check_spaces(env, report)
    if spaces is None:
        return report
    try:
        _play(env, *spaces, steps, seed, report)
        if report.ok:
            _check_seeding(make_env, env_kwargs, len(spaces[0]), seed, report)
        if render and report.ok:
            _check_render(env, report)
    except Exception as exc:  # noqa: BLE001
        report.problems.append(f"the env raised {describe_error(exc)}")
    if hasattr(env, "close"):
        env.close()
    return report


def main(argv: list[str] | None = None) -> int:
    """The command-line form; exit status 1 when the env has problems."""
    parser = argparse.ArgumentParser(description="Check an arena environment before an MPI run.")
    parser.add_argument("make_env", help="a make_env.py file, or the folder holding one")
    parser.add_argument("--env-kwargs", default="{}", help="JSON object of keyword arguments for make_env")
    parser.add_argument("--steps", type=int, default=200, help="random steps to play")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--render", action="store_true", help="also check render() gives RGB frames")
    args = parser.parse_args(argv)
    report = check_env(args.make_env, args.steps, args.seed, args.render, **json.loads(args.env_kwargs))
    print(report)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
