"""A make_env.py as the AI Arena tutorial writes one: it imports mpi4py and seeds by MPI rank.

Every process that builds the game runs this: the job's ranks (a world of many) and the
evaluation process (a world of its own: rank 0 of 1). ``game`` picks CartPole (PPO, DQN)
or Pendulum (SAC, whose actions are continuous).
"""

import gymnasium as gym
from mpi4py import MPI

from arena.wrappers.single_agent_wrappers import single_agent_wrapper


def make_env(game="CartPole-v1"):
    comm = MPI.COMM_WORLD
    if not 0 <= comm.Get_rank() < comm.Get_size():
        raise RuntimeError(f"MPI.COMM_WORLD says rank {comm.Get_rank()} of {comm.Get_size()}")
    env = gym.make(game)
    env.reset(seed=comm.Get_rank() * 10000)  # seed each process differently, as the tutorial does
    return single_agent_wrapper(env)
