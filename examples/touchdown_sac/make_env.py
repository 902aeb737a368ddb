"""Builds one Touchdown match: 1 versus 1, vector observations, continuous actions (2-D velocity in [-1, 1])."""

from arena.envs import Touchdown


def make_env(**env_kwargs):
    return Touchdown(action_types="continuous", **env_kwargs)
