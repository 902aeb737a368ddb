"""Builds one Pong game with DeepMind preprocessing, as a one-entity arena env.

This is the tutorial's make_env.py with the arena's imports. The arena seeds every
match copy differently itself, so no per-rank seeding is needed here.
"""

from arena.wrappers.atari import make_atari, wrap_deepmind
from arena.wrappers.single_agent_wrappers import single_agent_wrapper


def make_env():
    env = wrap_deepmind(make_atari("PongNoFrameskip-v4"))
    env = single_agent_wrapper(env)
    return env
