"""Action masks: which actions are legal now, as PettingZoo's classic games give them.

An entity whose observation space is a ``Dict`` with an ``"action_mask"`` entry (PettingZoo's
convention: ``{"observation": ..., "action_mask": ...}``) says at every step which of its
``Discrete(n)`` actions are legal: ``mask[a]`` is 1 where action ``a`` may be played. The
mask travels inside the observation, so it reaches the worker on every step; an info dict
reaches it only at episode ends. ``mask_of`` also reads ``info["action_mask"]`` where an env
puts it there, for the checker and for adapters that move it into the observation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

__all__ = [
    "MASK_KEY",
    "OBSERVATION_KEY",
    "InfoMasks",
    "has_mask",
    "legal_sample",
    "mask_of",
    "mask_problem",
    "masks_from_info",
    "split_rows",
]

MASK_KEY = "action_mask"
OBSERVATION_KEY = "observation"


def has_mask(space: spaces.Space) -> bool:
    """True for a ``Dict`` observation space with an ``"action_mask"`` entry."""
    return isinstance(space, spaces.Dict) and MASK_KEY in space.spaces


def mask_of(obs: Any, info: dict | None = None) -> np.ndarray | None:
    """The legal actions as a bool array: from ``obs["action_mask"]``, else ``info["action_mask"]``, else None."""
    if isinstance(obs, dict) and MASK_KEY in obs:
        return np.asarray(obs[MASK_KEY]).astype(bool)
    if isinstance(info, dict) and MASK_KEY in info:
        return np.asarray(info[MASK_KEY]).astype(bool)
    return None


def mask_problem(mask: Any, act_space: spaces.Space) -> str | None:
    """What is wrong with ``mask`` for ``act_space``, or None: a 0/1 vector, one entry per action, one legal."""
    if not isinstance(act_space, spaces.Discrete):
        return f"an action mask needs a Discrete action space, not {act_space}"
    array = np.asarray(mask)
    if array.shape != (int(act_space.n),):
        return f"the action mask has shape {array.shape}, but the action space {act_space} needs ({act_space.n},)"
    if array.dtype != bool and not np.isin(array, (0, 1)).all():
        return f"the action mask holds {sorted(set(np.unique(array).tolist()))[:5]}; it must hold only 0 and 1"
    if not array.astype(bool).any():
        return "the action mask allows no action although a move is due; at least one action must be legal"
    return None


def legal_sample(act_space: spaces.Space, mask: np.ndarray | None) -> Any:
    """A random action of ``act_space``, a legal one where ``mask`` says which (the space's own generator)."""
    if mask is None:
        return act_space.sample()
    return act_space.sample(mask=np.asarray(mask, dtype=np.int8))


def split_rows(rows: list | dict) -> tuple[np.ndarray, np.ndarray]:
    """``(observations, masks)`` stacked over rows: from a list of dicts, or from a batched dict."""
    if isinstance(rows, dict):
        return np.asarray(rows[OBSERVATION_KEY]), np.asarray(rows[MASK_KEY]).astype(bool)
    return np.stack([np.asarray(r[OBSERVATION_KEY]) for r in rows]), np.stack([mask_of(r) for r in rows])


class InfoMasks:
    """An arena env whose infos carry ``info["action_mask"]``, seen as one whose observations do.

    Each entity with a ``Discrete(n)`` action space observes ``{"observation": ..., "action_mask": ...}``;
    an info without a mask allows every action. Infos reach the workers only at episode ends, so
    this is how a mask in the info reaches a policy on every step.
    """

    def __init__(self, env: Any):
        self.env = env
        self.action_spaces = list(env.action_spaces)
        self.masked = [isinstance(space, spaces.Discrete) for space in self.action_spaces]
        self.observation_spaces = [
            spaces.Dict({OBSERVATION_KEY: obs, MASK_KEY: spaces.MultiBinary(int(act.n))}) if masked else obs
            for obs, act, masked in zip(env.observation_spaces, self.action_spaces, self.masked)
        ]

    def _with_masks(self, obs: list, infos: list) -> list:
        out = []
        for e, (value, info) in enumerate(zip(obs, infos)):
            if not self.masked[e]:
                out.append(value)
                continue
            mask = mask_of(None, info)
            n = int(self.action_spaces[e].n)
            out.append(
                {OBSERVATION_KEY: value, MASK_KEY: np.ones(n, np.int8) if mask is None else mask.astype(np.int8)}
            )
        return out

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[list, list]:
        """The wrapped env's reset, with each entity's mask moved into its observation."""
        obs, infos = self.env.reset(seed=seed, options=options)
        return self._with_masks(obs, infos), infos

    def step(self, actions: list) -> tuple:
        """The wrapped env's step, with each entity's mask moved into its observation."""
        obs, rewards, terminated, truncated, infos = self.env.step(actions)
        return self._with_masks(obs, infos), rewards, terminated, truncated, infos

    def __getattr__(self, name: str) -> Any:
        return getattr(self.env, name)  # render, close, metadata, ...


def masks_from_info(env: Any) -> InfoMasks:
    """``env`` (the arena's list interface) with ``info["action_mask"]`` moved into every observation."""
    return InfoMasks(env)
