"""SAC, TD3 and DDPG pieces by hand: the temperature, soft targets, target smoothing, the actor delay, the spaces."""

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium import spaces
from helpers import flat_parameters

from arena.algos.networks import SquashedGaussianActor, TwinQ
from arena.algos.sac import SAC, soft_target, temperature_loss
from arena.algos.td3 import DDPG, TD3, actor_update_due, smoothed_target_actions
from arena.mpi import comm as mpi


def test_temperature_rises_when_entropy_is_below_target_and_falls_above():
    for log_prob, direction in ((2.0, 1), (-3.0, -1)):  # entropy -2 (below the target -1), then 3 (above)
        log_alpha = torch.tensor(np.log(0.5), requires_grad=True)
        loss = temperature_loss(log_alpha, torch.full((4,), log_prob), target_entropy=-1.0)
        loss.backward()
        # d/d(log alpha) of -alpha * (log_prob + target) is -alpha * (log_prob + target).
        assert log_alpha.grad.item() == pytest.approx(-0.5 * (log_prob - 1.0))
        with torch.no_grad():
            log_alpha -= 0.1 * log_alpha.grad  # a gradient step
        assert np.sign(log_alpha.item() - np.log(0.5)) == direction


def test_soft_target_takes_the_smaller_critic_and_the_entropy_bonus():
    rewards, discounts = torch.tensor([1.0, 2.0]), torch.tensor([0.99, 0.0])  # the second step terminated
    next_q = [torch.tensor([10.0, 5.0]), torch.tensor([8.0, 7.0])]
    target = soft_target(rewards, discounts, next_q, next_log_prob=torch.tensor([-1.0, 3.0]), alpha=0.5)
    assert target.tolist() == pytest.approx([1.0 + 0.99 * (8.0 + 0.5), 2.0])


def test_target_smoothing_clips_its_noise_and_keeps_actions_in_bounds():
    scale, bias = torch.tensor([2.0, 0.5]), torch.tensor([0.0, 0.5])  # bounds [-2, 2] and [0, 1]
    actions = torch.tensor([[1.9, 0.5], [0.0, 0.99]]).repeat(500, 1)
    assert torch.equal(smoothed_target_actions(actions, 0.0, 0.5, scale, bias), actions)
    torch.manual_seed(0)
    smoothed = smoothed_target_actions(actions, 10.0, 0.5, scale, bias)  # huge noise: always clipped
    assert torch.all((smoothed - actions).abs() <= 0.5 * scale + 1e-6)
    assert torch.all(smoothed <= bias + scale) and torch.all(smoothed >= bias - scale)
    assert (smoothed != actions).any()


def filled(learner, steps=300):
    """``learner`` after ``steps`` uniformly random steps on its env, stored in its replay."""
    learner.build_replay()
    learner.start_episodes(learner.reset())
    for _ in range(steps):
        learner.play(learner.act(np.zeros((1, 3)), explore_uniformly=True), last=False)
    return learner


def test_td3_updates_its_actor_and_targets_every_second_critic_update():
    assert [actor_update_due(u, 2) for u in range(1, 7)] == [False, True, False, True, False, True]
    td3 = filled(TD3(gym.make("Pendulum-v1"), mpi.world(), seed=0, hidden=16, batch_size=32))
    nets = ("critic", "actor", "actor_target", "critic_target")
    changed = []
    for _ in range(4):
        before = {n: flat_parameters(getattr(td3, n)) for n in nets}
        td3.train_step({})
        changed.append(tuple(not np.array_equal(before[n], flat_parameters(getattr(td3, n))) for n in nets))
    assert changed == [(True, False, False, False), (True, True, True, True)] * 2


def test_ddpg_is_td3_without_its_three_additions():
    ddpg = filled(DDPG(gym.make("Pendulum-v1"), mpi.world(), seed=0, hidden=16, batch_size=32))
    assert (ddpg.cfg.twin, ddpg.cfg.policy_noise, ddpg.cfg.policy_frequency) == (False, 0.0, 1)
    assert len(ddpg.critic.heads) == 1 and len(TD3(gym.make("Pendulum-v1"), mpi.world()).critic.heads) == 2
    before = flat_parameters(ddpg.actor)
    ddpg.train_step({})
    assert not np.array_equal(before, flat_parameters(ddpg.actor))  # the actor moves with every update


