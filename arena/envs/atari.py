"""Any ALE game as a one-entity arena env, in one call: ``make_atari_game("Pong")``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces

from arena.envs.atari_two_player import TwoPlayerAtari, make_two_player, two_player_games
from arena.envs.batch import BatchStep, Ended
from arena.wrappers.deepmind import (
    FULL_ACTIONS,
    MaxAndSkipFrames,
    NoopReset,
    full_action_indices,
    make_atari,
    wrap_deepmind,
)
from arena.wrappers.single_agent_wrappers import SingleAgentWrapper, single_agent_wrapper


def rom_id(game: str) -> str:
    """ale-py's ROM name for a game: ``"SpaceInvaders"``, ``"space_invaders"``, ``"ALE/SpaceInvaders-v5"``,
    ``"SpaceInvadersNoFrameskip-v4"`` -> ``"space_invaders"``."""
    from ale_py.roms import get_all_rom_ids

    name = game.split("/")[-1].split("-v")[0].removesuffix("NoFrameskip").removesuffix("Deterministic")
    rom = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()  # SpaceInvaders -> space_invaders
    if rom not in get_all_rom_ids():
        close = [r for r in get_all_rom_ids() if r.startswith(rom[:3])]
        hint = f"; did you mean one of {close}?" if close else ""
        raise ValueError(f"unknown Atari game {game!r}{hint} (ale_py.roms.get_all_rom_ids() lists them all)")
    return rom


def atari_env_id(game: str) -> str:
    """The Gymnasium id for a game name: ``"Pong"``, ``"space_invaders"`` -> ``"ALE/Pong-v5"``, ...

    Full ids (``"PongNoFrameskip-v4"``, ``"ALE/Pong-v5"``) pass through unchanged.
    """
    if "/" in game or "-v" in game:
        return game
    return "ALE/" + "".join(part.capitalize() for part in rom_id(game).split("_")) + "-v5"


def make_atari_game(
    game: str = "Pong",
    *,
    num_copies: int = 1,
    sticky_actions: bool = False,
    full_action_space: bool = False,
    max_episode_steps: int | None = None,
    episode_life: bool = True,
    clip_rewards: bool = True,
    frame_stack: int = 4,
    noop_max: int = 30,
    num_threads: int | None = None,
) -> SingleAgentWrapper | AtariBatch:
    """``game`` with DeepMind preprocessing, wrapped for the arena (one entity).

    The defaults match ``wrap_deepmind(make_atari("PongNoFrameskip-v4"))``: no
    sticky actions, the minimal action set, up to 30 no-op frames at each start,
    FIRE after every start and every lost life where the game has FIRE, life loss
    ends episodes and rewards are clipped for learning, while the records get whole
    games and true scores. Pass ``episode_life=False, clip_rewards=False`` to evaluate.

    With ``num_copies=K > 1`` (the arena passes ``kickoff``'s ``copies_per_env`` when
    ``make_env`` takes ``num_copies``) it returns an ``AtariBatch``: K copies whose
    frames are skipped, max-pooled and resized in ale-py's C++ vector env, each copy
    on its own emulator thread, at most ``num_threads`` (default: all) stepping at
    once. It plays step for step like the wrappers.
    """
    if num_copies > 1:
        options = AtariOptions(
            sticky_actions, full_action_space, max_episode_steps, episode_life, clip_rewards, noop_max
        )
        return AtariBatch(game, num_copies, options, frame_stack, num_threads)
    env = make_atari(
        atari_env_id(game),
        max_episode_steps=max_episode_steps,
        noop_max=noop_max,
        sticky_actions=sticky_actions,
        full_action_space=full_action_space,
    )
    env = wrap_deepmind(env, episode_life=episode_life, clip_rewards=clip_rewards, frame_stack=frame_stack)
    return single_agent_wrapper(env)


def make_atari_games(
    games: list[str],
    *,
    num_copies: int | None = None,
    full_action_space: bool = True,
    frame_stack: int = 4,
    num_threads: int | None = None,
    **options: Any,
) -> AtariBatch:
    """A multi-game batch: copy k plays ``games[k % len(games)]``, labelled ``game=<name>``.

    Every game gets ALE's full set of 18 actions by default, so one network acts for all
    of them; games whose action sets differ (``full_action_space=False``) are refused,
    naming them. Each copy's episodes are recorded under its label, so one policy's
    records, curves and scores split by game. ``num_copies`` (kickoff's ``copies_per_env``)
    defaults to one copy per game; ``options`` are ``make_atari_game``'s (``sticky_actions``,
    ``max_episode_steps``, ``episode_life``, ``clip_rewards``, ``noop_max``).
    """
    if isinstance(games, str) or not games:
        raise ValueError(f"make_atari_games takes a non-empty list of game names, got {games!r}")
    copies = len(games) if num_copies is None else int(num_copies)
    if copies < 1:
        raise ValueError(f"num_copies must be at least 1, got {num_copies!r}")
    playing = [games[k % len(games)] for k in range(copies)]
    atari_options = AtariOptions(full_action_space=full_action_space, **options)
    return AtariBatch(playing, copies, atari_options, frame_stack, num_threads)


@dataclass(frozen=True)
class AtariOptions:
    """The options of ``make_atari_game`` that an ``AtariBatch`` applies itself."""

    sticky_actions: bool = False
    full_action_space: bool = False
    max_episode_steps: int | None = None
    episode_life: bool = True
    clip_rewards: bool = True
    noop_max: int = 30


@dataclass
class _Frame:
    """One copy's result from its emulator: the newest 84x84 frame and what came with it."""

    frame: np.ndarray
    reward: float
    terminated: bool
    truncated: bool
    lives: int
    final_frame: np.ndarray | None = None  # the game's last frame, when the emulator restarted it


