"""Watch and score a trained policy (PPO or DQN), without MPI.

    python -m arena.evaluate examples/atari --policy 1 --games 10 --epsilon 0.0

loads ``<log_dir>/policy_<id>/checkpoint.pt``, builds the env from ``make_env.py``,
plays whole games (a life lost is not a game over; scores are the true, unclipped
game scores from ``info["episode"]`` where the env reports them), prints mean,
std, min and max, and writes a video of the first game.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from arena.core.env_api import (
    entity_spaces,
    game_continues,
    game_score,
    load_make_env,
    reset_env,
    reset_env_form,
    step_env,
)
from arena.records import policy_dir

VIDEO_FPS = 15  # Atari runs at 60 frames/s and the agent acts every 4th frame


def load_actor(checkpoint: str, obs_space: Any, act_space: Any) -> Callable:
    """The policy saved in ``checkpoint`` (any built-in learner, by its "algo"), on the CPU: ``act(obs, sample)``."""
    import torch

    from arena.algos import ACTORS, resolve_policy

    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    algo = state.get("algo", "ppo")  # checkpoints from before the zoo are PPO's
    if algo not in ACTORS:
        raise ValueError(f"{checkpoint} holds a {algo!r} policy; arena.evaluate plays {sorted(ACTORS)}")
    print(f"[evaluate] {checkpoint}: {algo}, trained for {state.get('global_step', 0):,} steps", flush=True)
    return resolve_policy(ACTORS[algo])(state, obs_space, act_space)


def make_chooser(act: Callable, act_space: Any, epsilon: float, sample: bool, rng: np.random.Generator) -> Callable:
    """obs -> action: the greedy action (or a sample), replaced by a random one with probability ``epsilon``."""

    def choose(obs: Any) -> Any:
        if rng.random() < epsilon:
            return act_space.sample()
        return act(np.asarray(obs)[None], sample)[0]

    return choose


def play_game(env: Any, n: int, entity: int, choose: Callable, act_spaces: list, frames: list | None) -> tuple:
    """One whole game: episodes that only cost a life (``info["game_over"]`` False) continue it."""
    obs, _, legacy = reset_env_form(env, n)
    returns, length = np.zeros(n), 0
    while True:
        actions = [choose(obs[e]) if e == entity else s.sample() for e, s in enumerate(act_spaces)]
        result = step_env(env, actions, n, legacy)
        returns += result.rewards
        length += 1
        if frames is not None:
            frames.append(env.render())
        if result.episode_over:
            if not game_continues(result.infos):
                score, length = game_score([result.infos[entity]], returns[[entity]], length)
                return score, length
            obs, _ = reset_env(env, n)


def write_video(frames: list, path: str, fps: int = VIDEO_FPS) -> None:
    """RGB frames to an MP4 file."""
    import cv2

    frames = [f for f in frames if f is not None]
    if not frames:
        raise ValueError("the env's render() returned no frames; build it with render_mode='rgb_array'")
    h, w = frames[0].shape[:2]
    video = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for frame in frames:
        video.write(cv2.cvtColor(np.asarray(frame, dtype=np.uint8), cv2.COLOR_RGB2BGR))
    video.release()


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
) -> dict:
    """Play ``games`` whole games with the policy in ``checkpoint``; other entities act randomly."""
    env = load_make_env(make_env)(**(env_kwargs or {}))
    obs_spaces, act_spaces = entity_spaces(env)
    n = len(obs_spaces)
    if not 0 <= entity < n:
        raise ValueError(f"entity {entity} out of range: the env has {n} entities")
    for i, space in enumerate(act_spaces):
        space.seed(seed + i)
    choose = make_chooser(
        load_actor(checkpoint, obs_spaces[entity], act_spaces[entity]),
        act_spaces[entity],
        epsilon,
        sample,
        np.random.default_rng(seed),
    )
    reset_env(env, n, seed=seed)
    scores, lengths = [], []
    for game in range(games):
        frames = [] if video and game == 0 else None
        score, length = play_game(env, n, entity, choose, act_spaces, frames)
        scores.append(score)
        lengths.append(length)
        print(f"[evaluate] game {game + 1}/{games}: score {score:g} in {length} steps", flush=True)
        if frames is not None:
            write_video(frames, video)
            print(f"[evaluate] video of game 1: {video}", flush=True)
    if hasattr(env, "close"):
        env.close()
    s = np.asarray(scores)
    summary = {"games": games, "mean": s.mean(), "std": s.std(), "min": s.min(), "max": s.max()}
    summary = {k: float(v) for k, v in summary.items()} | {"scores": scores, "lengths": lengths}
    print(
        f"[evaluate] {games} games: mean {s.mean():.2f} std {s.std():.2f} min {s.min():g} max {s.max():g}", flush=True
    )
    return summary


def main(argv: list[str] | None = None) -> int:
    """The command line."""
    p = argparse.ArgumentParser(prog="python -m arena.evaluate", description=__doc__.split("\n\n")[0])
    p.add_argument("make_env", help="directory holding make_env.py, or the file itself")
    p.add_argument("--policy", type=int, required=True, help="policy id whose checkpoint to play")
    p.add_argument("--log-dir", default=None, help="the run's log_comms_dir (default: <make_env dir>/log_comms)")
    p.add_argument("--games", type=int, default=10, help="number of whole games (default 10)")
    p.add_argument("--epsilon", type=float, default=0.0, help="probability of a random action (default 0)")
    p.add_argument("--sample", action="store_true", help="sample actions instead of taking the most likely")
    p.add_argument("--entity", type=int, default=0, help="the entity the policy plays (others act randomly)")
    p.add_argument("--video", default=None, help="MP4 path for game 1 (default: eval_game.mp4 in the policy folder)")
    p.add_argument("--no-video", action="store_true", help="write no video")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--env-kwargs", default="{}", help="JSON keyword arguments for make_env")
    args = p.parse_args(argv)
    base = args.make_env if os.path.isdir(args.make_env) else os.path.dirname(os.path.abspath(args.make_env))
    folder = policy_dir(args.log_dir or os.path.join(base, "log_comms"), args.policy)
    checkpoint = os.path.join(folder, "checkpoint.pt")
    if not os.path.isfile(checkpoint):
        print(f"[evaluate] no checkpoint at {checkpoint}; train policy {args.policy} first", file=sys.stderr)
        return 2
    video = None if args.no_video else args.video or os.path.join(folder, "eval_game.mp4")
    summary = evaluate(
        args.make_env,
        checkpoint,
        args.games,
        args.epsilon,
        args.sample,
        args.entity,
        video,
        args.seed,
        json.loads(args.env_kwargs),
    )
    with open(os.path.join(folder, "eval.json"), "w") as f:
        json.dump(summary, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
