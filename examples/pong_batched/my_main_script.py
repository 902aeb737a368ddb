"""Pong: one PPO policy, copied to fill every MPI rank.

Run with:  mpiexec -n 3 python my_main_script.py    (1 environment rank playing 16 games)
      or:  mpiexec -n 15 python my_main_script.py   (7 environment ranks, 2 games each)
About 5 million steps in total; run it again to continue from the checkpoint.
Try it in a minute:  mpiexec -n 15 python my_main_script.py --total-steps 3000
Watch every game play:  --render 1 (see log_comms/render/ without a display).
The tutorial's one game per environment rank:  --games 0 (slower; see tutorial 02).
"""

import my_config as cfg

from arena.core.stems import *
from arena.settings import script_settings

settings = script_settings(__doc__, total_steps=5_000_000, render=False, games=16)
arena = make_stem(cfg.MAKE_ENV_LOCATION, cfg.LOG_COMMS_DIR, cfg.OBS_SPACES, cfg.ACT_SPACES)

# --- only the root process will get beyond this point ---

match_list = [[1]]
policy_types = {1: "ppo"}
total_steps = settings.total_steps
render = settings.render
# About 16 games in all, shared by the environment ranks: every worker then acts for its
# rank's games in one batch, and the policy's batch stays near CleanRL's (8 games x 128 steps).
games = settings.games
env_ranks = (arena.world_size - 1) // (count_needed_procs(match_list) - 1)
copies_per_env = max(1, round(games / env_ranks))
steps_per_match = total_steps_to_match_steps(match_list, total_steps, copies_per_env=copies_per_env)
arena.kickoff(match_list, policy_types, steps_per_match, render=render, scale=True, copies_per_env=copies_per_env)
