"""Cooperative navigation: one MADDPG worker controls both agents of a block, copied to fill every MPI rank.

Run with:  mpiexec -n 3 python my_main_script_maddpg.py   (1 copy; -n 5 gives 2 workers that learn together)
The MADDPG and MASAC scripts use policies 1 and 2, so both can share one log folder.
Try it on a small budget with --total-steps N (or ARENA_TOTAL_STEPS=N); --help lists every setting.
"""

import my_config as cfg

from arena.core.stems import *
from arena.settings import script_settings

settings = script_settings(__doc__, total_steps=30_000)
arena = make_stem(cfg.MAKE_ENV_LOCATION, cfg.LOG_COMMS_DIR, cfg.OBS_SPACES, cfg.ACT_SPACES)

# --- only the root process will get beyond this point ---

match_list = [[[1, 1]]]  # a block: one worker of policy 1 plays entities 0 and 1
policy_types = {1: "maddpg"}
total_steps = settings.total_steps
steps_per_match = total_steps_to_match_steps(match_list, total_steps)
options = {"learning_starts": total_steps // 2} if total_steps < 10_000 else {}  # a quick try learns too
arena.kickoff(match_list, policy_types, steps_per_match, render=False, scale=True, policy_kwargs={1: options})
