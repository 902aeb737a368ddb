"""Continuous Touchdown: SAC (policy 1) against a random player (policy 2), copied to fill every MPI rank.

Run with:  mpiexec -n 4 python my_main_script.py   (1 copy; -n 7 gives 2, whose SAC workers learn together)
Run it again to continue training from policy 1's checkpoint (the replay refills first).
Try it on a small budget with --total-steps N (or ARENA_TOTAL_STEPS=N); --help lists every setting.
"""

import my_config as cfg

from arena.core.stems import *
from arena.settings import script_settings

settings = script_settings(__doc__, total_steps=30_000)
arena = make_stem(cfg.MAKE_ENV_LOCATION, cfg.LOG_COMMS_DIR, cfg.OBS_SPACES, cfg.ACT_SPACES)

# --- only the root process will get beyond this point ---

match_list = [[1, 2]]
policy_types = {1: "sac", 2: "random"}
total_steps = settings.total_steps
steps_per_match = total_steps_to_match_steps(match_list, total_steps)
# A small game: narrower networks and a short warm-up than CleanRL's MuJoCo defaults (256 units, 5,000 steps).
sac_options = {"hidden": 64, "learning_starts": 2_000}
arena.kickoff(match_list, policy_types, steps_per_match, render=False, scale=True, policy_kwargs={1: sac_options})