def test_sac_update_moves_critics_actor_and_temperature():
    sac = filled(SAC(gym.make("Pendulum-v1"), mpi.world(), seed=0, hidden=16, batch_size=32))
    alpha, critic = sac.alpha, flat_parameters(sac.critic)
    stats = {}
    sac.train_step(stats)  # update 1: the critics only
    assert sac.alpha == alpha and not np.array_equal(critic, flat_parameters(sac.critic))
    sac.train_step(stats)  # update 2: two actor and temperature steps
    assert sac.alpha != alpha and len(stats["actor_loss"]) == 2 and len(stats["alpha_loss"]) == 2
    fixed = filled(SAC(gym.make("Pendulum-v1"), mpi.world(), seed=0, hidden=16, batch_size=32, autotune=False))
    for _ in range(2):
        fixed.train_step({})
    assert fixed.alpha == 0.2 and "a_optimizer" in fixed.model_state()


def test_squashed_actions_stay_in_bounds_and_deterministic_is_the_mean():
    obs_space = spaces.Box(-1, 1, (3,), np.float32)
    act_space = spaces.Box(np.array([-2.0, 0.0]), np.array([2.0, 1.0]), dtype=np.float32)
    torch.manual_seed(0)
    actor = SquashedGaussianActor(obs_space, act_space, hidden=8)
    obs = torch.randn(1000, 3) * 50  # large inputs saturate tanh
    actions, log_prob = actor(obs)
    low, high = torch.as_tensor(act_space.low), torch.as_tensor(act_space.high)
    assert torch.all(actions >= low) and torch.all(actions <= high) and torch.isfinite(log_prob).all()
    mean = actor.net(actor.encoder(obs)).chunk(2, dim=-1)[0]
    assert torch.allclose(actor(obs, deterministic=True)[0], torch.tanh(mean) * actor.scale + actor.bias)
    assert [q.shape for q in TwinQ(obs_space, act_space, 8)(obs, actions)] == [(1000,), (1000,)]


def test_continuous_learners_refuse_spaces_they_cannot_act_in():
    vector = spaces.Box(-1, 1, (3,), np.float32)
    for cls in (SAC, TD3, DDPG):
        with pytest.raises(ValueError, match="needs a 1-D Box action space"):
            cls.check_spaces(vector, spaces.Discrete(3))
        with pytest.raises(ValueError, match="must be finite"):
            cls.check_spaces(vector, spaces.Box(-np.inf, np.inf, (2,), np.float32))
        cls.check_spaces(spaces.Box(0, 255, (84, 84, 1), np.uint8), spaces.Box(-1, 1, (2,), np.float32))
    with pytest.raises(TypeError, match="unknown SAC hyperparameters"):
        SAC(gym.make("Pendulum-v1"), mpi.world(), learning_rate=1e-3)


class Frames(gym.Env):
    """36 x 36 grey frames (the Nature CNN's smallest) and a 2-D bounded action."""

    observation_space = spaces.Box(0, 255, (36, 36, 1), np.uint8)
    action_space = spaces.Box(-1.0, 1.0, (2,), np.float32)

    def reset(self, seed=None, options=None):
        self.t = 0
        return np.zeros((36, 36, 1), np.uint8), {}

    def step(self, action):
        self.t += 1
        frame = np.full((36, 36, 1), int(127 * (1 + action[0])), np.uint8)
        return frame, float(-abs(action[1])), False, self.t >= 10, {}


def test_image_observations_go_through_the_cnn_for_sac_and_td3():
    for cls in (SAC, TD3):
        learner = cls(Frames(), mpi.world(), seed=0, hidden=8, batch_size=4)
        assert learner.actor.encoder.image and learner.critic.encoder.image
        learner.build_replay()
        learner.start_episodes(learner.reset())
        for _ in range(20):
            learner.play(learner.act(np.zeros((1, 36, 36, 1), np.uint8), explore_uniformly=False), last=False)
        stats = {}
        for _ in range(2):
            learner.train_step(stats)
        assert np.isfinite(stats["qf_loss"]).all() and learner.updates == 2
