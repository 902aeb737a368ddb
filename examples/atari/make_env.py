import gymnasium as gym
from arena.wrappers.atari import make_atari, wrap_deepmind
from arena.wrappers.single_agent_wrappers import *
from mpi4py import MPI

def make_env():

	env = wrap_deepmind(make_atari("PongNoFrameskip-v4"))
	workerseed = MPI.COMM_WORLD.Get_rank()*10000 #seed each process differently, for diversity
	env.seed(workerseed)

	env = single_agent_wrapper(env)
	return env
