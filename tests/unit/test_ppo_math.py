"""PPO's arithmetic against values worked out by hand, and its rollout on a scripted vector env (no mpiexec)."""

import numpy as np
import pytest
import torch
from helpers import ScriptedVector

from arena.algos.ppo import PPO, bootstrap_truncated, clipped_policy_loss, clipped_value_loss, gae, normalize
from arena.mpi import comm as mpi


def t(rows):
    return torch.tensor(rows, dtype=torch.float32)


def test_gae_cuts_at_ends_in_the_middle_of_a_vector_rollout():
    # Two rows, gamma = lambda = 0.5. Row 0 ends after step 1, row 1 after step 0; worked by hand:
    # row 0: A2 = 1 + .5*2 - 0 = 2;  A1 = 0 - 1 = -1 (cut);      A0 = (1 + .5*1 - .5) + .25*A1 = 0.75
    # row 1: A2 = 1 + .5*4 - 2 = 1;  A1 = (1 + .5*2 - 0) + .25*A2 = 2.25;  A0 = 0 - 1 = -1 (cut)
    rewards, values = t([[1, 0], [0, 1], [1, 1]]), t([[0.5, 1], [1, 0], [0, 2]])
    ends = t([[0, 1], [1, 0], [0, 0]])
    advantages = gae(rewards, values, ends, t([2, 4]), gamma=0.5, lam=0.5)
    assert advantages.tolist() == [[0.75, -1.0], [-1.0, 2.25], [2.0, 1.0]]


def test_gae_with_lambda_one_is_the_discounted_return_minus_the_value():
    rewards, values, ends = t([[1], [2], [3]]), t([[0.5], [0.25], [0.0]]), t([[0], [0], [0]])
    advantages = gae(rewards, values, ends, t([10]), gamma=0.9, lam=1.0)
    returns = [1 + 0.9 * 2 + 0.81 * 3 + 0.729 * 10, 2 + 0.9 * 3 + 0.81 * 10, 3 + 0.9 * 10]
    assert advantages[:, 0].tolist() == pytest.approx([r - v for r, v in zip(returns, [0.5, 0.25, 0.0])])


def test_a_truncated_row_bootstraps_from_its_last_observation_not_the_next_episode():
    rewards = bootstrap_truncated(np.array([1.0, 2.0]), np.array([True, False]), np.array([3.0, 10.0]), gamma=0.5)
    assert rewards.tolist() == [2.5, 2.0]
    # The truncation then ends the row like a termination: the next episode's value (100) is never used.
    advantages = gae(t([[2.5]]), t([[1.0]]), t([[1]]), t([100.0]), gamma=0.5, lam=0.5)
    assert advantages.tolist() == [[1.5]]


def test_clipped_value_loss_takes_the_worse_of_plain_and_clipped_errors():
    value, old, returns = t([2.0, 0.5]), t([1.0, 1.0]), t([3.0, 0.0])
    # Row 0: plain (2-3)^2 = 1; clipped value 1.2 -> (1.2-3)^2 = 3.24; worse 3.24.
    # Row 1: plain 0.25; clipped value 0.8 -> 0.64; worse 0.64.  Loss = 0.5 * mean(3.24, 0.64) = 0.97.
    assert clipped_value_loss(value, old, returns, clip=0.2).item() == pytest.approx(0.97)
    assert clipped_value_loss(value, old, returns, clip=None).item() == pytest.approx(0.5 * (1 + 0.25) / 2)


def test_clipped_policy_loss_stops_the_ratio_at_the_clip():
    # Positive advantage, ratio 1.5, clip 0.2: the objective stops at 1.2 * 2; negative, ratio 0.5: at 0.8 * -1.
    loss = clipped_policy_loss(t([2.0, -1.0]), t([1.5, 0.5]), clip=0.2)
    assert loss.item() == pytest.approx(-(1.2 * 2.0 + 0.8 * -1.0) / 2)


def test_advantages_are_normalised_to_zero_mean_and_unit_std():
    out = normalize(t([1.0, 2.0, 3.0, 6.0]))
    # mean 3, sample std sqrt(((-2)^2 + 1 + 0 + 9) / 3) = sqrt(14/3)
    assert out.tolist() == pytest.approx([(x - 3) / np.sqrt(14 / 3) for x in (1, 2, 3, 6)], rel=1e-6)
    assert normalize(t([5.0])).tolist() == [5.0]


def test_rollout_bootstraps_a_time_limit_from_final_obs_and_cuts_every_end():
    ppo = PPO(ScriptedVector(), mpi.world(), seed=0, n_steps=4)
    batch, _ = ppo.collect_rollout(ppo.reset(), 4, is_last=False)
    gamma = ppo.cfg.gamma
    with torch.no_grad():
        v_final = ppo.agent.value(torch.tensor([[0.0, 2.0]])).item()
    rewards, ends = batch["rewards"].numpy(), batch["ends"].numpy()
    assert rewards[:, 0].tolist() == pytest.approx([1.0, 1.0 + gamma * v_final, 1.0, 1.0])
    assert rewards[:, 1].tolist() == [10.0] * 4  # a termination adds nothing
    assert ends.tolist() == [[0, 0], [1, 0], [0, 1], [0, 0]]
    # Rows hold the observation each action was taken on: after an end, the new episode's first.
    assert batch["obs"][:, 0].tolist() == [[0, 0], [0, 1], [0, -1], [0, 3]]
    assert batch["obs"][:, 1].tolist() == [[1, 0], [1, 1], [1, 2], [1, -1]]
