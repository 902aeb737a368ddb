"""Space Invaders with DeepMind preprocessing, as a one-entity arena env.

``kickoff(copies_per_env=K)`` passes ``num_copies=K``: K games step in ale-py's C++
vector env and the DQN worker acts for all of them in one batch.
"""

from arena.envs.atari import make_atari_game


def make_env(num_copies=1):
    return make_atari_game("SpaceInvaders", num_copies=num_copies)
