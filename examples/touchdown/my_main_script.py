"""Touchdown: PPO (policy 1) against a random player (policy 2), copied to fill every MPI rank.

Run with:  mpiexec -n 7 python my_main_script.py   (2 copies; -n 4 gives 1)
Run it again to continue training from policy 1's checkpoint.
Try it on a small budget with --total-steps N (or ARENA_TOTAL_STEPS=N); --help lists every setting.
"""

import my_config as cfg

from arena.core.stems import *
from arena.settings import script_settings

settings = script_settings(__doc__, total_steps=60_000)
arena = make_stem(cfg.MAKE_ENV_LOCATION, cfg.LOG_COMMS_DIR, cfg.OBS_SPACES, cfg.ACT_SPACES)

# --- only the root process will get beyond this point ---

match_list = [[1, 2]]
policy_types = {1: "ppo", 2: "random"}
total_steps = settings.total_steps
steps_per_match = total_steps_to_match_steps(match_list, total_steps)
arena.kickoff(match_list, policy_types, steps_per_match, render=False, scale=True)