NOOP, FIRE, RIGHT = 0, 1, 2


class AtariBatch:
    """K copies of an ALE game with DeepMind preprocessing: an arena env batch (see ``arena.envs.batch``).

    Each copy is its own one-game ``ale_py.vector_env.AtariVectorEnv``, which skips
    4 frames, max-pools the last two and resizes to 84x84 grayscale in C++. Everything
    that ``wrap_deepmind`` decides per game happens here, as it does there, so the
    two play the same game step for step:
      - FIRE then RIGHT after every start and after every lost life, where the game
        has FIRE (Breakout shows no ball until FIRE); a NOOP first after a lost life;
      - the frame stack starts over, filled with the first frame, at every start
        and every lost life;
      - a lost life ends the learning episode, rewards are clipped to their sign for
        learning, and each game's end carries its true score in ``info["episode"]``,
        every end ``info["game_over"]``.
    ale-py draws no-op start lengths from 0 to ``noop_max`` - 1 frames with its own
    generator (the wrappers: 1 to ``noop_max`` from the env's), and a game's very last
    frame may repeat the one before; with ``noop_max=0`` the two are equal.
    """

    def __init__(
        self,
        game: str | list[str],
        num_copies: int,
        options: AtariOptions = AtariOptions(),
        frame_stack: int = 4,
        num_threads: int | None = None,
    ):
        from ale_py import Action
        from ale_py.vector_env import AtariVectorEnv

        num_threads = num_copies if num_threads is None else num_threads
        if num_copies < 1 or num_threads < 1:
            raise ValueError(f"AtariBatch needs num_copies >= 1 and num_threads >= 1, got {num_copies}, {num_threads}")
        games = [game] * num_copies if isinstance(game, str) else list(game)
        self.games = games  # the game each copy plays
        if len(games) != num_copies:
            raise ValueError(f"AtariBatch got {len(games)} games for {num_copies} copies; give one per copy")
        steps = options.max_episode_steps
        self.copies = [
            AtariVectorEnv(
                rom_id(name),
                1,
                num_threads=1,
                repeat_action_probability=0.25 if options.sticky_actions else 0.0,
                full_action_space=options.full_action_space,
                max_num_frames_per_episode=4 * steps if steps else 108_000,
                stack_num=1,  # stacks are kept here, to restart them at lost lives
                noop_max=options.noop_max,
                autoreset_mode="SameStep",
                use_fire_reset=False,  # FIRE is pressed here, after lost lives too
                episodic_life=False,  # ale-py's would restart the game at a lost life
                reward_clipping=False,
            )
            for name in games
        ]
        action_sets = [list(env.ale.get_action_set()) for env in self.copies]
        # Full: ALE's 18 actions in every copy, each mapped to its game's set (Skiing's has 9).
        self.action_maps = (
            np.stack([full_action_indices(a) for a in action_sets]) if options.full_action_space else None
        )
        if self.action_maps is None:
            check_action_sets(games, [len(a) for a in action_sets])
        # as wrap_deepmind decides, per game
        self.fire_reset = [len(a) >= 3 and a[FIRE] == Action.FIRE for a in action_sets]
        # Given a list of games (make_atari_games), each copy is labelled with its game; one game: the match's.
        self.labels = None if isinstance(game, str) else [f"game={name}" for name in games]
        self.num_copies, self.in_flight, self.options = num_copies, num_threads, options
        self.threads = min(num_threads, num_copies)  # emulators stepping at once, for the arena's waits
        self.full_strength = np.ones(1, np.float32)  # paddle strength, as AtariVectorEnv.send passes it
        self.stack = max(1, frame_stack)
        self.stacks = np.zeros((num_copies, self.stack, 84, 84), np.uint8)
        shape = (self.stack, 84, 84) if self.stack > 1 else (84, 84)
        self.observation_spaces = [spaces.Box(0, 255, shape, dtype=np.uint8)]
        self.action_spaces = [spaces.Discrete(FULL_ACTIONS if self.action_maps is not None else len(action_sets[0]))]
        self.lives = np.zeros(num_copies, np.int64)
        self.scores, self.lengths = np.zeros(num_copies), np.zeros(num_copies, np.int64)

    # ------------------------------------------------------------ batch API
    def reset(self, seeds: list[int]) -> tuple[list, list[list[dict]]]:
        """Start every copy, each with its own seed."""
        self.scores[:], self.lengths[:] = 0.0, 0
        for k, (env, seed) in enumerate(zip(self.copies, seeds)):
            obs, info = env.reset(seed=np.asarray([seed], dtype=np.int64))
            self._restart_stack(k, self._start(k, obs[0, -1], int(info["lives"][0])))
        return [self._observations()], [[{"lives": int(lives)}] for lives in self.lives]

    def step(self, actions: list) -> BatchStep:
        """Step all copies; games that end restart at once, lives lost only end the learning episode."""
        results = self._step_copies(np.asarray(actions[0], dtype=np.int64))
        rewards = np.array([r.reward for r in results])
        terminated = np.array([r.terminated for r in results])
        truncated = np.array([r.truncated for r in results])
        self.scores += rewards
        self.lengths += 1
        game_over = terminated | truncated
        lives = np.array([r.lives for r in results])
        life_lost = self.options.episode_life & ~game_over & (lives < self.lives) & (lives > 0)
        self.lives[:] = lives
        self.stacks[:, :-1] = self.stacks[:, 1:]
        self.stacks[:, -1] = [r.final_frame if r.final_frame is not None else r.frame for r in results]
        ended = {
            int(k): self._end_episode(int(k), bool(game_over[k]), results[k])
            for k in np.flatnonzero(game_over | life_lost)
        }
        rewards = np.sign(rewards) if self.options.clip_rewards else rewards
        learning_end = terminated | life_lost
        return BatchStep([self._observations()], rewards[:, None], learning_end[:, None], truncated[:, None], ended)

    def render(self, copy: int) -> np.ndarray:
        """The copy's latest 84x84 frame, as RGB (the emulator keeps no full-size screen)."""
        return np.repeat(self.stacks[copy, -1][:, :, None], 3, axis=2)

    def close(self) -> None:
        """Stop the emulator threads."""
        for env in self.copies:
            env.close()

    # ------------------------------------------------------------ per copy
    def _end_episode(self, k: int, game_over: bool, r: _Frame) -> Ended:
        """The ended episode's last observation and infos; the copy starts its next game or life."""
        final_obs = self._observation(k)
        if game_over:
            stats = {"episode": {"r": float(self.scores[k]), "l": int(self.lengths[k])}, "game_over": True}
            self.scores[k], self.lengths[k] = 0.0, 0
            frame = self._start(k, r.frame, r.lives)  # the emulator already restarted the game
        else:
            stats = {"game_over": False}
            frame = self._next_life(k)
        self._restart_stack(k, frame)
        return Ended([final_obs], [stats], [{"lives": int(self.lives[k])}])

    def _start(self, k: int, frame: np.ndarray, lives: int) -> np.ndarray:
        """A fresh game: FIRE then RIGHT where the game has FIRE (``FireReset``); returns the frame to stack."""
        self.lives[k] = lives
        return self._serve(k, frame)

    def _next_life(self, k: int) -> np.ndarray:
        """After a lost life: one NOOP (``EpisodicLife``), then the serve; a game that ends meanwhile restarts."""
        r = self._step_one(k, NOOP)
        if r.terminated or r.truncated:
            return self._start(k, r.frame, r.lives)
        self.lives[k] = r.lives
        return self._serve(k, r.frame)

    def _serve(self, k: int, frame: np.ndarray) -> np.ndarray:
        """FIRE, then RIGHT, steps the agent never sees (games without FIRE skip them)."""
        if not self.fire_reset[k]:
            return frame
        for action in (FIRE, RIGHT):
            r = self._step_one(k, action)
            frame, self.lives[k] = r.frame, r.lives
        return frame

    def _step_one(self, k: int, action: int) -> _Frame:
        """Step one copy alone, a step the agent never sees; the game's score and length still count it.

        A game that ends here (its last life lost within a serve) restarts unrecorded.
        """
        self.copies[k].ale.send(np.asarray([action], dtype=np.int64), self.full_strength)
        r = self._receive(k)
        self.scores[k] += r.reward
        self.lengths[k] += 1
        if r.terminated or r.truncated:
            self.scores[k], self.lengths[k] = 0.0, 0
        return r

    def _step_copies(self, actions: np.ndarray) -> list[_Frame]:
        """Step every copy, ``in_flight`` emulators at a time (full actions first mapped to each game's set).

        Sending to a whole group before receiving lets one core switch between the
        emulator threads once per group instead of twice per copy: 4-8% faster on one
        core with 8 copies than a group of one.
        """
        if self.action_maps is not None:
            actions = self.action_maps[np.arange(self.num_copies), actions]
        results: list[_Frame] = []
        for first in range(0, self.num_copies, self.in_flight):
            group = range(first, min(first + self.in_flight, self.num_copies))
            for k in group:
                self.copies[k].ale.send(actions[k : k + 1], self.full_strength)
            results += [self._receive(k) for k in group]
        return results

    def _receive(self, k: int) -> _Frame:
        obs, reward, terminated, truncated, info = self.copies[k].ale.recv()
        final = info["final_obs"][0][-1] if terminated[0] or truncated[0] else None
        return _Frame(
            obs[0, -1], float(reward[0]), bool(terminated[0]), bool(truncated[0]), int(info["lives"][0]), final
        )

    # ------------------------------------------------------------ frame stacks
    def _restart_stack(self, k: int, frame: np.ndarray) -> None:
        """Every slot holds the first frame, as ``FrameStackObservation`` pads after a reset."""
        self.stacks[k] = frame

    def _observation(self, k: int) -> np.ndarray:
        return self.stacks[k].copy() if self.stack > 1 else self.stacks[k, 0].copy()

    def _observations(self) -> np.ndarray:
        return self.stacks.copy() if self.stack > 1 else self.stacks[:, 0].copy()


