"""The DeepMind Atari wrappers: shapes, no-op starts, max-pooling, life loss and true scores."""

import gymnasium as gym
import numpy as np
import pytest

from arena.envs.api import game_score
from arena.envs.atari import atari_env_id, make_atari_game
from arena.report.mosaic import compose, grid_shape, shrink
from arena.wrappers.deepmind import NoopReset, make_atari, wrap_deepmind


def _play(env, steps, seed=0):
    """Random play; yields (reward, terminated, truncated, info, lives) after each step."""
    env.reset(seed=seed)
    env.action_space.seed(seed)
    for _ in range(steps):
        _, reward, terminated, truncated, info = env.step(env.action_space.sample())
        yield reward, terminated, truncated, info, env.unwrapped.ale.lives()
        if terminated or truncated:
            env.reset()


def test_tutorial_pipeline_shapes_and_dtypes():
    env = wrap_deepmind(make_atari("PongNoFrameskip-v4"))
    env.seed(123)  # the tutorial's legacy call is accepted
    obs, _ = env.reset()
    assert obs.shape == (4, 84, 84) and obs.dtype == np.uint8
    assert env.observation_space.contains(obs)
    assert env.action_space == gym.spaces.Discrete(6)
    obs, *_ = env.step(0)
    assert env.observation_space.contains(obs)
    game = make_atari_game("Breakout")
    assert game.observation_spaces[0].shape == (4, 84, 84) and game.action_spaces[0].n == 4


def test_legacy_seed_gives_the_same_start_as_reset_seed():
    a, b = wrap_deepmind(make_atari("BreakoutNoFrameskip-v4")), wrap_deepmind(make_atari("BreakoutNoFrameskip-v4"))
    a.seed(7)
    first, _ = a.reset()
    second, _ = b.reset(seed=7)
    assert np.array_equal(first, second)


def test_noop_reset_starts_after_one_to_thirty_idle_frames():
    env = NoopReset(gym.make("PongNoFrameskip-v4"), noop_max=30)
    frames = {env.reset(seed=s)[1]["episode_frame_number"] for s in range(20)}
    assert min(frames) >= 1 and max(frames) <= 30
    assert len(frames) >= 8  # starts differ


def test_frame_skip_max_pools_the_last_two_frames():
    env = make_atari("PongNoFrameskip-v4", noop_max=0)
    raw = gym.make("PongNoFrameskip-v4", obs_type="grayscale")
    env.reset(seed=3)
    raw.reset(seed=3)
    for action in (2, 3, 2, 0, 3):
        obs, *_ = env.step(action)
        frames = [raw.step(action)[0] for _ in range(4)]
    assert np.array_equal(obs, np.maximum(frames[-2], frames[-1]))
    assert not np.array_equal(obs, frames[-1])  # the pool matters: Pong's ball flickers between frames


def test_life_loss_ends_episodes_only_in_learning_mode():
    learning = wrap_deepmind(make_atari("BreakoutNoFrameskip-v4"))
    ends = [(t, info.get("game_over"), lives) for _, t, _, info, lives in _play(learning, 1500) if t]
    life_ends = [lives for t, over, lives in ends if over is False]
    assert life_ends and all(lives > 0 for lives in life_ends)
    assert any(over is True for _, over, _ in ends)
    # After a lost life the reset continues the same game: lives are not restored.
    plays = _play(learning, 1500, seed=1)
    lives_left = next(lives for _, t, _, info, lives in plays if t and info["game_over"] is False)
    learning.reset()
    assert learning.unwrapped.ale.lives() == lives_left < 5

    evaluation = wrap_deepmind(make_atari("BreakoutNoFrameskip-v4"), episode_life=False, clip_rewards=False)
    for _, terminated, _, info, lives in _play(evaluation, 1500):
        if terminated:
            assert lives == 0 and "episode" in info


def test_clipped_rewards_for_learning_true_score_in_episode_stats():
    learning = make_atari_game("SpaceInvaders")  # kills score 5 to 200 points
    learning.reset(seed=0)
    learning.action_spaces[0].seed(0)
    clipped = []
    while True:
        _, rewards, terminated, _, infos = learning.step([learning.action_spaces[0].sample()])
        clipped.append(rewards[0])
        if terminated[0] and infos[0]["game_over"]:
            break
        if terminated[0]:
            learning.reset()
    assert set(clipped) <= {-1.0, 0.0, 1.0}
    assert infos[0]["episode"]["r"] >= 5 * sum(clipped) > 0

    true = make_atari_game("SpaceInvaders", episode_life=False, clip_rewards=False)
    true.reset(seed=0)
    total, terminated = 0.0, [False]
    while not terminated[0]:
        _, rewards, terminated, _, infos = true.step([true.action_spaces[0].sample()])
        total += rewards[0]
    assert total == infos[0]["episode"]["r"] and total > 5


def test_game_names_map_to_ale_ids():
    assert atari_env_id("Pong") == "ALE/Pong-v5"
    assert atari_env_id("SpaceInvaders") == atari_env_id("space_invaders") == "ALE/SpaceInvaders-v5"
    assert atari_env_id("PongNoFrameskip-v4") == "PongNoFrameskip-v4"
    with pytest.raises(ValueError, match="unknown Atari game 'Pongg'.*pong"):
        atari_env_id("Pongg")


def test_game_score_prefers_the_wrappers_statistics():
    infos = [{"episode": {"r": np.array(21.0), "l": np.array(900)}}, {}]
    assert game_score(infos[:1], np.array([3.0]), 10) == (21.0, 900)
    assert game_score(infos[1:], np.array([3.0]), 10) == (3.0, 10)


def test_mosaic_grid_and_tiles():
    assert [grid_shape(n) for n in (1, 2, 3, 7, 9, 10)] == [(1, 1), (1, 2), (2, 2), (3, 3), (3, 3), (3, 4)]
    frame = np.full((210, 160, 3), 200, np.uint8)
    assert shrink(frame).shape == (210, 160, 3)
    assert shrink(np.zeros((600, 400), np.uint8)).shape == (200, 134, 3)
    image = compose({0: frame, 1: None}, {0: "match 0 copy 0", 1: "match 0 copy 1"})
    assert image.shape[2] == 3 and image[100, 80].tolist() == [200, 200, 200]
    assert image[100, image.shape[1] - 40].tolist() == [0, 0, 0]  # no frame yet: a black tile
