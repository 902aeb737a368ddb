from arena.core.stems import *
from arena.core.utils import mpi_print
from arena.core.policy_record import *
from arena.core.plot_utils import *

import my_config as cfg

arena = make_stem(cfg.MAKE_ENV_LOCATION, cfg.LOG_COMMS_DIR, cfg.OBS_SPACES, cfg.ACT_SPACES)

# --- only the root process will get beyond this point ---

match_list = [[1]]
policy_types = {1:"ppo"}
steps_per_match = total_steps_to_match_steps(match_list, 5000000)
arena.kickoff(match_list, policy_types, steps_per_match, render=False, scale=True)  # scale=True now!
