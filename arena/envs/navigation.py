"""Cover: N agents spread out to cover N landmarks on a unit square (cooperative navigation).

The task of arena5's ``CoverEnv`` and of MPE's ``simple_spread``, written for the
arena's list interface with numpy alone (no pygame). Each agent moves with a 2-D
velocity in [-1, 1], times ``speed``, and stays inside the square. Every step every
agent gets the same reward: minus the mean, over landmarks, of the distance to the
nearest agent, minus ``collision_penalty`` for each pair of agents closer than
``agent_size``. Episodes are truncated after ``max_steps``; they never terminate.

Agent ``i`` observes ``4 N`` values: its own position, every landmark relative to
it, then every other agent relative to it (in entity order). ``infos[i]["covered"]``
counts the landmarks that have an agent within ``agent_size``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding


class Cover:
    """The arena's multi-agent list interface, one entity per agent, all on one team."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 20}

    def __init__(
        self,
        n_agents: int = 2,
        max_steps: int = 50,
        speed: float = 0.05,
        agent_size: float = 0.05,
        collision_penalty: float = 0.1,
        render_mode: str | None = "rgb_array",
    ):
        if n_agents < 1:
            raise ValueError("n_agents must be at least 1")
        self.n, self.max_steps, self.speed = int(n_agents), int(max_steps), float(speed)
        self.agent_size, self.collision_penalty = float(agent_size), float(collision_penalty)
        self.render_mode = render_mode
        observation = spaces.Box(-1.0, 1.0, shape=(4 * self.n,), dtype=np.float32)
        action = spaces.Box(-1.0, 1.0, shape=(2,), dtype=np.float32)
        self.observation_spaces = [observation] * self.n
        self.action_spaces = [action] * self.n
        self.np_random, _ = seeding.np_random(None)

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[list, list[dict]]:
        """Agents anywhere on the square, landmarks inside its middle 80%."""
        if seed is not None:
            self.np_random, _ = seeding.np_random(seed)
        self.agents = self.np_random.uniform(0.0, 1.0, (self.n, 2))
        self.landmarks = self.np_random.uniform(0.1, 0.9, (self.n, 2))
        self.t = 0
        return [self._observe(i) for i in range(self.n)], [{} for _ in range(self.n)]

    def step(self, actions: Sequence[Any]) -> tuple[list, list[float], bool, bool, list[dict]]:
        """Move every agent, then reward the whole team alike."""
        if len(actions) != self.n:
            raise ValueError(f"Cover expects {self.n} actions, got {len(actions)}")
        moves = np.clip(np.asarray([np.asarray(a, dtype=np.float64).reshape(2) for a in actions]), -1.0, 1.0)
        self.agents = np.clip(self.agents + self.speed * moves, 0.0, 1.0)
        self.t += 1
        to_landmarks = np.linalg.norm(self.landmarks[:, None, :] - self.agents[None, :, :], axis=-1)  # (L, A)
        nearest = to_landmarks.min(axis=1)
        apart = np.linalg.norm(self.agents[:, None, :] - self.agents[None, :, :], axis=-1)
        collisions = int(np.count_nonzero(np.triu(apart < self.agent_size, k=1)))
        reward = float(-nearest.mean() - self.collision_penalty * collisions)
        covered = int(np.count_nonzero(nearest < self.agent_size))
        infos = [{"covered": covered} for _ in range(self.n)]
        obs = [self._observe(i) for i in range(self.n)]
        return obs, [reward] * self.n, False, self.t >= self.max_steps, infos

    def _observe(self, i: int) -> np.ndarray:
        others = [j for j in range(self.n) if j != i]
        relative = np.concatenate(
            [(self.landmarks - self.agents[i]).reshape(-1), (self.agents[others] - self.agents[i]).reshape(-1)]
        )
        return np.concatenate([self.agents[i], relative]).astype(np.float32)

    def render(self) -> np.ndarray:
        """An RGB frame: landmarks as grey squares, agents as coloured squares."""
        size = 168
        frame = np.full((size, size, 3), 245, dtype=np.uint8)
        colors = [(220, 50, 50), (50, 160, 60), (60, 90, 230), (230, 180, 30), (180, 60, 200), (40, 190, 200)]
        for points, color, half in ((self.landmarks, None, 6), (self.agents, colors, 4)):
            for k, (x, y) in enumerate(points):
                col, row = int(round(x * (size - 1))), int(round((1.0 - y) * (size - 1)))
                fill = (150, 150, 150) if color is None else color[k % len(color)]
                frame[max(0, row - half) : row + half + 1, max(0, col - half) : col + half + 1] = fill
        return frame

    def close(self) -> None:
        """Nothing to release."""
