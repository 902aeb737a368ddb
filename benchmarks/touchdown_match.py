"""The benchmark's match: Touchdown 1 v 1, scaled to fill the ranks. Args: POLICY_1 TOTAL_STEPS LOG_DIR."""

import sys

from arena import make_stem, total_steps_to_match_steps
from arena.envs import Touchdown

policy_1, total_steps, log_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
arena = make_stem(lambda **kw: Touchdown(**kw), log_dir)
match_list = [[1, 2]]
steps = total_steps_to_match_steps(match_list, total_steps)
arena.kickoff(match_list, {1: policy_1, 2: "random"}, steps, scale=True)
