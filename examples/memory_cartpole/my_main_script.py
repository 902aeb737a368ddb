"""Memory CartPole: recurrent PPO (policy 1) and plain PPO (policy 2) side by side, one match each.

Run with:  mpiexec -n 5 python my_main_script.py   (each match runs 8 copies of the game on its environment rank)
log_comms/all_policies.png draws both learning curves in one plot.
Try it on a small budget with --total-steps N (or ARENA_TOTAL_STEPS=N); --help lists every setting.
"""

import my_config as cfg

from arena.core.stems import *
from arena.settings import script_settings

settings = script_settings(__doc__, total_steps=100_000)
arena = make_stem(cfg.MAKE_ENV_LOCATION, cfg.LOG_COMMS_DIR, cfg.OBS_SPACES, cfg.ACT_SPACES)

# --- only the root process will get beyond this point ---

match_list = [[1], [2]]
policy_types = {1: "ppo-lstm", 2: "ppo"}
copies = 8
total_steps = settings.total_steps
steps_per_match = total_steps_to_match_steps(match_list, total_steps, copies_per_env=copies)
# rl-zoo's settings for recurrent PPO on CartPole without velocities, for both policies: rollouts of
# 32 steps per copy (one minibatch of 8 whole sequences), 20 epochs, lr 1e-3 annealed, gamma 0.999.
ppo = {"n_steps": 32, "n_minibatches": 1, "n_epochs": 20, "learning_rate": 1e-3, "gamma": 0.999, "gae_lambda": 0.98}
arena.kickoff(
    match_list,
    policy_types,
    steps_per_match,
    copies_per_env=copies,
    seed=1,
    policy_kwargs={1: ppo | {"lstm_size": 64}, 2: ppo},
    plot_colors={1: "tab:blue", 2: "tab:gray"},
)
