"""Touchdown: N versus N players on a square field; a team scores by crossing the far line.

Team 0 (entities ``0..N-1``) starts at the bottom and scores at the top line; team 1
(entities ``N..2N-1``) starts at the top and scores at the bottom line. When players
of opposing teams touch, both are sent back to their start positions. Scoring gives
+1 to every player of the scoring team and -1 to every player of the other; the
episode then terminates, or is truncated after ``max_steps``.

Each team sees the field from its own side (its goal is always "up"), so one policy
can play either side. Each team independently has ``"vector"`` or ``"image"``
(84x84x1 uint8) observations and ``"discrete"`` (5: stay, up, down, left, right)
or ``"continuous"`` (2-D velocity in [-1, 1]) actions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding

IMAGE_SIZE = 84
_MOVES = np.array([[0, 0], [0, 1], [0, -1], [-1, 0], [1, 0]], dtype=np.float64)


def _per_team(value: str | Sequence[str], allowed: tuple[str, ...], name: str) -> tuple[str, str]:
    pair = (value, value) if isinstance(value, str) else tuple(value)
    if len(pair) != 2 or any(v not in allowed for v in pair):
        raise ValueError(f"{name} must be one of {allowed} or a pair of them, got {value!r}")
    return pair


class Touchdown:
    """The arena's multi-agent list interface, one entity per player."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 20}

    def __init__(
        self,
        players_per_team: int = 1,
        obs_types: str | Sequence[str] = "vector",
        action_types: str | Sequence[str] = "discrete",
        max_steps: int = 100,
        speed: float = 0.1,
        touch_distance: float = 0.1,
        render_mode: str | None = "rgb_array",
    ):
        if players_per_team < 1:
            raise ValueError("players_per_team must be at least 1")
        self.n = int(players_per_team)
        self.obs_types = _per_team(obs_types, ("vector", "image"), "obs_types")
        self.action_types = _per_team(action_types, ("discrete", "continuous"), "action_types")
        self.max_steps, self.speed, self.touch_distance = int(max_steps), float(speed), float(touch_distance)
        self.render_mode = render_mode
        vector = spaces.Box(0.0, 1.0, shape=(4 * self.n + 1,), dtype=np.float32)
        image = spaces.Box(0, 255, shape=(IMAGE_SIZE, IMAGE_SIZE, 1), dtype=np.uint8)
        discrete = spaces.Discrete(5)
        continuous = spaces.Box(-1.0, 1.0, shape=(2,), dtype=np.float32)
        self.observation_spaces, self.action_spaces = [], []
        for team in (0, 1):
            for _ in range(self.n):
                self.observation_spaces.append(vector if self.obs_types[team] == "vector" else image)
                self.action_spaces.append(discrete if self.action_types[team] == "discrete" else continuous)
        self.np_random, _ = seeding.np_random(None)
        xs = (np.arange(self.n) + 1.0) / (self.n + 1.0)
        self.starts = np.concatenate([np.stack([xs, np.full(self.n, 0.1)], 1), np.stack([xs, np.full(self.n, 0.9)], 1)])
        self.pos = self.starts.copy()
        self.t = 0

    def team(self, entity: int) -> int:
        """0 or 1."""
        return entity // self.n

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[list, list[dict]]:
        """Put every player at its start line, with a little sideways jitter."""
        if seed is not None:
            self.np_random, _ = seeding.np_random(seed)
        self.pos = self.starts.copy()
        self.pos[:, 0] = np.clip(self.pos[:, 0] + self.np_random.uniform(-0.05, 0.05, 2 * self.n), 0.0, 1.0)
        self.t = 0
        return [self._observe(e) for e in range(2 * self.n)], [{} for _ in range(2 * self.n)]

    def step(self, actions: Sequence[Any]) -> tuple[list, list[float], bool, bool, list[dict]]:
        """Move every player, then score, then resolve touches."""
        if len(actions) != 2 * self.n:
            raise ValueError(f"Touchdown expects {2 * self.n} actions, got {len(actions)}")
        for e, action in enumerate(actions):
            move = self._move(e, action)
            if self.team(e) == 1:  # team 1 sees the field upside down
                move = -move
            self.pos[e] = self.pos[e] + self.speed * move
            self.pos[e, 0] = np.clip(self.pos[e, 0], 0.0, 1.0)
        self.t += 1
        eps = 1e-9  # nine steps of 0.1 from 0.1 land a hair below 1.0 in floating point
        scored = [bool(np.any(self.pos[: self.n, 1] >= 1.0 - eps)), bool(np.any(self.pos[self.n :, 1] <= eps))]
        rewards = [0.0] * (2 * self.n)
        if scored[0] != scored[1]:
            winner = 0 if scored[0] else 1
            rewards = [1.0 if self.team(e) == winner else -1.0 for e in range(2 * self.n)]
        terminated = any(scored)
        self.pos[:, 1] = np.clip(self.pos[:, 1], 0.0, 1.0)
        self._resolve_touches()
        truncated = not terminated and self.t >= self.max_steps
        infos = [{} for _ in range(2 * self.n)]
        if terminated or truncated:
            winner = 0 if rewards[0] > 0 else (1 if rewards[0] < 0 else -1)
            infos = [{"winner": winner} for _ in range(2 * self.n)]
        return [self._observe(e) for e in range(2 * self.n)], rewards, terminated, truncated, infos

    def _move(self, entity: int, action: Any) -> np.ndarray:
        if self.action_types[self.team(entity)] == "discrete":
            return _MOVES[int(action)]
        return np.clip(np.asarray(action, dtype=np.float64).reshape(2), -1.0, 1.0)

    def _resolve_touches(self) -> None:
        team0, team1 = self.pos[: self.n], self.pos[self.n :]
        dist = np.linalg.norm(team0[:, None, :] - team1[None, :, :], axis=-1)
        touched0, touched1 = np.nonzero(dist < self.touch_distance)
        self.pos[touched0] = self.starts[touched0]
        self.pos[self.n + touched1] = self.starts[self.n + touched1]

    def _team_frame(self, team: int) -> np.ndarray:
        return self.pos.copy() if team == 0 else 1.0 - self.pos

    def _observe(self, entity: int) -> np.ndarray:
        team = self.team(entity)
        pos = self._team_frame(team)
        mates = [e for e in range(team * self.n, (team + 1) * self.n) if e != entity]
        foes = list(range((1 - team) * self.n, (2 - team) * self.n))
        if self.obs_types[team] == "vector":
            order = [entity, *mates, *foes]
            time_left = 1.0 - self.t / self.max_steps
            return np.append(pos[order].reshape(-1), time_left).astype(np.float32)
        image = np.zeros((IMAGE_SIZE, IMAGE_SIZE, 1), dtype=np.uint8)
        for group, value in ((foes, 85), (mates, 170), ([entity], 255)):
            for e in group:
                col, row = _pixel(pos[e], IMAGE_SIZE)
                image[max(0, row - 2) : row + 3, max(0, col - 2) : col + 3, 0] = value
        return image

    def render(self) -> np.ndarray:
        """An RGB frame of the field: team 0 red (scores at the top), team 1 blue."""
        size = 168
        frame = np.zeros((size, size, 3), dtype=np.uint8)
        frame[:] = (40, 120, 40)
        frame[:6], frame[-6:] = (200, 200, 200), (200, 200, 200)
        for e in range(2 * self.n):
            col, row = _pixel(self.pos[e], size)
            color = (220, 50, 50) if self.team(e) == 0 else (60, 90, 230)
            frame[max(0, row - 4) : row + 5, max(0, col - 4) : col + 5] = color
        return frame

    def close(self) -> None:
        """Nothing to release."""


def _pixel(xy: np.ndarray, size: int) -> tuple[int, int]:
    col = int(round(float(xy[0]) * (size - 1)))
    row = int(round((1.0 - float(xy[1])) * (size - 1)))
    return col, row
