"""Pong: one PPO policy, copied to fill every MPI rank.

Run with:  mpiexec -n 3 python my_main_script.py    (1 environment rank playing 16 games)
      or:  mpiexec -n 15 python my_main_script.py   (7 environment ranks, 2 games each)
About 5 million steps in total; run it again to continue from the checkpoint.
Try it in a minute:  ARENA_TOTAL_STEPS=3000 mpiexec -n 15 python my_main_script.py
Watch every game play:  ARENA_RENDER=1 (see log_comms/render/ without a display).
The tutorial's one game per environment rank:  ARENA_GAMES=0 (slower; see tutorial 02).
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
# About 16 games in all, shared by the environment ranks: every worker then acts for its
# rank's games in one batch, and the policy's batch stays near CleanRL's (8 games x 128 steps).
games = int(os.environ.get("ARENA_GAMES", 16))
env_ranks = (arena.world_size - 1) // (count_needed_procs(match_list) - 1)
copies_per_env = max(1, round(games / env_ranks))
steps_per_match = total_steps_to_match_steps(match_list, total_steps, copies_per_env=copies_per_env)
arena.kickoff(match_list, policy_types, steps_per_match, render=render, scale=True, copies_per_env=copies_per_env)
