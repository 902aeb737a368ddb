"""The benchmarks' match: Pong with DeepMind preprocessing, scaled to fill the ranks.

Args: POLICY TOTAL_STEPS LOG_DIR [--copies K] [--render] [--no-scale] [--summary FILE] [--kwargs JSON]
With --copies K > 1, every environment rank runs K copies in ale-py's AtariVectorEnv.
With --summary, every rank's round summary (steps, steady speed, memory) is written as JSON.
"""

import argparse
import json

from bench_utils import write_summary

from arena import make_stem, total_steps_to_match_steps
from arena.envs.atari import make_atari_game

parser = argparse.ArgumentParser()
parser.add_argument("policy")
parser.add_argument("total_steps", type=int)
parser.add_argument("log_dir")
parser.add_argument("--copies", type=int, default=1, help="copies of Pong per environment rank")
parser.add_argument("--threads", type=int, default=None, help="emulators stepping at once (default: all)")
parser.add_argument("--render", action="store_true")
parser.add_argument("--no-scale", action="store_true")
parser.add_argument("--summary", default=None)
parser.add_argument("--kwargs", default="{}", help="the policy's keyword options, as JSON")
args = parser.parse_args()


def make_env(num_copies=1):
    return make_atari_game("Pong", num_copies=num_copies, num_threads=args.threads)


arena = make_stem(make_env, args.log_dir)
match_list = [[1]]
scale = not args.no_scale
if scale:
    steps = total_steps_to_match_steps(match_list, args.total_steps, copies_per_env=args.copies)
else:
    steps = args.total_steps // args.copies
result = arena.kickoff(
    match_list,
    {1: args.policy},
    steps,
    policy_kwargs={1: json.loads(args.kwargs)},
    scale=scale,
    render=args.render,
    copies_per_env=args.copies,
    progress_interval=1e9,
)
if args.summary:
    write_summary(result, args.summary)
