"""The evaluation protocol's games, without MPI: load a policy's greedy actor, play whole games, film one.

A life lost is not a game over; scores are the true, unclipped game scores from
``info["episode"]`` where the env reports them. Atari games are cut at 18,000 emulator
frames by default (108,000 with sticky actions). ``python -m arena.evaluate`` and the
in-training evaluations (``arena.evaluation.schedule``, ``arena.evaluation.process``)
play with these functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from arena.algos import ACTORS, resolve_policy
from arena.envs.api import (
    entity_spaces,
    game_continues,
    game_score,
    load_make_env,
    reset_env,
    reset_env_form,
    step_env,
)
from arena.envs.atari import atari_facts, running_score
from arena.envs.masks import OBSERVATION_KEY, has_mask, legal_sample, mask_of
from arena.evaluation.summary import summarize

VIDEO_FPS = 15  # Atari runs at 60 frames/s and the agent acts every 4th frame
MAX_FRAMES = 18_000  # an Atari game's cap without sticky actions (5 minutes, Nature DQN's evaluation)
MAX_FRAMES_STICKY = 108_000  # with sticky actions (30 minutes, Machado et al. 2018)
NOOP_STARTS = 30  # no-op starts the evaluation adds where an Atari env has none of its own


def load_actor(checkpoint: str | dict, obs_space: Any, act_space: Any) -> Callable:
    """The policy in ``checkpoint`` (a path or a loaded state; any built-in learner, by its "algo"), on the CPU."""
    state = checkpoint
    if isinstance(checkpoint, str):
        state = torch.load(checkpoint, map_location="cpu", weights_only=True)
        print(f"[evaluate] {checkpoint}: {state.get('algo', 'ppo')}, trained for {state.get('global_step', 0):,} steps")
    algo = state.get("algo", "ppo")  # checkpoints from before the zoo are PPO's
    if algo not in ACTORS:
        raise ValueError(f"the checkpoint holds a {algo!r} policy; arena.evaluate plays {sorted(ACTORS)}")
    return resolve_policy(ACTORS[algo])(state, obs_space, act_space)


class Chooser:
    """obs -> action: the policy's action (greedy, or sampled), replaced by a random one with probability epsilon.

    It counts its actions and the random ones, so the epsilon actually played is on record.
    """

    def __init__(self, act: Callable, act_space: Any, epsilon: float, sample: bool, rng: np.random.Generator):
        self.act, self.act_space, self.epsilon, self.sample, self.rng = act, act_space, epsilon, sample, rng
        self.actions = self.random = 0

    def __call__(self, obs: Any) -> Any:
        """The action for one observation (a legal one, where the observation carries an action mask)."""
        self.actions += 1
        mask = mask_of(obs)
        if self.rng.random() < self.epsilon:
            self.random += 1
            return legal_sample(self.act_space, mask)
        if mask is None:
            return self.act(np.asarray(obs)[None], self.sample)[0]
        return self.act(np.asarray(obs[OBSERVATION_KEY])[None], self.sample, mask=mask[None])[0]


def make_chooser(act: Callable, act_space: Any, epsilon: float, sample: bool, rng: np.random.Generator) -> Chooser:
    """The ``Chooser`` for a policy's ``act``."""
    return Chooser(act, act_space, epsilon, sample, rng)


class VideoWriter:
    """RGB frames to an MP4 file as they come (a whole game never sits in memory)."""

    def __init__(self, path: str, fps: int = VIDEO_FPS):
        self.path, self.fps, self.video, self.frames = path, fps, None, 0

    def add(self, frame: Any) -> None:
        """Append one frame (None frames are skipped)."""
        if frame is None:
            return
        import cv2

        frame = np.asarray(frame, dtype=np.uint8)
        if self.video is None:
            h, w = frame.shape[:2]
            self.video = cv2.VideoWriter(self.path, cv2.VideoWriter_fourcc(*"mp4v"), self.fps, (w, h))
        self.video.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        self.frames += 1

    def close(self) -> None:
        """Finish the file; ValueError if no frame came (the env does not render)."""
        if self.video is None:
            raise ValueError("the env's render() returned no frames; build it with render_mode='rgb_array'")
        self.video.release()


@dataclass
class Game:
    """One played game: its true score, agent steps, and whether the frame cap ended it."""

    score: float
    steps: int
    capped: bool


