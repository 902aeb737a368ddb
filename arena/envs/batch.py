"""K copies of a match, stepped together on one environment rank, with same-step autoreset.

A copy whose episode ends is reset within the same step: the step's observations
are the new episode's first ones, and the last observations and infos of the
ended episode come along separately (``final``). ``CopiesBatch`` runs any arena
env K times over; an env factory that takes ``num_copies`` may return its own
batch instead (``arena.envs.atari`` does, on ale-py's ``AtariVectorEnv``).
"""

from __future__ import annotations

import contextlib
import inspect
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from arena.envs.api import RESTARTED, entity_spaces, reset_env, reset_env_form, step_env


@dataclass
class Ended:
    """What a worker needs of an episode that ended: its last observations and infos, and the new start's infos."""

    final_obs: list
    final_infos: list[dict]
    reset_infos: list[dict]


@dataclass
class BatchStep:
    """One step of every copy. ``obs[e][k]`` is entity e's observation in copy k (after autoreset)."""

    obs: list[Sequence]
    rewards: np.ndarray  # (K, n)
    terminated: np.ndarray  # (K, n) bool, before autoreset
    truncated: np.ndarray  # (K, n) bool
    ended: dict[int, Ended] = field(default_factory=dict)  # copy -> its ended episode


class EnvBatch(Protocol):
    """What an environment rank steps: ``num_copies`` copies with per-copy entity spaces."""

    num_copies: int
    observation_spaces: list
    action_spaces: list
    # Optional: how many threads step copies at once (default 1). Above 1, the rank's
    # workers leave their cores to those threads instead of polling on them.
    threads: int
    # Optional: each copy's label (a multi-game batch: "game=Pong", ...), which its episodes are
    # recorded under; without it every copy takes its match's label.
    labels: list[str]

    def reset(self, seeds: list[int]) -> tuple[list[Sequence], list[list[dict]]]:
        """Reset every copy: ``obs[e][k]`` and ``infos[k][e]``."""

    def step(self, actions: list[Sequence]) -> BatchStep:
        """Step every copy with ``actions[e][k]``; ended copies are reset in place."""

    def render(self, copy: int) -> Any:
        """An RGB frame of one copy, or None."""

    def close(self) -> None:
        """Release the copies."""


class CopiesBatch:
    """K independent copies of an arena env, stepped one after the other.

    With ``restarts`` > 0 (``kickoff(env_restarts=N)``) a copy whose ``step`` raises is
    rebuilt with ``rebuild()`` and reset, up to that many times in all: its episode ends
    (truncated, its last observations as the final ones) and is recorded nowhere.
    """

    def __init__(self, envs: list[Any], rebuild: Callable[[], Any] | None = None, restarts: int = 0):
        self.envs = envs
        self.num_copies = len(envs)
        self.observation_spaces, self.action_spaces = entity_spaces(envs[0])
        self.n = len(self.observation_spaces)
        self.legacy = [False] * self.num_copies
        self.rebuild, self.restarts_left = rebuild, restarts if rebuild is not None else 0
        self.restarts: list[str] = []  # why each restart happened: "copy k: Type: message"
        self.last_obs: list[list] = [[None] * self.n for _ in envs]
        for k, env in enumerate(envs[1:], start=1):
            if entity_spaces(env) != (self.observation_spaces, self.action_spaces):
                raise ValueError(f"copy {k} of the match has different spaces from copy 0; make_env must agree")

    def reset(self, seeds: list[int]) -> tuple[list[Sequence], list[list[dict]]]:
        """Reset every copy with its own seed."""
        results = [reset_env_form(env, self.n, seed=seed) for env, seed in zip(self.envs, seeds)]
        self.legacy = [r[2] for r in results]  # arena5 envs get arena5's actions
        self.last_obs = [list(r[0]) for r in results]
        obs = [[r[0][e] for r in results] for e in range(self.n)]
        return obs, [r[1] for r in results]

    def step(self, actions: list[Sequence]) -> BatchStep:
        """Step each copy; a copy whose episode ended is reset at once."""
        K, n = self.num_copies, self.n
        obs: list[list] = [[None] * K for _ in range(n)]
        rewards, terminated, truncated = np.zeros((K, n)), np.zeros((K, n), bool), np.zeros((K, n), bool)
        ended: dict[int, Ended] = {}
        for k, env in enumerate(self.envs):
            try:
                result = step_env(env, [_plain(actions[e][k]) for e in range(n)], n, self.legacy[k])
            except Exception as exc:
                if self.restarts_left <= 0:
                    raise
                current, ended[k] = self._restart(k, exc)
                truncated[k] = True
            else:
                rewards[k], terminated[k], truncated[k] = result.rewards, result.terminated, result.truncated
                current = result.obs
                if result.episode_over:
                    current, reset_infos = reset_env(env, n)
                    ended[k] = Ended(result.obs, result.infos, reset_infos)
            self.last_obs[k] = list(current)
            for e in range(n):
                obs[e][k] = current[e]
        return BatchStep(obs, rewards, terminated, truncated, ended)

    def _restart(self, k: int, exc: Exception) -> tuple[list, Ended]:
        """Rebuild copy ``k`` after its env raised: its first observations, and the dropped episode's end."""
        self.restarts_left -= 1
        self.restarts.append(f"copy {k}: {type(exc).__name__}: {exc}")
        print(f"[arena] warning: env copy {k} raised {type(exc).__name__}: {exc}; rebuilt it, its episode dropped "
              f"({self.restarts_left} restarts left)", file=sys.stderr, flush=True)  # fmt: skip
        with contextlib.suppress(Exception):  # a broken env may not close cleanly either
            self.envs[k].close()
        self.envs[k] = self.rebuild()
        if entity_spaces(self.envs[k]) != (self.observation_spaces, self.action_spaces):
            raise ValueError(f"copy {k} was rebuilt with different spaces; make_env must agree") from exc
        current, reset_infos, self.legacy[k] = reset_env_form(self.envs[k], self.n)
        final_infos = [{RESTARTED: True} for _ in range(self.n)]
        return list(current), Ended(self.last_obs[k], final_infos, reset_infos)

    def render(self, copy: int) -> Any:
        """The copy's own ``render()``."""
        return self.envs[copy].render() if hasattr(self.envs[copy], "render") else None

    def close(self) -> None:
        """Close every copy."""
        for env in self.envs:
            if hasattr(env, "close"):
                env.close()


