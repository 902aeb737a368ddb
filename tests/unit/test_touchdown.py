"""Touchdown's rules: scoring, touches, truncation, and each team's own view."""

import numpy as np
import pytest

from arena.envs import Touchdown

UP, DOWN, LEFT = 1, 2, 3


def test_spaces_per_team():
    env = Touchdown(players_per_team=2, obs_types=("vector", "image"), action_types=("discrete", "continuous"))
    assert len(env.observation_spaces) == len(env.action_spaces) == 4
    assert env.observation_spaces[0].shape == (9,) and env.observation_spaces[3].shape == (84, 84, 1)
    assert env.action_spaces[0].n == 5 and env.action_spaces[2].shape == (2,)
    obs, infos = env.reset(seed=0)
    for o, space in zip(obs, env.observation_spaces):
        assert space.contains(o)


def test_running_up_scores_for_team_zero():
    env = Touchdown(touch_distance=0.0)
    env.reset(seed=1)
    steps = 0
    terminated = False
    while not terminated and steps < 100:
        obs, rewards, terminated, truncated, infos = env.step([UP, LEFT])
        steps += 1
    assert terminated and not truncated
    assert rewards == [1.0, -1.0] and infos[0]["winner"] == 0
    assert steps == 9  # 0.9 of the field at 0.1 per step


def test_team_one_sees_its_goal_as_up():
    env = Touchdown(touch_distance=0.0)
    env.reset(seed=2)
    for _ in range(100):
        _, rewards, terminated, _, _ = env.step([DOWN, UP])
        if terminated:
            break
    assert rewards == [-1.0, 1.0]


def test_touch_sends_both_back():
    env = Touchdown(touch_distance=0.5)
    env.reset(seed=3)
    env.step([UP, UP])  # both move toward each other; the start gap 0.8 shrinks to 0.6
    env.pos[0] = env.pos[1] + 0.01
    env._resolve_touches()
    np.testing.assert_allclose(env.pos, env.starts)


def test_truncation_after_max_steps():
    env = Touchdown(max_steps=5)
    env.reset(seed=0)
    for _ in range(5):
        _, rewards, terminated, truncated, _ = env.step([0, 0])
    assert truncated and not terminated and rewards == [0.0, 0.0]


def test_continuous_actions_and_render():
    env = Touchdown(action_types="continuous", obs_types="image")
    obs, _ = env.reset(seed=0)
    assert obs[0].dtype == np.uint8 and obs[0].max() == 255
    env.step([np.array([0.0, 1.0]), np.array([0.0, 1.0])])
    frame = env.render()
    assert frame.shape == (168, 168, 3) and frame.dtype == np.uint8


def test_bad_arguments():
    with pytest.raises(ValueError, match="obs_types"):
        Touchdown(obs_types="pixels")
    with pytest.raises(ValueError, match="expects 2 actions"):
        Touchdown().step([0])
