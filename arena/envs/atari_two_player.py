"""Two-player Atari with no download: PettingZoo's Atari games on ``multi-agent-ale-py``, using ale-py's ROMs.

``make_two_player("pong")`` is an arena env with two entities: entity 0 is
PettingZoo's ``first_0``, entity 1 its ``second_0``. Both players see the same
screen, with DeepMind's preprocessing applied once per step for both:
  - each action is repeated for ``frame_skip`` frames, rewards summed, and the last
    two frames max-pooled;
  - frames are resized to 84x84 grayscale and stacked ``frame_stack`` deep
    (channels first, as ``wrap_deepmind`` does);
  - each game starts with 1 to ``noop_max`` no-op frames for both players;
  - rewards are clipped to their sign for learning (``clip_rewards``), while each
    game's end carries the true score in ``info["episode"]``, which the records use.
``side_channel=True`` adds one plane to each observation, 0 for entity 0 and 255
for entity 1, so one network can tell which side it plays and play both.

The packages are an extra: ``pip install -e ".[multiagent]"``.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import warnings
from typing import Any

import cv2
import numpy as np
from gymnasium import spaces

from arena.wrappers.pettingzoo import pettingzoo_env

MISSING = (
    'two-player Atari needs PettingZoo and multi-agent-ale-py: pip install -e ".[multiagent]" '
    '(or pip install "pettingzoo[atari]")'
)


def two_player_games() -> list[str]:
    """The PettingZoo Atari games by name (``"pong"``, ``"boxing"``, ...); not all of them are two-player."""
    try:
        import pettingzoo.atari as atari
    except ImportError as exc:
        raise ImportError(MISSING) from exc
    names = [m.name for m in pkgutil.iter_modules(atari.__path__) if "_v" in m.name]
    return sorted({name.rsplit("_v", 1)[0] for name in names})


def _game_module(game: str) -> Any:
    """PettingZoo's newest module for ``game`` (``"pong"`` -> ``pettingzoo.atari.pong_v3``)."""
    import pettingzoo.atari as atari

    name = game.lower().replace("-", "_")
    versions = [m.name for m in pkgutil.iter_modules(atari.__path__) if m.name.rsplit("_v", 1)[0] == name]
    if not versions:
        raise ValueError(f"unknown two-player Atari game {game!r}; PettingZoo has {two_player_games()}")
    newest = max(versions, key=lambda v: int(v.rsplit("_v", 1)[1]))
    with warnings.catch_warnings():
        # PettingZoo 1.27 steers users to its registry, whose make() wraps the game in an AEC-to-parallel
        # round trip; the module's parallel_env is the game itself, one step per call.
        warnings.simplefilter("ignore", DeprecationWarning)
        return importlib.import_module(f"pettingzoo.atari.{newest}")


def rom_folder() -> str:
    """ale-py's own ROM folder, where multi-agent-ale-py finds the games (nothing downloads)."""
    from ale_py import roms

    return os.path.dirname(roms.get_rom_path("pong"))


class TwoPlayerAtari:
    """A two-player PettingZoo Atari game with DeepMind preprocessing, in the arena's list interface."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 15}

    def __init__(
        self,
        game: str = "pong",
        frame_skip: int = 4,
        frame_stack: int = 4,
        noop_max: int = 30,
        clip_rewards: bool = True,
        side_channel: bool = False,
        full_action_space: bool = False,
        max_cycles: int = 100_000,
        screen_size: int = 84,
    ):
        try:
            module = _game_module(game)
        except ImportError as exc:
            raise ImportError(MISSING) from exc
        kwargs: dict[str, Any] = {
            "obs_type": "grayscale_image",
            "full_action_space": full_action_space,
            "max_cycles": max_cycles,
            "render_mode": "rgb_array",
            "auto_rom_install_path": rom_folder(),
        }
        if "num_players" in inspect.signature(module.raw_env).parameters:
            kwargs["num_players"] = 2
        self.game = game
        self.pz = pettingzoo_env(module.parallel_env(**kwargs))  # agents leaving early, in one place
        if len(self.pz.agents) != 2:
            raise ValueError(f"{game!r} has {len(self.pz.agents)} players; make_two_player plays two-player games")
        self.frame_skip, self.noop_max, self.clip_rewards = int(frame_skip), int(noop_max), bool(clip_rewards)
        self.side_channel, self.size = bool(side_channel), int(screen_size)
        self.stack = np.zeros((max(1, frame_stack), self.size, self.size), dtype=np.uint8)
        planes = len(self.stack) + int(self.side_channel)
        obs_space = spaces.Box(0, 255, (planes, self.size, self.size), dtype=np.uint8)
        self.observation_spaces = [obs_space, obs_space]
        self.action_spaces = list(self.pz.action_spaces)
        self.rng = np.random.default_rng()
        self.returns, self.length = np.zeros(2), 0

    def _warp(self, screen: np.ndarray) -> np.ndarray:
        return cv2.resize(screen.reshape(screen.shape[:2]), (self.size, self.size), interpolation=cv2.INTER_AREA)

    def _observe(self) -> list[np.ndarray]:
        if not self.side_channel:
            return [self.stack.copy(), self.stack.copy()]
        sides = []
        for value in (0, 255):
            plane = np.full((1, self.size, self.size), value, dtype=np.uint8)
            sides.append(np.concatenate([self.stack, plane]))
        return sides

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[list, list[dict]]:
        """A new game, after 1 to ``noop_max`` no-op frames for both players."""
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        obs, _ = self.pz.reset(seed=seed)
        for _ in range(int(self.rng.integers(1, self.noop_max + 1)) if self.noop_max > 0 else 0):
            obs, _, terminated, truncated, _ = self.pz.step([0, 0])
            if np.all(terminated | truncated):
                obs, _ = self.pz.reset()
        self.stack[:] = self._warp(obs[0])
        self.returns[:], self.length = 0.0, 0
        return self._observe(), [{}, {}]

    def step(self, actions: list) -> tuple[list, np.ndarray, np.ndarray, np.ndarray, list[dict]]:
        """Both players' actions for ``frame_skip`` frames; per-player rewards (clipped) and flags."""
        total = np.zeros(2)
        screens: list[np.ndarray] = []
        for _ in range(self.frame_skip):
            obs, reward, terminated, truncated, _ = self.pz.step(actions)
            total += reward
            screens = [*screens[-1:], obs[1] if self.pz.left[0] else obs[0]]  # the screen of a player still in
            if np.all(terminated | truncated):
                break
        self.stack = np.roll(self.stack, -1, axis=0)
        self.stack[-1] = self._warp(np.max(np.stack(screens), axis=0))
        self.returns += total
        self.length += 1
        infos: list[dict] = [{}, {}]
        if np.all(terminated | truncated):
            infos = [{"episode": {"r": float(r), "l": self.length}} for r in self.returns]
        reward = np.sign(total) if self.clip_rewards else total
        return self._observe(), reward, terminated, truncated, infos

    def render(self) -> np.ndarray:
        """The RGB screen."""
        return self.pz.render()

    def close(self) -> None:
        """Close the emulator."""
        self.pz.close()


def make_two_player(game: str = "pong", **kwargs: Any) -> TwoPlayerAtari:
    """PettingZoo's two-player ``game`` with DeepMind preprocessing, as a two-entity arena env (see the module)."""
    return TwoPlayerAtari(game, **kwargs)
