"""PettingZoo environments as arena environments: ``pettingzoo_env(env)``.

Entity ``i`` is ``env.possible_agents[i]``, in PettingZoo's order (for two-player
Atari: entity 0 is ``first_0``, entity 1 is ``second_0``), unless ``agents`` gives
another order. An AEC environment that is parallel underneath goes through PettingZoo's
own ``aec_to_parallel`` first; one whose agents move in turn is played in turns
(``arena.wrappers.turns``).

An agent that leaves before the others (PettingZoo drops it from ``env.agents``)
is terminated: from then on its entity keeps its last observation, gets reward 0,
and whatever action its worker sends is not passed to PettingZoo. The episode ends
when every agent has left or been truncated, as an arena episode ends when every
entity is done. Agents must all exist from ``reset`` on: environments that create
agents during an episode have no fixed entity list, and are refused.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from arena.wrappers.turns import TurnBasedPettingZoo


def _as_parallel(env: Any) -> Any:
    """A PettingZoo ParallelEnv: ``env`` itself, or an AEC env through PettingZoo's conversion."""
    try:
        from pettingzoo import AECEnv, ParallelEnv
        from pettingzoo.utils.conversions import aec_to_parallel
    except ImportError as exc:
        raise ImportError(
            'pettingzoo_env needs PettingZoo: pip install -e ".[multiagent]" (or pip install pettingzoo)'
        ) from exc
    if isinstance(env, AECEnv):
        return aec_to_parallel(env)
    if isinstance(env, ParallelEnv) or hasattr(env, "possible_agents"):
        return env
    raise TypeError(f"pettingzoo_env takes a PettingZoo ParallelEnv or AECEnv, not {type(env).__name__}")


class PettingZooEnv:
    """The arena's list interface over a PettingZoo parallel env: one entity per agent."""

    def __init__(self, env: Any, agents: list[str] | None = None):
        self.env = _as_parallel(env)
        possible = list(getattr(self.env, "possible_agents", None) or [])
        if not possible:
            raise ValueError(
                f"{type(self.env).__name__} has no possible_agents: the arena needs every agent known before reset"
            )
        self.agents = list(agents) if agents is not None else possible
        unknown = [a for a in self.agents if a not in possible]
        if unknown or len(set(self.agents)) != len(self.agents):
            raise ValueError(f"agents {self.agents} must be distinct names from possible_agents {possible}")
        self.observation_spaces = [self.env.observation_space(a) for a in self.agents]
        self.action_spaces = [self.env.action_space(a) for a in self.agents]
        self.metadata = getattr(self.env, "metadata", {})
        self.render_mode = getattr(self.env, "render_mode", None)
        self.left = np.zeros(len(self.agents), dtype=bool)  # agents that terminated before the episode's end
        self.last_obs: list = [None] * len(self.agents)

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[list, list[dict]]:
        """Reset every agent; ValueError if one of the entities' agents is not there."""
        obs, infos = self.env.reset(seed=seed, options=options)
        missing = [a for a in self.agents if a not in obs]
        if missing:
            raise ValueError(
                f"after reset, agents {missing} have no observation: the arena needs every entity's agent "
                "present from the start of an episode"
            )
        self.left[:] = False
        self.last_obs = [obs[a] for a in self.agents]
        return list(self.last_obs), [dict(infos.get(a, {})) for a in self.agents]

    def step(self, actions: list) -> tuple[list, np.ndarray, np.ndarray, np.ndarray, list[dict]]:
        """Step the agents still in the game; entities whose agents left are terminated with reward 0."""
        live = set(self.env.agents)
        joint = {a: act for a, act in zip(self.agents, actions) if a in live}
        obs, rewards, terminations, truncations, infos = self.env.step(joint)
        still = set(self.env.agents)
        n = len(self.agents)
        reward = np.zeros(n)
        truncated = np.zeros(n, dtype=bool)
        for i, a in enumerate(self.agents):
            if a in obs:
                self.last_obs[i] = obs[a]
            reward[i] = float(rewards.get(a, 0.0))
            truncated[i] = bool(truncations.get(a, False))
            gone = a not in still and not truncated[i]  # left without a truncation: terminated
            self.left[i] |= bool(terminations.get(a, False)) or gone
        terminated = self.left & ~truncated
        return list(self.last_obs), reward, terminated, truncated, [dict(infos.get(a, {})) for a in self.agents]

    def render(self) -> Any:
        """PettingZoo's render (build the env with ``render_mode="rgb_array"`` for the mosaic)."""
        return self.env.render()

    def close(self) -> None:
        """Close the PettingZoo env."""
        self.env.close()


def moves_in_turns(env: Any) -> bool:
    """True for an AEC env whose agents move in turn (PettingZoo's metadata says it is not parallelizable)."""
    try:
        from pettingzoo import AECEnv
    except ImportError:
        return False
    return isinstance(env, AECEnv) and not getattr(env, "metadata", {}).get("is_parallelizable", False)


def pettingzoo_env(env: Any, agents: list[str] | None = None) -> PettingZooEnv | TurnBasedPettingZoo:
    """A PettingZoo ParallelEnv or AECEnv as an arena env; entity i is ``possible_agents[i]`` (or ``agents[i]``).

    An AEC env whose agents move in turn (board and card games) is played in turns: only the
    agent to move is asked (``arena.wrappers.turns``); any other goes through ``aec_to_parallel``.
    """
    if moves_in_turns(env):
        return TurnBasedPettingZoo(env, agents)
    return PettingZooEnv(env, agents)
