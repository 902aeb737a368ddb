"""Fixed-seed runs whose records must never change with the code's layout: python golden_cases.py CASE LOG_DIR.

  touchdown: PPO (policy 1) against a random player (policy 2) on Touchdown, 4,000 steps (mpiexec -n 4)
  cartpole:  DQN's "vector" preset on CartPole, 3,000 steps, past its warm-up (mpiexec -n 3)

Rank 0 writes every policy's episodes (number, return, length, steps) to LOG_DIR/golden.json.
"""

import json
import os
import sys

import gymnasium as gym

from arena import make_stem, single_agent_wrapper
from arena.envs import Touchdown
from arena.storage.records import load_records

CASE, LOG = sys.argv[1], sys.argv[2]


def make_env():
    return Touchdown() if CASE == "touchdown" else single_agent_wrapper(gym.make("CartPole-v1"))


arena = make_stem(make_env, LOG)
if CASE == "touchdown":
    arena.kickoff([[1, 2]], {1: "ppo", 2: "random"}, 4000, seed=7, policy_kwargs={1: {"torch_threads": 1}})
else:
    arena.kickoff([[1]], {1: "dqn"}, 3000, seed=7, policy_kwargs={1: {"torch_threads": 1, "learning_starts": 1000}})
episodes = {
    str(pid): [[e.episode, repr(float(e.ret)), e.length, e.steps] for e in record.episodes]
    for pid, record in sorted(load_records(LOG).items())
}
with open(os.path.join(LOG, "golden.json"), "w") as f:
    json.dump(episodes, f)
