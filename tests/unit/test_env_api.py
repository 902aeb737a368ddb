"""The list interface, the legacy adapter and single_agent_wrapper."""

import gymnasium as gym
import numpy as np
import pytest

from arena.envs.api import entity_spaces, reset_env, step_env
from arena.wrappers import single_agent_wrapper


def test_single_agent_wrapper_gives_one_entity_lists():
    env = single_agent_wrapper(gym.make("CartPole-v1"))
    obs_spaces, act_spaces = entity_spaces(env)
    assert len(obs_spaces) == len(act_spaces) == 1
    obs, infos = reset_env(env, 1, seed=3)
    assert len(obs) == 1 and obs[0].shape == (4,) and infos == [{}]
    result = step_env(env, [0], 1)
    assert result.rewards.tolist() == [1.0]
    assert result.terminated.dtype == bool and result.truncated.dtype == bool


def test_seeded_reset_is_reproducible():
    env = single_agent_wrapper(gym.make("CartPole-v1"))
    a, _ = reset_env(env, 1, seed=7)
    b, _ = reset_env(env, 1, seed=7)
    np.testing.assert_array_equal(a[0], b[0])


def test_truncation_is_kept_apart_from_termination():
    env = single_agent_wrapper(gym.make("CartPole-v1", max_episode_steps=3))
    reset_env(env, 1, seed=0)
    results = [step_env(env, [i % 2], 1) for i in range(3)]
    assert results[-1].truncated.tolist() == [True] and results[-1].terminated.tolist() == [False]
    assert results[-1].episode_over


class Legacy:
    observation_spaces = [gym.spaces.Discrete(2)] * 2
    action_spaces = [gym.spaces.Discrete(2)] * 2

    def __init__(self):
        self.seeded = None

    def seed(self, s):
        self.seeded = s

    def reset(self):
        return [0, 1]

    def step(self, actions):
        return [1, 0], [1.0, -1.0], True, [{"TimeLimit.truncated": True}, {"TimeLimit.truncated": True}]


def test_legacy_four_tuple_env():
    env = Legacy()
    obs, infos = reset_env(env, 2, seed=5)
    assert obs == [0, 1] and env.seeded == 5 and infos == [{}, {}]
    result = step_env(env, [0, 0], 2)
    assert result.terminated.tolist() == [False, False]
    assert result.truncated.tolist() == [True, True]
    assert result.rewards.tolist() == [1.0, -1.0]


def test_wrong_counts_are_errors():
    env = Legacy()
    with pytest.raises(ValueError, match="3 entities"):
        reset_env(env, 3)


def test_env_without_spaces_gets_advice():
    with pytest.raises(TypeError, match="single_agent_wrapper"):
        entity_spaces(gym.make("CartPole-v1"))