def check_action_sets(games: list[str], sizes: list[int]) -> None:
    """ValueError naming the games when the copies of a batch do not share one action space."""
    by_size: dict[int, list[str]] = {}
    for game, size in zip(games, sizes):
        by_size.setdefault(size, [])
        if game not in by_size[size]:
            by_size[size].append(game)
    if len(by_size) > 1:
        groups = "; ".join(f"{size} actions: {', '.join(names)}" for size, names in sorted(by_size.items()))
        raise ValueError(
            f"the games of this batch have different action spaces ({groups}); one policy acts for all copies "
            "of a batch, so give every game the full 18 actions (full_action_space=True)"
        )


@dataclass(frozen=True)
class AtariFacts:
    """What the evaluation protocol needs to know about an Atari env: frames per agent step, sticky actions, no-ops."""

    frame_skip: int
    sticky: bool
    noop_max: int


def wrapper_chain(env: Any) -> list:
    """The env and every env it wraps, outermost first (through ``.env``)."""
    chain = []
    while env is not None and len(chain) < 64:
        chain.append(env)
        env = getattr(env, "env", None)
    return chain


def atari_facts(env: Any) -> AtariFacts | None:
    """The facts of a one-copy ALE env (``make_atari_game`` or ``wrap_deepmind``), or None for any other env."""
    if isinstance(env, AtariBatch):
        return AtariFacts(4, env.options.sticky_actions, env.options.noop_max)
    chain = wrapper_chain(env)
    ale = next((e for e in chain if type(e).__name__ == "AtariEnv"), None)
    if ale is None:
        return None
    kwargs = ale.spec.kwargs if ale.spec is not None else {}
    frameskip = kwargs.get("frameskip", 4)
    skip = int(frameskip) if isinstance(frameskip, int) else 4  # a (low, high) range: ALE's stochastic skip
    skip *= next((e.skip for e in chain if isinstance(e, MaxAndSkipFrames)), 1)
    noops = next((e.noop_max for e in chain if isinstance(e, NoopReset)), 0)
    return AtariFacts(skip, float(kwargs.get("repeat_action_probability", 0.25)) > 0, noops)


def running_score(env: Any) -> float | None:
    """The unclipped score of the game in progress (``RecordEpisodeStatistics``' running sum), if the env keeps one."""
    for e in wrapper_chain(env):
        if hasattr(e, "episode_returns"):
            return float(np.asarray(e.episode_returns).sum())
    return None


__all__ = [
    "AtariBatch",
    "AtariFacts",
    "AtariOptions",
    "TwoPlayerAtari",
    "atari_env_id",
    "atari_facts",
    "make_atari_game",
    "make_two_player",
    "rom_id",
    "running_score",
    "two_player_games",
]
