"""Recurrent PPO's pieces: sequence layout, state resets inside a sequence, replayed minibatches, and the policy."""

import sys

import gymnasium as gym
import numpy as np
import torch
from gymnasium import spaces
from helpers import REPO

from arena.algos.ppo_lstm import PPOLSTM, PPOLSTMConfig, sequence_indices
from arena.algos.recurrent_networks import RecurrentActorCritic
from arena.mpi import comm as mpi

sys.path.insert(0, f"{REPO}/examples/memory_cartpole")
from make_env import HideVelocities  # noqa: E402


def test_sequences_keep_one_row_and_consecutive_steps():
    # A (T=4, rows=2) rollout flattened row-major: step t of row e is at t * 2 + e.
    assert sequence_indices(4, 2, 2).tolist() == [[0, 2], [4, 6], [1, 3], [5, 7]]
    assert sequence_indices(4, 1, 4).tolist() == [[0, 1, 2, 3]]


def test_a_start_inside_a_sequence_zeroes_that_rows_state_only():
    torch.manual_seed(0)
    net = RecurrentActorCritic(spaces.Box(-1, 1, (3,), np.float32), spaces.Discrete(2), hidden=8, lstm_size=6)
    obs = torch.randn(5, 2, 3)  # (L, S, ...)
    state = (torch.randn(2, 2, 6), torch.randn(2, 2, 6))  # some state carried in
    starts = torch.zeros(5, 2)
    starts[3, 0] = 1.0  # row 0 begins an episode at step 3
    actor, critic, _ = net.unroll(obs, state, starts)
    zeros = (torch.zeros(2, 1, 6), torch.zeros(2, 1, 6))
    fresh_actor, fresh_critic, _ = net.unroll(obs[3:, :1], zeros, torch.zeros(2, 1))
    assert torch.allclose(actor[3:, 0], fresh_actor[:, 0]) and torch.allclose(critic[3:, 0], fresh_critic[:, 0])
    assert not torch.allclose(actor[:3, 0], net.unroll(obs[:3, :1], zeros, torch.zeros(3, 1))[0][:, 0])
    kept_actor, _, _ = net.unroll(obs[:, 1:], (state[0][:, 1:], state[1][:, 1:]), torch.zeros(5, 1))
    assert torch.allclose(actor[:, 1], kept_actor[:, 0])  # row 1 never restarted


def test_minibatch_sequences_replay_the_rollout_exactly_across_episode_ends():
    envs = [lambda: HideVelocities(gym.make("CartPole-v1")) for _ in range(3)]
    env = gym.vector.SyncVectorEnv(envs, autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)
    ppo = PPOLSTM(env, mpi.world(), seed=0, n_steps=64, seq_len=16, n_minibatches=4)
    buf, _ = ppo.collect_rollout(ppo.reset(), 64, is_last=False)
    assert buf["h"].shape == (64, 3, 2, ppo.cfg.lstm_size)  # step, row, the actor's and the critic's LSTM
    flat = {k: v.reshape(64 * 3, *v.shape[2:]) for k, v in buf.items()}
    ppo.last_rollout_length = 64
    restarts_inside = 0
    for idx in ppo.minibatches(64, 64 * 3):
        assert len(idx) == 3 * 16  # 12 sequences of 16 steps in 4 minibatches
        mb = {k: v[torch.as_tensor(idx)] for k, v in flat.items()}
        restarts_inside += int(mb["starts"].reshape(-1, 16)[:, 1:].sum())
        with torch.no_grad():
            log_prob, _, value = ppo.evaluate_actions(mb, mb["actions"].long())
        assert torch.allclose(log_prob, mb["logprobs"], atol=1e-6) and torch.allclose(value, mb["values"], atol=1e-5)
    assert restarts_inside >= 3  # random CartPole episodes last about 22 steps: several begin inside sequences


def test_config_adds_the_lstm_to_ppos_defaults():
    env = HideVelocities(gym.make("CartPole-v1"))
    ppo = PPOLSTM(env, mpi.world(), seed=0, lstm_size=16)
    assert isinstance(ppo.cfg, PPOLSTMConfig) and ppo.cfg.n_steps == 256 and ppo.cfg.lstm_size == 16
    assert ppo.sequence_length(256) == 256 and PPOLSTM(env, mpi.world(), seq_len=100).sequence_length(256) == 256
