"""The many-games benchmark's match: one policy on a batch of 8 Atari games on one environment rank.

Args: STEPS LOG_DIR [--games G1,G2,...] [--policy TYPE] [--fps F] [--summary FILE]
STEPS counts steps per copy (ticks, when paced).
"""

import argparse

from bench_utils import write_summary

from arena import make_stem
from arena.envs.atari import make_atari_games

parser = argparse.ArgumentParser()
parser.add_argument("steps", type=int)
parser.add_argument("log_dir")
parser.add_argument("--games", default="Pong,Breakout,SpaceInvaders,Seaquest,Qbert,BeamRider,Enduro,MsPacman")
parser.add_argument("--policy", default="random")
parser.add_argument("--fps", type=float, default=None, help="kickoff(realtime_fps=...); default: not paced")
parser.add_argument("--summary", default=None)
args = parser.parse_args()
GAMES = args.games.split(",")


def make_env(num_copies=1):
    return make_atari_games(GAMES, num_copies=num_copies)


arena = make_stem(make_env, args.log_dir)
kwargs = {1: {"evaluation": False}} if args.policy == "ppo" else {}
result = arena.kickoff(
    [[1]],
    {1: args.policy},
    args.steps,
    copies_per_env=len(GAMES),
    realtime_fps=args.fps,
    policy_kwargs=kwargs,
    progress_interval=1e9,
)
if args.summary:
    write_summary(result, args.summary)