def _plain(action: Any) -> Any:
    """A numpy scalar taken from a batch of actions as a Python number, as a single env expects."""
    return action.item() if isinstance(action, np.generic) else action


def stepping_threads(batch: EnvBatch) -> int:
    """How many threads the batch steps copies on at once (1 unless it says more)."""
    return max(1, int(getattr(batch, "threads", 1)))


def takes_num_copies(make_env: Callable[..., Any]) -> bool:
    """True when the env factory can build a batch itself (it has a ``num_copies`` parameter)."""
    try:
        return "num_copies" in inspect.signature(make_env).parameters
    except (TypeError, ValueError):
        return False


def build_batch(make_env: Callable[..., Any], num_copies: int, env_kwargs: dict, restarts: int = 0) -> EnvBatch:
    """``make_env(num_copies=K, **kwargs)`` if the factory takes it, else K calls of ``make_env(**kwargs)``.

    ``restarts``: how many times in all a copy that raises may be rebuilt (K calls only; see ``CopiesBatch``).
    """
    if takes_num_copies(make_env):
        batch = make_env(num_copies=num_copies, **env_kwargs)
        if not hasattr(batch, "num_copies"):
            batch = CopiesBatch([batch])  # a factory that took num_copies=1 and built a plain env
        if batch.num_copies != num_copies:
            raise ValueError(f"make_env(num_copies={num_copies}) built {batch.num_copies} copies")
        return batch
    envs = [make_env(**env_kwargs) for _ in range(num_copies)]
    return CopiesBatch(envs, lambda: make_env(**env_kwargs), restarts)


def restart_summary(batch: EnvBatch) -> dict:
    """``{"env_restarts": [why, ...]}`` for a batch that restarted copies this round, else {}."""
    restarts = getattr(batch, "restarts", None)
    return {"env_restarts": list(restarts)} if restarts else {}


def probe_batch(make_env: Callable[..., Any], num_copies: int, env_kwargs: dict) -> tuple[list, list]:
    """Build a factory's own batch of ``num_copies`` once: its spaces; ValueError if it fails.

    A multi-game batch shows only here whether its games share one observation and action space.
    """
    try:
        batch = build_batch(make_env, num_copies, env_kwargs)
    except Exception as exc:
        raise ValueError(f"make_env(num_copies={num_copies}, **{env_kwargs!r}) failed: {exc}") from exc
    try:
        return list(batch.observation_spaces), list(batch.action_spaces)
    finally:
        batch.close()
