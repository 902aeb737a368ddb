"""3 versus 3 Touchdown where one worker rank controls a whole team.

Each entry of the match is a block: [1, 1, 1] means one worker of policy 1 controls
three entities together (it sees the list interface). entity_remaps puts policy 1
on team 1 (env entities 3, 4, 5) and policy 2 on team 0 (entities 0, 1, 2).

Run with:  mpiexec -n 4 python my_main_script.py
"""

import my_config as cfg

from arena.core.stems import *
from arena.settings import script_settings

settings = script_settings(__doc__, total_steps=100_000)
arena = make_stem(cfg.MAKE_ENV_LOCATION, cfg.LOG_COMMS_DIR, cfg.OBS_SPACES, cfg.ACT_SPACES)

# --- only the root process will get beyond this point ---

match_list = [[[1, 1, 1], [2, 2, 2]]]
entity_remaps = [[3, 4, 5, 0, 1, 2]]
policy_types = {1: "random", 2: "random"}
total_steps = settings.total_steps
steps_per_match = total_steps_to_match_steps(match_list, total_steps)
arena.kickoff(match_list, policy_types, steps_per_match, entity_remaps=entity_remaps, scale=True)
