"""Seeded rounds for tests/{unit,mpi}/test_seeds.py: two of PPO against random, then two of random against random."""

import sys

from arena import make_stem
from arena.envs import Touchdown

LOG = sys.argv[1]
arena = make_stem(Touchdown, LOG)
for _ in range(2):
    arena.kickoff([[1, 2]], {1: "ppo", 2: "random"}, 400, policy_kwargs={1: {"n_steps": 64}}, seed=7)
for _ in range(2):
    arena.kickoff([[3, 4]], {3: "random", 4: "random"}, 400, seed=7)
