"""The evaluation protocol during training, for tests/{unit,mpi}/test_evaluation.py: python eval_case.py LOG_DIR.

DQN (policy 1) and PPO (policy 2) learn Breakout in two matches for a few hundred
steps, each with the protocol on a tiny schedule in frames (4 frames per step):
DQN scores 2 games every 400 frames and 30 every 1,600, PPO 2 and 3.
"""

import os
import sys

from arena import make_stem

LOG = sys.argv[1]
arena = make_stem(os.path.join(os.path.dirname(os.path.abspath(__file__)), "breakout_env.py"), LOG)

dqn = {"replay_size": 2_000, "learning_starts": 200, "log_every": 10}
dqn["evaluation"] = {"light_every": 400, "full_every": 1_600, "light_games": 2, "full_games": 30}
ppo = {"evaluation": {"light_every": 400, "full_every": 1_600, "light_games": 2, "full_games": 3}}
arena.kickoff([[1], [2]], {1: "dqn", 2: "ppo"}, 512, seed=5, policy_kwargs={1: dqn, 2: ppo})
