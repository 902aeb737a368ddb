"""The arena's multi-agent list interface, and adapters for the older form.

An arena environment has one entry per entity in ``observation_spaces`` and
``action_spaces``, and:

* ``reset(seed=None) -> (obs_list, info_list)``
* ``step(action_list) -> (obs_list, rewards, terminated, truncated, info_list)``

``terminated`` and ``truncated`` may be one bool for the whole episode or one per
entity. The episode ends when every entity is terminated or truncated.
arena5 environments, whose ``reset()`` returns only the observations and whose
``step`` returns ``(obs_list, rewards, done, infos)``, are accepted too, and get
their actions in arena5's form (the rules live in ``arena.compat``).
"""

from __future__ import annotations

import importlib.util
import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from arena.compat import arena5_action, four_tuple_flags, split_reset


@dataclass
class StepResult:
    """One step of a multi-agent env, normalised: per-entity arrays and lists."""

    obs: list
    rewards: np.ndarray
    terminated: np.ndarray
    truncated: np.ndarray
    infos: list[dict]

    @property
    def episode_over(self) -> bool:
        """True when every entity is terminated or truncated."""
        return bool(np.all(self.terminated | self.truncated))


def entity_spaces(env: Any) -> tuple[list, list]:
    """The env's per-entity observation and action spaces, as lists."""
    for name in ("observation_spaces", "action_spaces"):
        if not hasattr(env, name):
            raise TypeError(
                f"{type(env).__name__} has no `{name}`: an arena env lists one space per entity; "
                "wrap a single-agent Gymnasium env with arena.single_agent_wrapper(env)"
            )
    return list(env.observation_spaces), list(env.action_spaces)


def _per_entity_infos(infos: Any, n: int) -> list[dict]:
    if infos is None:
        return [{} for _ in range(n)]
    if isinstance(infos, dict):
        return [infos for _ in range(n)]
    infos = list(infos)
    if len(infos) != n:
        raise ValueError(f"env returned {len(infos)} info dicts for {n} entities")
    return [i if isinstance(i, dict) else {} for i in infos]


def _per_entity_flags(flags: Any, n: int, what: str) -> np.ndarray:
    arr = np.asarray(flags, dtype=bool).reshape(-1)
    if arr.size == 1:
        return np.repeat(arr, n)
    if arr.size != n:
        raise ValueError(f"env returned {arr.size} `{what}` flags for {n} entities")
    return arr


def reset_env(env: Any, n: int, seed: int | None = None) -> tuple[list, list[dict]]:
    """Reset with a seed where the env accepts one; returns ``(obs_list, info_list)``."""
    obs, infos, _ = reset_env_form(env, n, seed)
    return obs, infos


def reset_env_form(env: Any, n: int, seed: int | None = None) -> tuple[list, list[dict], bool]:
    """``reset_env``, and whether the env is an arena5 one (its reset gives only observations; see arena.compat)."""
    try:
        result = env.reset(seed=seed)
    except TypeError:
        if seed is not None and hasattr(env, "seed"):
            env.seed(seed)
        result = env.reset()
    obs, infos, legacy = split_reset(result, n)
    obs = list(obs)
    if len(obs) != n:
        raise ValueError(f"env.reset() returned {len(obs)} observations for {n} entities")
    return obs, _per_entity_infos(infos, n), legacy


def step_env(env: Any, actions: list, n: int, legacy: bool = False) -> StepResult:
    """Step with one action per entity; accepts the 5-tuple and arena5's 4-tuple.

    An arena5 env (``legacy``) gets each action as arena5 sent it, a 1-D list.
    """
    result = env.step([arena5_action(a) for a in actions] if legacy else actions)
    if len(result) == 5:
        obs, rewards, terminated, truncated, infos = result
    elif len(result) == 4:
        obs, rewards, done, infos = result
        infos = _per_entity_infos(infos, n)
        terminated, truncated = four_tuple_flags(done, infos)
    else:
        raise ValueError(f"env.step() returned a {len(result)}-tuple; expected 5 (or arena5's 4)")
    obs = list(obs)
    if len(obs) != n:
        raise ValueError(f"env.step() returned {len(obs)} observations for {n} entities")
    rewards = np.asarray(rewards, dtype=np.float64).reshape(-1)
    if rewards.size == 1 and n > 1:
        rewards = np.repeat(rewards, n)
    if rewards.size != n:
        raise ValueError(f"env.step() returned {rewards.size} rewards for {n} entities")
    return StepResult(
        obs,
        rewards,
        _per_entity_flags(terminated, n, "terminated"),
        _per_entity_flags(truncated, n, "truncated"),
        _per_entity_infos(infos, n),
    )


def load_make_env(make_env: Callable[..., Any] | str) -> Callable[..., Any]:
    """The env factory: the function itself, or ``make_env`` from a directory's ``make_env.py``."""
    if callable(make_env):
        return make_env
    path = os.path.abspath(str(make_env))
    if os.path.isdir(path):
        path = os.path.join(path, "make_env.py")
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"make_env: no file {path} on host {socket.gethostname()}; every host of the job needs the "
            "make_env folder (your make_env.py and what it imports) at the same path"
        )
    spec = importlib.util.spec_from_file_location("arena_user_make_env", path)
    module = importlib.util.module_from_spec(spec)
    add_to_sys_path(os.path.dirname(path))
    spec.loader.exec_module(module)
    if not callable(getattr(module, "make_env", None)):
        raise AttributeError(f"{path} defines no function make_env")
    return module.make_env


