"""DeepMind-style Atari preprocessing on Gymnasium + ale-py, with the baselines names.

``wrap_deepmind(make_atari("PongNoFrameskip-v4"))`` gives what Atari users know:
30 random no-ops on reset, frame skip 4 with the last two frames max-pooled,
84x84 grayscale frames in a stack of 4, FIRE on reset where the game needs it,
and, for learning only, life loss as an episode end and rewards clipped to their
sign. ``RecordEpisodeStatistics`` sits below the learning-only wrappers, so
``info["episode"]`` at the end of a whole game holds the true game score, and
every episode end carries ``info["game_over"]``: False when only a life was lost.
The arena's records count whole games and true scores from these two keys.
"""

from __future__ import annotations

from typing import Any

import ale_py
import cv2
import gymnasium as gym
import numpy as np
from gymnasium.wrappers import FrameStackObservation, RecordEpisodeStatistics, TimeLimit

gym.register_envs(ale_py)


class NoopReset(gym.Wrapper):
    """On reset, take a random number (1 to ``noop_max``) of NOOP actions, so starts differ."""

    def __init__(self, env: gym.Env, noop_max: int = 30):
        super().__init__(env)
        if env.unwrapped.get_action_meanings()[0] != "NOOP":
            raise ValueError("NoopReset needs action 0 to be NOOP")
        self.noop_max = noop_max

    def reset(self, **kwargs: Any) -> tuple[Any, dict]:
        """Reset, then idle for a random number of frames."""
        obs, info = self.env.reset(**kwargs)
        for _ in range(int(self.np_random.integers(1, self.noop_max + 1))):
            obs, _, terminated, truncated, info = self.env.step(0)
            if terminated or truncated:
                obs, info = self.env.reset()
        return obs, info


class FireReset(gym.Wrapper):
    """Press FIRE after reset, for games that wait for it before play starts."""

    def __init__(self, env: gym.Env):
        super().__init__(env)
        meanings = env.unwrapped.get_action_meanings()
        if len(meanings) < 3 or meanings[1] != "FIRE":
            raise ValueError("FireReset needs action 1 to be FIRE")

    def reset(self, **kwargs: Any) -> tuple[Any, dict]:
        """Reset, then FIRE (and, as in the reference wrappers, move once)."""
        self.env.reset(**kwargs)
        for action in (1, 2):
            obs, _, terminated, truncated, info = self.env.step(action)
            if terminated or truncated:
                self.env.reset(**kwargs)
        return obs, info


class EpisodicLife(gym.Wrapper):
    """Losing a life ends the episode for learning; the game itself goes on until it is over.

    Every episode end carries ``info["game_over"]``, so records can count whole games.
    """

    def __init__(self, env: gym.Env):
        super().__init__(env)
        self.lives = 0
        self.game_over = True

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict]:
        """Step; a lost life (with lives left) reads as ``terminated``."""
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.game_over = bool(terminated or truncated)
        lives = self.env.unwrapped.ale.lives()
        life_lost = 0 < lives < self.lives
        self.lives = lives
        if life_lost or self.game_over:
            info["game_over"] = self.game_over
        return obs, reward, terminated or life_lost, truncated, info

    def reset(self, **kwargs: Any) -> tuple[Any, dict]:
        """A real reset after game over; after a lost life, one NOOP step instead."""
        if self.game_over:
            obs, info = self.env.reset(**kwargs)
        else:
            obs, _, terminated, truncated, info = self.env.step(0)
            if terminated or truncated:  # the game ended during the NOOP
                obs, info = self.env.reset(**kwargs)
        self.game_over = False
        self.lives = self.env.unwrapped.ale.lives()
        return obs, info


