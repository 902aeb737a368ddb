"""Turn-based PettingZoo games (AEC envs whose agents move in turn) as arena envs.

Entity ``i`` is ``possible_agents[i]``. ``mover`` is the entity whose turn it is; ``step``
plays only ``actions[mover]`` (the other entries are ignored) and returns every entity's
observation, the rewards this move earned each entity, and the flags. When the game ends
every entity is terminated or truncated at once (PettingZoo's bookkeeping of agents that
leave, stepping ``None`` for them, happens here). ``turn_based`` tells the arena to ask
only the entity to move: ``arena.ranks.env.turns``. A game that gives its legal moves in
``info["action_mask"]`` (OpenSpiel's games through Shimmy) observes them as PettingZoo's
classic games do, ``{"observation": ..., "action_mask": ...}``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces


class TurnBasedPettingZoo:
    """The arena's list interface over a PettingZoo AEC env whose agents move in turn."""

    turn_based = True

    def __init__(self, env: Any, agents: list[str] | None = None):
        self.env = env
        possible = list(getattr(env, "possible_agents", None) or [])
        self.agents = list(agents) if agents is not None else possible
        if not self.agents or any(a not in possible for a in self.agents) or len(set(self.agents)) != len(self.agents):
            raise ValueError(f"agents {self.agents} must be distinct names from possible_agents {possible}")
        self.index = {a: i for i, a in enumerate(self.agents)}
        self.observation_spaces = [env.observation_space(a) for a in self.agents]
        self.action_spaces = [env.action_space(a) for a in self.agents]
        # Games that give the legal moves in the info (OpenSpiel through Shimmy) get them in the observation,
        # PettingZoo's way ({"observation", "action_mask"}): infos reach a worker only at a game's end.
        env.reset()
        self.info_masks = not any(isinstance(o, spaces.Dict) for o in self.observation_spaces) and any(
            "action_mask" in env.infos.get(a, {}) for a in self.agents
        )
        if self.info_masks:
            self.observation_spaces = [
                spaces.Dict({"observation": o, "action_mask": spaces.MultiBinary(int(a.n))})
                for o, a in zip(self.observation_spaces, self.action_spaces)
            ]
        self.metadata = getattr(env, "metadata", {})
        self.render_mode = getattr(env, "render_mode", None)
        self.mover = 0

    def _observe_all(self) -> list:
        if not self.info_masks:
            return [self.env.observe(a) for a in self.agents]
        out = []
        for agent, space in zip(self.agents, self.action_spaces):
            mask = self.env.infos.get(agent, {}).get("action_mask", np.zeros(int(space.n)))
            out.append({"observation": self.env.observe(agent), "action_mask": np.asarray(mask, np.int8)})
        return out

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[list, list[dict]]:
        """A new game: every entity's first observation; ``mover`` is the entity to move first."""
        self.env.reset(seed=seed, options=options)
        self.mover = self.index[self.env.agent_selection]
        return self._observe_all(), [dict(self.env.infos.get(a, {})) for a in self.agents]

    def step(self, actions: list) -> tuple[list, np.ndarray, np.ndarray, np.ndarray, list[dict]]:
        """Play the mover's action; the rewards it earned every entity, and the game's end for all of them."""
        n = len(self.agents)
        rewards = np.zeros(n)
        self.env.step(actions[self.mover])
        self._add_rewards(rewards)
        # Agents that have left are stepped with None until the next live one is selected (or none is left).
        while self.env.agents and self._done(self.env.agent_selection):
            self.env.step(None)
            self._add_rewards(rewards)
        over = not self.env.agents or all(self._done(a) for a in self.env.agents)
        terminated, truncated = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
        if over:
            truncated[:] = [bool(self.env.truncations.get(a, False)) for a in self.agents]
            terminated[:] = ~truncated
        else:
            self.mover = self.index[self.env.agent_selection]
        return (
            self._observe_all(),
            rewards,
            terminated,
            truncated,
            [dict(self.env.infos.get(a, {})) for a in self.agents],
        )

    def _done(self, agent: str) -> bool:
        return bool(self.env.terminations.get(agent, False) or self.env.truncations.get(agent, False))

    def _add_rewards(self, rewards: np.ndarray) -> None:
        for agent, reward in self.env.rewards.items():
            if agent in self.index:
                rewards[self.index[agent]] += float(reward)

    def render(self) -> Any:
        """PettingZoo's render (build the env with ``render_mode="rgb_array"`` for the mosaic)."""
        return self.env.render()

    def close(self) -> None:
        """Close the PettingZoo env."""
        self.env.close()
