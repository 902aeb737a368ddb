"""Builds a 3 versus 3 Touchdown match."""

from arena.envs import Touchdown


def make_env(**env_kwargs):
    return Touchdown(players_per_team=3, **env_kwargs)