class MaxAndSkipFrames(gym.Wrapper):
    """Repeat each action for ``skip`` frames on the emulator; observe the max of the last two screens.

    Plays as Gymnasium's ``MaxAndSkipObservation`` over a frameskip=1 ``AtariEnv``
    (including its stale screen when a game ends within the first frames of a step),
    but reads only the two screens it pools instead of one per frame, and skips the
    per-frame wrapper calls: the one-copy path's emulator time is mostly here.
    """

    def __init__(self, env: gym.Env, skip: int = 4, full_action_space: bool = False):
        super().__init__(env)
        self.ale = env.unwrapped.ale
        self.actions = list(self.ale.getLegalActionSet() if full_action_space else self.ale.getMinimalActionSet())
        if full_action_space:  # all 18, even where the game's legal set is smaller (Skiing has 9)
            self.actions = [self.actions[i] for i in full_action_indices(self.actions)]
            self.action_space = gym.spaces.Discrete(len(self.actions))
        self.skip = skip
        self.screens = np.zeros((2, *env.observation_space.shape), np.uint8)
        self.read_screen = self.ale.getScreenGrayscale if self.screens.ndim == 3 else self.ale.getScreenRGB

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict]:
        """``skip`` frames of ``action`` (fewer if the game ends); the pooled screen and the summed reward."""
        reward, terminated, truncated = 0.0, False, False
        for i in range(self.skip):
            reward += self.ale.act(self.actions[int(action)], 1.0)
            if i >= self.skip - 2:
                self.read_screen(self.screens[i - self.skip + 2])
            terminated, truncated = self.ale.game_over(with_truncation=False), self.ale.game_truncated()
            if terminated or truncated:
                break
        info = {
            "lives": self.ale.lives(),
            "episode_frame_number": self.ale.getEpisodeFrameNumber(),
            "frame_number": self.ale.getFrameNumber(),
        }
        return self.screens.max(axis=0), reward, terminated, truncated, info


class WarpFrame(gym.ObservationWrapper):
    """Frames to ``size`` x ``size`` (grayscale by default) with area interpolation."""

    def __init__(self, env: gym.Env, size: int = 84, grayscale: bool = True):
        super().__init__(env)
        self.size, self.grayscale = size, grayscale
        shape = (size, size) if grayscale else (size, size, 3)
        self.observation_space = gym.spaces.Box(0, 255, shape, dtype=np.uint8)

    def observation(self, frame: np.ndarray) -> np.ndarray:
        """Convert and resize one frame."""
        if self.grayscale and frame.ndim == 3:
            frame = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        return cv2.resize(frame, (self.size, self.size), interpolation=cv2.INTER_AREA)


class ClipRewardSign(gym.RewardWrapper):
    """Rewards become -1, 0 or +1 (learning only; ``info["episode"]`` keeps the true score)."""

    def reward(self, reward: float) -> float:
        """The sign of the reward."""
        return float(np.sign(reward))


class ScaledFloatFrame(gym.ObservationWrapper):
    """uint8 frames as float32 in [0, 1]; rarely wanted, as networks scale frames on the device."""

    def __init__(self, env: gym.Env):
        super().__init__(env)
        self.observation_space = gym.spaces.Box(0.0, 1.0, env.observation_space.shape, dtype=np.float32)

    def observation(self, frame: np.ndarray) -> np.ndarray:
        """Divide by 255."""
        return np.asarray(frame, dtype=np.float32) / 255.0


class LegacySeed(gym.Wrapper):
    """Accepts the old ``env.seed(n)`` call: the next reset without a seed uses ``n``.

    Under the arena this is only for compatibility, since the environment rank
    seeds every match copy itself (kickoff's ``seed``).
    """

    def __init__(self, env: gym.Env):
        super().__init__(env)
        self.pending_seed: int | None = None

    def seed(self, seed: int | None = None) -> list[int | None]:
        """Remember ``seed`` for the next reset."""
        self.pending_seed = seed
        return [seed]

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[Any, dict]:
        """Reset with ``seed``, or else with the one given to ``seed()``."""
        if seed is None:
            seed, self.pending_seed = self.pending_seed, None
        return self.env.reset(seed=seed, options=options)


