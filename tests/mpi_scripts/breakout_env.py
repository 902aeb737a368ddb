"""Breakout with DeepMind preprocessing, in a make_env file of its own (evaluation processes load it again)."""

from arena.envs.atari import make_atari_game


def make_env(num_copies=1):
    return make_atari_game("Breakout", num_copies=num_copies)
