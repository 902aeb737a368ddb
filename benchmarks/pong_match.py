"""The render benchmark's match: Pong with DeepMind preprocessing, scaled to fill the ranks.

Args: POLICY TOTAL_STEPS LOG_DIR RENDER(0|1).
"""

import sys

from arena import make_stem, total_steps_to_match_steps
from arena.envs.atari import make_atari_game

policy, total_steps, log_dir, render = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
arena = make_stem(lambda: make_atari_game("Pong"), log_dir)
match_list = [[1]]
steps = total_steps_to_match_steps(match_list, total_steps)
arena.kickoff(match_list, {1: policy}, steps, scale=True, render=render)