FULL_ACTIONS = 18  # ALE's joystick: 9 directions (NOOP among them), each with and without FIRE


def full_action_indices(action_set: list) -> np.ndarray:
    """For each of ALE's 18 actions, its index in a game's ``action_set``: itself where the game has it,
    else the same move without FIRE (Skiing's set has no FIRE), else NOOP. One 18-way head fits every game."""
    index = {ale_py.Action(a): i for i, a in enumerate(action_set)}
    found = []
    for action in (ale_py.Action(a) for a in range(FULL_ACTIONS)):
        plain = action.name.replace("FIRE", "") or "NOOP"
        found.append(index.get(action, index.get(ale_py.Action[plain], index.get(ale_py.Action.NOOP, 0))))
    return np.asarray(found, dtype=np.int64)


def make_atari(
    env_id: str,
    max_episode_steps: int | None = None,
    noop_max: int = 30,
    frame_skip: int = 4,
    sticky_actions: bool = False,
    full_action_space: bool = False,
    grayscale_obs: bool = True,
) -> gym.Env:
    """An ALE game with random no-op starts and max-pooled frame skipping, recording true game scores.

    ``env_id`` is a Gymnasium id such as ``"PongNoFrameskip-v4"`` or ``"ALE/Pong-v5"``;
    the emulator always runs every frame and the skipping happens here.
    ``sticky_actions`` is the v5 protocol (``repeat_action_probability=0.25``).
    ``max_episode_steps`` counts agent steps (after skipping). ``grayscale_obs``
    reads the ALE's own grayscale screen (about 20% faster than converting RGB
    frames; set False for RGB observations); ``wrap_deepmind`` takes either.
    ``render()`` always gives RGB frames.
    """
    env = gym.make(
        env_id,
        frameskip=1,
        repeat_action_probability=0.25 if sticky_actions else 0.0,
        full_action_space=full_action_space,
        obs_type="grayscale" if grayscale_obs else "rgb",
        render_mode="rgb_array",
        max_episode_steps=None,
    )
    if noop_max > 0:
        env = NoopReset(env, noop_max)
    if frame_skip > 1:
        env = MaxAndSkipFrames(env, frame_skip, full_action_space)
    if max_episode_steps is not None:
        env = TimeLimit(env, max_episode_steps)
    return RecordEpisodeStatistics(env)


def wrap_deepmind(
    env: gym.Env,
    episode_life: bool = True,
    clip_rewards: bool = True,
    frame_stack: int = 4,
    scale: bool = False,
    fire_reset: bool | None = None,
    screen_size: int = 84,
) -> gym.Env:
    """The DeepMind preprocessing on top of ``make_atari``; observations are uint8 ``(frame_stack, 84, 84)``.

    ``episode_life`` and ``clip_rewards`` shape learning only: ``info["episode"]``
    still reports whole games and true scores. Evaluate with both False.
    ``fire_reset=None`` presses FIRE on reset exactly for games that have FIRE.
    ``frame_stack=0`` or 1 leaves single frames.
    """
    if episode_life:
        env = EpisodicLife(env)
    meanings = env.unwrapped.get_action_meanings()
    if fire_reset or (fire_reset is None and len(meanings) >= 3 and meanings[1] == "FIRE"):
        env = FireReset(env)
    env = WarpFrame(env, screen_size)
    if scale:
        env = ScaledFloatFrame(env)
    if clip_rewards:
        env = ClipRewardSign(env)
    if frame_stack and frame_stack > 1:
        env = FrameStackObservation(env, frame_stack)
    return LegacySeed(env)


__all__ = [
    "ClipRewardSign",
    "EpisodicLife",
    "FireReset",
    "LegacySeed",
    "MaxAndSkipFrames",
    "NoopReset",
    "ScaledFloatFrame",
    "WarpFrame",
    "make_atari",
    "wrap_deepmind",
]