def add_to_sys_path(folder: str) -> None:
    """Let make_env.py import its neighbours: its folder goes at the end of ``sys.path``.

    At the end, not the front: a file in the user's folder must not shadow a module that
    the arena or a library imports later (a ``random.py`` or ``logging.py`` beside make_env.py).
    """
    if folder not in sys.path:
        sys.path.append(folder)


def make_env_source(make_env: Callable[..., Any]) -> tuple[str, str, str] | str:
    """How another process can load ``make_env`` again: ``("file", path, name)`` or ``("module", module, name)``.

    A string instead says why it cannot: a function defined in the main script or
    inside another function exists only in this process.
    """
    module, name = getattr(make_env, "__module__", None), getattr(make_env, "__qualname__", "")
    if module == "__main__" or "<locals>" in name or not name:
        return (
            f"make_env ({name or type(make_env).__name__}) is defined in the main script or inside a function; "
            "put it in make_env.py (the tutorial's layout) or an importable module"
        )
    if module in sys.modules and getattr(sys.modules[module], name.split(".")[0], None) is not None:
        return ("module", module, name)
    return ("file", os.path.abspath(make_env.__code__.co_filename), make_env.__name__)


def load_make_env_source(source: tuple[str, str, str]) -> Callable[..., Any]:
    """The env factory that ``make_env_source`` described, loaded in this process."""
    kind, where, name = source
    if kind == "module":
        target = importlib.import_module(where)
        for part in name.split("."):
            target = getattr(target, part)
        return target
    spec = importlib.util.spec_from_file_location("arena_user_make_env", where)
    module = importlib.util.module_from_spec(spec)
    add_to_sys_path(os.path.dirname(where))
    spec.loader.exec_module(module)
    return getattr(module, name)


def game_score(infos: list[dict], returns: np.ndarray, length: int) -> tuple[float, int]:
    """Score (mean over entities) and length of a finished game.

    A wrapper's own statistics in ``info["episode"]`` (the true game score, before
    reward clipping) beat the summed rewards the worker saw.
    """
    lengths = []
    for info in infos:
        stats = info.get("episode")
        if isinstance(stats, dict) and "r" in stats and "l" in stats:
            lengths.append(int(np.asarray(stats["l"]).item()))
    return float(np.mean(entity_scores(infos, returns))), (max(lengths) if lengths else int(length))


def entity_scores(infos: list[dict], returns: np.ndarray) -> list[float]:
    """Each entity's score in a finished game: ``info["episode"]["r"]`` where a wrapper reports it, else its return."""
    scores = []
    for ret, info in zip(returns, infos):
        stats = info.get("episode")
        has_stats = isinstance(stats, dict) and "r" in stats
        scores.append(float(np.asarray(stats["r"]).item()) if has_stats else float(ret))
    return scores


RESTARTED = "arena_restarted"  # in the final infos of an episode cut short by an env restart (kickoff(env_restarts=N))


def episode_dropped(final_infos: list[dict]) -> bool:
    """True for an episode that ended because its env raised and was rebuilt: it is recorded nowhere."""
    return any(bool(info.get(RESTARTED)) for info in final_infos)


def game_continues(final_infos: list[dict]) -> bool:
    """True when an episode ended only a life: every entity's final info says ``game_over`` False."""
    return all(not bool(info.get("game_over", True)) for info in final_infos)


def describe_error(exc: BaseException, frames: int = 3) -> str:
    """``Type: message`` and the last few frames of its traceback, for a one-screen report."""
    import traceback

    tb = traceback.extract_tb(exc.__traceback__)[-frames:]
    where = "".join(traceback.format_list(tb)).rstrip()
    return f"{type(exc).__name__}: {exc}" + (f"\n{where}" if where else "")


def probe_spaces(make_env: Callable[..., Any], env_kwargs: dict) -> tuple[list, list]:
    """Build the env twice with ``env_kwargs`` and return its spaces; ValueError if it fails or the two differ."""
    return probe_env(make_env, env_kwargs)[:2]


def probe_env(make_env: Callable[..., Any], env_kwargs: dict) -> tuple[list, list, bool]:
    """Build the env twice with ``env_kwargs``: its spaces, and whether it moves in turns (``env.turn_based``);
    ValueError if it fails or the two builds differ.

    Copies of a match run on different ranks; spaces that change from one build to
    the next would give them different message layouts.
    """
    spaces, turns = [], False
    for _ in range(2):
        try:
            env = make_env(**env_kwargs)
        except Exception as exc:
            raise ValueError(f"make_env(**{env_kwargs!r}) failed: {describe_error(exc)}") from exc
        try:
            obs_spaces, act_spaces = entity_spaces(env)
            turns = bool(getattr(env, "turn_based", False))
        except TypeError as exc:
            raise ValueError(f"make_env(**{env_kwargs!r}) built an env the arena cannot use: {exc}") from None
        finally:
            if hasattr(env, "close"):
                env.close()
        if len(obs_spaces) != len(act_spaces):
            raise ValueError(
                f"make_env(**{env_kwargs!r}) built an env with {len(obs_spaces)} observation spaces but "
                f"{len(act_spaces)} action spaces; there must be one of each per entity"
            )
        spaces.append((obs_spaces, act_spaces))
    if spaces[0] != spaces[1]:
        raise ValueError(
            f"make_env(**{env_kwargs!r}) built two envs with different spaces ({spaces[0]} then {spaces[1]}); "
            "every copy of a match must have the same spaces"
        )
    return (*spaces[0], turns)
