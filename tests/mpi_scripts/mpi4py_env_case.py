"""PPO and DQN on CartPole and SAC on Pendulum, from a make_env.py that imports mpi4py, each evaluating
while it learns: python mpi4py_env_case.py LOG_DIR (for tests/{unit,mpi}/test_evaluation.py, under mpiexec -n 7)."""

import os
import sys

from arena import make_stem

LOG = sys.argv[1]
arena = make_stem(os.path.join(os.path.dirname(os.path.abspath(__file__)), "mpi4py_env.py"), LOG)

schedule = {"light_every": 150, "full_every": 300, "light_games": 2, "full_games": 2}
kwargs = {
    1: {"evaluation": schedule},
    2: {"evaluation": schedule, "learning_starts": 100},
    3: {"evaluation": schedule, "learning_starts": 100},
}
games = [{"game": "CartPole-v1"}, {"game": "CartPole-v1"}, {"game": "Pendulum-v1"}]
arena.kickoff([[1], [2], [3]], {1: "ppo", 2: "dqn", 3: "sac"}, 400, seed=3, policy_kwargs=kwargs, env_kwargs=games)
