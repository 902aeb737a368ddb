"""Recurrent PPO ("ppo-lstm"): PPO whose network carries an LSTM state, after CleanRL's ppo_atari_lstm.py.

Everything of ``ppo.py`` holds (rollouts, GAE, the clipped objective, gradient
averaging over ``policy_comm``, schedules, checkpoints); what changes:
  - the network (``RecurrentActorCritic``) carries each row's LSTM state through the
    rollout, zeroed where an episode begins, and remembers the state each step began with;
  - an update cuts each row's rollout into sequences of ``seq_len`` steps and keeps
    them whole: minibatches are sets of sequences, each replayed from its recorded
    starting state, with the state zeroed again inside it where an episode began.
With K copies each copy is a row of its own; sequences never mix rows.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch
from gymnasium import spaces
from torch import nn

from arena.algos.frozen import Frozen
from arena.algos.ppo import PPO, PPOConfig
from arena.algos.recurrent_networks import RecurrentActorCritic

__all__ = ["PPOLSTM", "PPOLSTMConfig", "PPOLSTMEval", "sequence_indices"]


@dataclass
class PPOLSTMConfig(PPOConfig):
    """PPO's hyperparameters plus the LSTM's; every field can be set per policy through ``policy_kwargs``."""

    lstm_size: int = 128  # LSTM state width
    seq_len: int | None = None  # steps per training sequence; None: the whole rollout of each row


def sequence_indices(T: int, rows: int, seq_len: int) -> np.ndarray:
    """Indices into a (T, rows) rollout flattened row-major, one line per sequence: shape (sequences, seq_len).

    Sequence ``(row, k)`` holds steps ``k * seq_len`` to ``(k + 1) * seq_len - 1`` of that row;
    ``seq_len`` must divide ``T``.
    """
    starts = np.arange(0, T, seq_len)
    steps = starts[:, None] + np.arange(seq_len)[None, :]  # (chunks, seq_len)
    return (steps[None, :, :] * rows + np.arange(rows)[:, None, None]).reshape(-1, seq_len)


class PPOLSTM(PPO):
    """Recurrent PPO for the policy type ``"ppo-lstm"``."""

    name = "ppo-lstm"
    config_class = PPOLSTMConfig
    architecture = ("hidden", "lstm_size")

    def make_agent(self) -> nn.Module:
        """The recurrent actor-critic."""
        return RecurrentActorCritic(self.obs_space, self.act_space, self.cfg.hidden, self.cfg.lstm_size)

    @classmethod
    def defaults_for(cls, obs_space: spaces.Space, hyperparameters: dict) -> PPOLSTMConfig:
        """PPO's defaults for this observation kind, with the LSTM's."""
        return PPOLSTMConfig(**dataclasses.asdict(PPO.defaults_for(obs_space, hyperparameters)))

    def collect_rollout(self, obs: np.ndarray, T: int, is_last: bool) -> tuple[dict, np.ndarray]:
        """PPO's rollout, with the LSTM state and episode starts of every step."""
        self.agent.record = True
        buf, obs = super().collect_rollout(obs, T, is_last)
        self.agent.record = False
        return buf | self.agent.take_recorded(), obs

    def sequence_length(self, T: int) -> int:
        """``seq_len`` if it divides this rollout, else the whole rollout (a short last one)."""
        seq_len = self.cfg.seq_len or T
        return seq_len if T % seq_len == 0 else T

    def minibatches(self, T: int, batch_size: int) -> list[np.ndarray]:
        """Whole sequences, shuffled and shared out over ``n_minibatches``, each flattened sequence by sequence."""
        sequences = sequence_indices(T, batch_size // T, self.sequence_length(T))
        order = self.rng.permutation(len(sequences))
        return [sequences[part].reshape(-1) for part in np.array_split(order, self.cfg.n_minibatches)]

    def evaluate_actions(self, mb: dict, actions: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Replay the minibatch's sequences from their recorded states: ``(log_prob, entropy, value)``, flat."""
        L = self.sequence_length(self.last_rollout_length)
        S = len(mb["starts"]) // L

        def by_time(x: torch.Tensor) -> torch.Tensor:  # (S * L, ...) sequence by sequence -> (L, S, ...)
            return x.reshape(S, L, *x.shape[1:]).transpose(0, 1)

        h0, c0 = (mb[k].reshape(S, L, *mb[k].shape[1:])[:, 0] for k in ("h", "c"))  # (S, LSTMs, size)
        legal = {"mask": by_time(mb["masks"])} if "masks" in mb else {}  # each step's legal actions, replayed
        out = self.agent.evaluate_sequences(
            by_time(mb["obs"]), by_time(actions), h0, c0, by_time(mb["starts"]), **legal
        )
        return tuple(x.transpose(0, 1).reshape(-1) for x in out)

    def update(self, buf: dict, batch_size: int) -> dict:
        """PPO's update over whole sequences."""
        self.last_rollout_length = buf["rewards"].shape[0]
        return super().update(buf, batch_size)


class PPOLSTMEval(Frozen, PPOLSTM):
    """A frozen recurrent PPO policy, the type ``"ppo-lstm-eval"``: its LSTM state is carried as in training."""