def play_game(
    env: Any,
    n: int,
    entities: int | list[int],
    choose: Callable,
    act_spaces: list,
    video: VideoWriter | None = None,
    max_steps: int | None = None,
    noop_starts: int = 0,
    rng: np.random.Generator | None = None,
) -> Game:
    """One whole game: episodes that only cost a life (``info["game_over"]`` False) continue it.

    ``entities`` play by ``choose``; the others act at random. The game ends at game
    over or after ``max_steps`` agent steps; then its score is the unclipped score so
    far where the env keeps one (``arena.envs.atari.running_score``). With
    ``noop_starts``, each game starts with 1 to that many NOOPs (action 0).
    """
    mine = [entities] if isinstance(entities, int) else list(entities)
    obs, _, legacy = reset_env_form(env, n)
    returns, length = np.zeros(n), 0
    noops = int(rng.integers(1, noop_starts + 1)) if noop_starts and rng is not None else 0
    while True:
        if length < noops:
            actions = [0 if e in mine else legal_sample(s, mask_of(obs[e])) for e, s in enumerate(act_spaces)]
        else:
            actions = [
                choose(obs[e]) if e in mine else legal_sample(s, mask_of(obs[e])) for e, s in enumerate(act_spaces)
            ]
        result = step_env(env, actions, n, legacy)
        returns += result.rewards
        length += 1
        if video is not None:
            video.add(env.render())
        if result.episode_over:
            if not game_continues(result.infos):
                score, length = game_score([result.infos[e] for e in mine], returns[mine], length)
                return Game(score, length, False)
            obs, _ = reset_env(env, n)
        else:
            obs = result.obs
        if max_steps is not None and length >= max_steps:
            true_score = running_score(env) if n == 1 else None
            return Game(float(np.mean(returns[mine])) if true_score is None else true_score, length, True)


def game_cap(env: Any, max_frames: int | None) -> tuple[int | None, int, int]:
    """(agent steps per game or None, frames per agent step, no-op starts to add) for the protocol on ``env``.

    Atari games get ``max_frames`` (default 18,000; 108,000 with sticky actions) and
    30 no-op starts where the env has none; other envs end games themselves.
    """
    facts = atari_facts(env)
    if facts is None:
        return (None if max_frames is None else int(max_frames)), 1, 0
    frames = max_frames or (MAX_FRAMES_STICKY if facts.sticky else MAX_FRAMES)
    return -(-int(frames) // facts.frame_skip), facts.frame_skip, 0 if facts.noop_max else NOOP_STARTS


def evaluate(
    make_env: Callable[..., Any] | str,
    checkpoint: str,
    games: int = 10,
    epsilon: float = 0.0,
    sample: bool = False,
    entity: int = 0,
    video: str | None = None,
    seed: int = 0,
    env_kwargs: dict | None = None,
    max_frames: int | None = None,
) -> dict:
    """Play ``games`` whole games with the policy in ``checkpoint``; other entities act randomly."""
    env = load_make_env(make_env)(**(env_kwargs or {}))
    if hasattr(env, "num_copies"):
        raise ValueError(
            f"make_env(**{env_kwargs or {}}) built a batch of {env.num_copies} copies (such as a multi-game batch); "
            "evaluation plays one plain game: evaluate with a make_env that builds one, such as "
            "arena.envs.atari.make_atari_game(game, full_action_space=True) for a policy of many games"
        )
    obs_spaces, act_spaces = entity_spaces(env)
    n = len(obs_spaces)
    if not 0 <= entity < n:
        raise ValueError(f"entity {entity} out of range: the env has {n} entities")
    for i, space in enumerate(act_spaces):
        space.seed(seed + i)
    rng = np.random.default_rng(seed)
    network_space = obs_spaces[entity][OBSERVATION_KEY] if has_mask(obs_spaces[entity]) else obs_spaces[entity]
    act = load_actor(checkpoint, network_space, act_spaces[entity])
    choose = make_chooser(act, act_spaces[entity], epsilon, sample, rng)
    max_steps, _, noops = game_cap(env, max_frames)
    reset_env(env, n, seed=seed)
    played = []
    for game in range(games):
        writer = VideoWriter(video) if video and game == 0 else None
        played.append(play_game(env, n, entity, choose, act_spaces, writer, max_steps, noops, rng))
        capped = " (cut at the frame cap)" if played[-1].capped else ""
        print(f"[evaluate] game {game + 1}/{games}: score {played[-1].score:g} in {played[-1].steps} steps{capped}")
        if writer is not None:
            writer.close()
            print(f"[evaluate] video of game 1: {video}", flush=True)
    if hasattr(env, "close"):
        env.close()
    summary = {k: float(v) for k, v in summarize([g.score for g in played]).items()}
    summary |= {"scores": [g.score for g in played], "lengths": [g.steps for g in played]}
    summary |= {"games": games, "random_actions": choose.random / max(choose.actions, 1)}
    print(
        f"[evaluate] {games} games: mean {summary['mean']:.2f} std {summary['std']:.2f} "
        f"min {summary['min']:g} max {summary['max']:g}",
        flush=True,
    )
    return summary
