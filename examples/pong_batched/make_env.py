"""Pong with DeepMind preprocessing, as a one-entity arena env.

One copy is the tutorial's make_env.py with the arena's imports. Several copies
(``kickoff(copies_per_env=K)`` passes ``num_copies=K``) step in ale-py's C++ vector
env, which plays the same game step for step and is faster. The arena seeds every
match copy differently itself, so no per-rank seeding is needed here.
"""

from arena.envs.atari import make_atari_game
from arena.wrappers.atari import make_atari, wrap_deepmind
from arena.wrappers.single_agent_wrappers import single_agent_wrapper


def make_env(num_copies=1):
    if num_copies == 1:  # the tutorial's form: Gymnasium wrappers around one game
        return single_agent_wrapper(wrap_deepmind(make_atari("PongNoFrameskip-v4")))
    return make_atari_game("Pong", num_copies=num_copies)
