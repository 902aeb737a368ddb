"""A custom policy type, registered through additional_policies, against the built-in random.

Run with:  mpiexec -n 4 python my_main_script.py   (one copy; -n 7 gives two, with two workers per policy)
"""

import my_config as cfg
from my_random_agent import MyRandomAgent

from arena.core.stems import *
from arena.settings import script_settings

settings = script_settings(__doc__, total_steps=20_000)
arena = make_stem(
    cfg.MAKE_ENV_LOCATION,
    cfg.LOG_COMMS_DIR,
    cfg.OBS_SPACES,
    cfg.ACT_SPACES,
    additional_policies={"my_random": MyRandomAgent},
)

# --- only the root process will get beyond this point ---

match_list = [[1, 2]]
policy_types = {1: "my_random", 2: "random"}
steps_per_match = total_steps_to_match_steps(match_list, settings.total_steps)
arena.kickoff(match_list, policy_types, steps_per_match, scale=True)
