"""Pong: one PPO policy, copied to fill every MPI rank.

Run with:  mpiexec -n 3 python my_main_script.py    (one copy of Pong)
      or:  mpiexec -n 15 python my_main_script.py   (7 copies, about 714,000 steps each)
About 5 million steps in total; run it again to continue from the checkpoint.
Try it in a minute:  ARENA_TOTAL_STEPS=3000 mpiexec -n 15 python my_main_script.py
Watch every copy play:  ARENA_RENDER=1 (see log_comms/render/ without a display).
"""

import os

import my_config as cfg

from arena.core.stems import *

arena = make_stem(cfg.MAKE_ENV_LOCATION, cfg.LOG_COMMS_DIR, cfg.OBS_SPACES, cfg.ACT_SPACES)

# --- only the root process will get beyond this point ---

match_list = [[1]]
policy_types = {1: "ppo"}
total_steps = int(os.environ.get("ARENA_TOTAL_STEPS", 5_000_000))
render = os.environ.get("ARENA_RENDER", "0") == "1"
steps_per_match = total_steps_to_match_steps(match_list, total_steps)
arena.kickoff(match_list, policy_types, steps_per_match, render=render, scale=True)
