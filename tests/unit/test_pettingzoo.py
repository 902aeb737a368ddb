"""PettingZoo environments through arena.wrappers.pettingzoo_env, and two-player Atari (make_two_player)."""

import numpy as np
import pytest

pytest.importorskip("pettingzoo")

from gymnasium import spaces  # noqa: E402
from pettingzoo.butterfly import knights_archers_zombies_v11 as kaz  # noqa: E402

from arena import check_env  # noqa: E402
from arena.envs.api import reset_env, step_env  # noqa: E402
from arena.envs.atari import make_two_player, two_player_games  # noqa: E402
from arena.wrappers import pettingzoo_env  # noqa: E402


def make_kaz():
    # An AEC env (PettingZoo's own conversion makes it parallel) whose agents die one by one.
    return pettingzoo_env(kaz.env(spawn_delay=2, max_cycles=400))


def test_entities_are_possible_agents_in_order_or_as_given():
    env = make_kaz()
    assert env.agents == ["archer_0", "archer_1", "knight_0", "knight_1"]
    assert env.action_spaces == [spaces.Discrete(6)] * 4
    assert all(s.shape == (27, 5) for s in env.observation_spaces)
    swapped = pettingzoo_env(kaz.env(), agents=["knight_1", "archer_0"])
    assert swapped.agents == ["knight_1", "archer_0"] and len(swapped.action_spaces) == 2
    with pytest.raises(ValueError, match="distinct names from possible_agents"):
        pettingzoo_env(kaz.env(), agents=["knight_9"])
    with pytest.raises(TypeError, match="takes a PettingZoo ParallelEnv or AECEnv"):
        pettingzoo_env(object())


class _Recorder:
    """Wraps the parallel env to see which agents get actions."""

    def __init__(self, env):
        self.env, self.sent = env, []

    def __getattr__(self, name):
        return getattr(self.env, name)

    def step(self, actions):
        self.sent.append(set(actions))
        return self.env.step(actions)


def test_agents_that_leave_early_are_terminated_and_get_no_more_actions():
    env = make_kaz()
    env.env = recorder = _Recorder(env.env)
    obs, _ = reset_env(env, 4, seed=0)
    rng = np.random.default_rng(0)
    left_at = {}
    for t in range(1000):
        step = step_env(env, [int(rng.integers(6)) for _ in range(4)], 4)
        for e in np.flatnonzero(step.terminated):
            left_at.setdefault(int(e), t)
        for e, t_left in left_at.items():
            assert step.terminated[e] or step.truncated[e]  # once gone, always done
            if t > t_left:
                assert env.agents[e] not in recorder.sent[-1]  # and PettingZoo never hears of it again
                assert step.rewards[e] == 0.0
        if step.episode_over:
            break
    assert step.episode_over and t < 999
    assert len(left_at) > 0 and min(left_at.values()) < t  # some agent left before the episode ended


def test_check_env_accepts_adapted_envs():
    report = check_env(make_kaz, steps=300)
    assert report.ok, str(report)
    report = check_env(lambda: make_two_player("pong", max_cycles=2_000), steps=300)
    assert report.ok, str(report)


def test_two_player_pong_has_deepmind_frames_a_side_channel_and_true_scores():
    assert {"pong", "boxing", "tennis"} <= set(two_player_games())
    env = make_two_player("pong", side_channel=True)
    assert env.observation_spaces == [spaces.Box(0, 255, (5, 84, 84), np.uint8)] * 2
    assert env.action_spaces == [spaces.Discrete(6)] * 2
    obs, _ = env.reset(seed=1)
    np.testing.assert_array_equal(obs[0][:4], obs[1][:4])  # one screen for both players
    assert obs[0][4].max() == 0 and obs[1][4].min() == 255  # the plane that says which side
    rng = np.random.default_rng(1)
    returns = np.zeros(2)
    while True:
        obs, reward, terminated, truncated, infos = env.step(list(rng.integers(6, size=2)))
        assert set(np.unique(reward)) <= {-1.0, 0.0, 1.0}  # clipped for learning
        returns += reward
        if np.all(terminated | truncated):
            break
    scores = [info["episode"]["r"] for info in infos]
    assert max(abs(s) for s in scores) >= 1 and infos[0]["episode"]["l"] == env.length
    with pytest.raises(ValueError, match="unknown two-player Atari game 'pongg'"):
        make_two_player("pongg")
    with pytest.raises(ValueError, match="has 4 players"):
        make_two_player("warlords")


def test_two_player_games_repeat_with_a_seed():
    def play(seed):
        env = make_two_player("boxing", noop_max=30)
        obs, _ = env.reset(seed=seed)
        frames = [obs[0]]
        for t in range(50):
            obs, *_ = env.step([t % 18, (3 * t) % 18])
            frames.append(obs[1])
        return np.stack(frames)

    np.testing.assert_array_equal(play(5), play(5))
