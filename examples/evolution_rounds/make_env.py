"""Builds one Touchdown match: 1 versus 1, vector observations, discrete actions."""

from arena.envs import Touchdown


def make_env(**env_kwargs):
    return Touchdown(**env_kwargs)
