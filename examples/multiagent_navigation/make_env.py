"""Builds one Cover match: 2 agents, 2 landmarks, continuous actions (arena5's CoverEnv task, without pygame)."""

from arena.envs import Cover


def make_env(**env_kwargs):
    return Cover(**{"n_agents": 2, **env_kwargs})
