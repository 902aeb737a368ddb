"""One learning run for ``learning.py``: a policy type on an Atari game, its match copied to fill the ranks.

Args: POLICY GAME TOTAL_STEPS LOG_DIR [--copies K] [--seed S] [--kwargs JSON]
TOTAL_STEPS counts agent steps over every copy (frames are 4 per step).
"""

import argparse
import json

from arena import make_stem, total_steps_to_match_steps
from arena.envs.atari import make_atari_game

parser = argparse.ArgumentParser()
parser.add_argument("policy")
parser.add_argument("game")
parser.add_argument("total_steps", type=int)
parser.add_argument("log_dir")
parser.add_argument("--copies", type=int, default=8, help="copies per environment rank")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--kwargs", default="{}", help="the policy's keyword arguments, as JSON")
args = parser.parse_args()


def make_env(num_copies=1):
    return make_atari_game(args.game, num_copies=num_copies)


arena = make_stem(make_env, args.log_dir)
match_list = [[1]]
steps = total_steps_to_match_steps(match_list, args.total_steps, arena.world_size, copies_per_env=args.copies)
arena.kickoff(
    match_list,
    {1: args.policy},
    steps,
    scale=True,
    copies_per_env=args.copies,
    seed=args.seed,
    policy_kwargs={1: json.loads(args.kwargs)},
    progress_interval=30.0,
)
