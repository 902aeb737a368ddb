"""Three policies play each other in a round robin, each match with its own field settings.

env_kwargs gives one dict per match (applied to every copy of it when scaling);
plot_colors picks each policy's color in the learning-curve plots.

Run with:  mpiexec -n 10 python my_main_script.py
"""

import my_config as cfg

from arena.core.plot_utils import *
from arena.core.policy_record import *
from arena.core.stems import *
from arena.settings import script_settings

settings = script_settings(__doc__, total_steps=150_000)
arena = make_stem(cfg.MAKE_ENV_LOCATION, cfg.LOG_COMMS_DIR, cfg.OBS_SPACES, cfg.ACT_SPACES)

# --- only the root process will get beyond this point ---

match_list = [[1, 2], [2, 3], [3, 1]]
policy_types = {1: "random", 2: "random", 3: "random"}
env_kwargs = [
    {"max_steps": 50},  # a short game
    {"max_steps": 200, "speed": 0.05},  # long and slow
    {"max_steps": 100, "touch_distance": 0.2},  # touches are easy
]
plot_colors = {1: "tab:red", 2: "tab:blue", 3: "tab:green"}
total_steps = settings.total_steps
steps_per_match = total_steps_to_match_steps(match_list, total_steps)
arena.kickoff(
    match_list,
    policy_types,
    steps_per_match,
    scale=True,
    env_kwargs=env_kwargs,
    plot_colors=plot_colors,
)

# Compare the three policies in one plot.
records = [PolicyRecord(pid, cfg.LOG_COMMS_DIR).load() for pid in (1, 2, 3)]
plot_policy_records(
    records, [10, 100], [0.3, 1.0], cfg.LOG_COMMS_DIR + "round_robin.png", colors=[plot_colors[p] for p in (1, 2, 3)]
)
print("wrote", cfg.LOG_COMMS_DIR + "round_robin.png")
