"""DQN's pieces by hand: Double and vanilla targets, presets, the failure gate, DeepMind's RMSProp, Polyak."""

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium import spaces
from torch import nn

from arena.algos.dqn import DQN, PRESETS, bootstrap_values
from arena.algos.learner import FailureGate
from arena.algos.offpolicy import polyak_update
from arena.algos.optim import CenteredRMSprop
from arena.mpi import comm as mpi


def linear_q(weights: list[list[float]]) -> nn.Module:
    """Q(s) = W s with no bias: 2 actions from a 2-feature state."""
    net = nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        net.weight.copy_(torch.tensor(weights))
    return net


def test_double_and_vanilla_targets_by_hand():
    online = linear_q([[1.0, 0.0], [0.0, 1.0]])  # Q_online(s) = (s0, s1)
    target = linear_q([[2.0, 0.0], [0.0, 3.0]])  # Q_target(s) = (2 s0, 3 s1)
    next_obs = torch.tensor([[1.0, 0.5], [0.2, 0.9]])
    # Vanilla: max over the target's values: row 0 max(2, 1.5) = 2; row 1 max(0.4, 2.7) = 2.7.
    vanilla = bootstrap_values(online, target, next_obs, double=False)
    assert vanilla.tolist() == pytest.approx([2.0, 2.7])
    # Double: the online net picks (row 0: action 0 as 1 > 0.5; row 1: action 1), the target values it.
    double = bootstrap_values(online, target, next_obs, double=True)
    assert double.tolist() == pytest.approx([2.0, 2.7])
    # Where they disagree: the online net prefers action 0, the target values action 1 higher.
    online_disagrees = linear_q([[1.0, 0.0], [0.0, 0.1]])
    obs = torch.tensor([[1.0, 1.0]])
    assert bootstrap_values(online_disagrees, target, obs, double=True).item() == pytest.approx(2.0)
    assert bootstrap_values(online_disagrees, target, obs, double=False).item() == pytest.approx(3.0)


def test_presets_match_the_papers():
    paper, modern = PRESETS["paper"], PRESETS["modern"]
    assert (paper.optimizer, paper.learning_rate, paper.rms_alpha, paper.rms_eps) == ("rmsprop", 2.5e-4, 0.95, 0.01)
    assert (paper.epsilon_end, paper.exploration_steps, paper.learning_starts) == (0.1, 1_000_000, 50_000)
    assert (paper.target_update_every, paper.prioritized, paper.double, paper.dueling) == (10_000, False, False, False)
    assert (modern.optimizer, modern.learning_rate, modern.adam_eps) == ("adam", 6.25e-5, 1.5e-4)
    assert (modern.double, modern.dueling, modern.prioritized, modern.n_step) == (True, True, True, 3)
    assert (modern.epsilon_end, modern.max_grad_norm) == (0.01, 10.0)


def test_presets_are_picked_by_observation_and_overridden_by_kwargs():
    cartpole = DQN(gym.make("CartPole-v1"), mpi.world(), seed=0)
    assert cartpole.cfg.preset == "vector"
    paper = DQN(gym.make("CartPole-v1"), mpi.world(), seed=0, preset="paper", n_step=2)
    assert (paper.cfg.optimizer, paper.cfg.n_step) == ("rmsprop", 2)
    assert isinstance(paper.optimizer, CenteredRMSprop)
    with pytest.raises(ValueError, match="unknown preset"):
        DQN(gym.make("CartPole-v1"), mpi.world(), preset="rainbow")
    with pytest.raises(TypeError, match="unknown DQN hyperparameters"):
        DQN(gym.make("CartPole-v1"), mpi.world(), learning_rte=1.0)


def test_dqn_refuses_continuous_actions():
    with pytest.raises(ValueError, match="Discrete actions"):
        DQN.check_spaces(spaces.Box(-1, 1, (3,)), spaces.Box(-1, 1, (2,)))


def test_memory_needed_counts_the_whole_replay():
    frames = spaces.Box(0, 255, (4, 84, 84), np.uint8)
    assert 7.0e9 < DQN.memory_needed(frames, spaces.Discrete(6), {}) < 7.2e9
    assert DQN.memory_needed(frames, spaces.Discrete(6), {"replay_size": 100_000}) < 0.8e9


def test_failure_gate_names_the_policy_step_and_losses():
    gate = FailureGate("policy 3 (dqn)")
    gate.check(0.5, 1.0, 100)
    gate.check(0.25, 1.0, 104)
    with pytest.raises(FloatingPointError, match=r"policy 3 \(dqn\).*step 108.*\[0\.5, 0\.25, nan\]"):
        gate.check(float("nan"), 1.0, 108)
    with pytest.raises(FloatingPointError):
        FailureGate("p").check(0.1, float("inf"), 1)


def test_centered_rmsprop_puts_epsilon_inside_the_square_root():
    w = nn.Parameter(torch.tensor([1.0]))
    opt = CenteredRMSprop([w], lr=0.1, alpha=0.9, eps=0.01)
    w.grad = torch.tensor([2.0])
    opt.step()
    mean, mean_sq = 0.1 * 2.0, 0.1 * 4.0
    assert w.item() == pytest.approx(1.0 - 0.1 * 2.0 / np.sqrt(mean_sq - mean**2 + 0.01))


def test_polyak_update_moves_the_target_by_tau():
    online, target = linear_q([[1.0, 1.0], [1.0, 1.0]]), linear_q([[0.0, 0.0], [0.0, 0.0]])
    polyak_update(target, online, 0.25)
    assert target.weight.detach().numpy() == pytest.approx(np.full((2, 2), 0.25))
    polyak_update(target, online, 1.0)
    assert target.weight.detach().numpy() == pytest.approx(np.ones((2, 2)))
