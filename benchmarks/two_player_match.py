"""The two-player benchmark's match: PettingZoo's two-player Pong, policy 1 against policy 2.

Args: TOTAL_STEPS LOG_DIR [--copies K] [--policy TYPE] [--summary FILE]
TOTAL_STEPS counts joint steps (both players act once) over every match copy.
"""

import argparse

from bench_utils import write_summary

from arena import make_stem, total_steps_to_match_steps
from arena.envs.atari import make_two_player

parser = argparse.ArgumentParser()
parser.add_argument("total_steps", type=int)
parser.add_argument("log_dir")
parser.add_argument("--copies", type=int, default=1, help="copies of Pong per environment rank")
parser.add_argument("--policy", default="random")
parser.add_argument("--summary", default=None)
args = parser.parse_args()


def make_env():
    return make_two_player("pong")


arena = make_stem(make_env, args.log_dir)
match_list = [[1, 2]]
steps = total_steps_to_match_steps(match_list, args.total_steps, copies_per_env=args.copies)
result = arena.kickoff(
    match_list, {1: args.policy, 2: args.policy}, steps, scale=True, copies_per_env=args.copies, progress_interval=1e9
)
if args.summary:
    write_summary(result, args.summary)
