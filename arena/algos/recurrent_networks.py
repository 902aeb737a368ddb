"""The recurrent actor-critic of "ppo-lstm": an encoder, then LSTMs whose state runs through each rollout."""

from __future__ import annotations

import numpy as np
import torch
from gymnasium import spaces
from torch import nn
from torch.distributions import Distribution

from arena.algos.networks import ObservationEncoder, action_distribution, action_head, layer_init, sample_and_score


class RecurrentActorCritic(nn.Module):
    """Recurrent PPO's network: encoder, LSTM, then policy and value heads.

    Images: the Nature CNN and one LSTM feed both heads (CleanRL's ppo_atari_lstm).
    Vectors: the actor and the critic each have a tanh layer and an LSTM of their own,
    so the value loss's large gradients stay out of the policy's memory (as
    sb3-contrib's RecurrentPPO with a critic LSTM).

    During a rollout it carries the LSTM state of every row from step to step:
    ``act_and_value`` advances it, ``value`` only looks one step ahead, and
    ``mark_episode_ends`` makes those rows start afresh at their next step. With
    ``record`` set it remembers the state each step started from (``take_recorded``),
    so an update can replay whole sequences from where they began (``evaluate_sequences``).
    """

    def __init__(self, obs_space: spaces.Space, act_space: spaces.Space, hidden: int = 64, lstm_size: int = 128):
        super().__init__()
        self.continuous, n_out = action_head(act_space)
        self.encoder = ObservationEncoder(obs_space)
        n_in = self.encoder.out_features
        shared = self.encoder.image
        self.features = nn.ModuleList(
            nn.Identity() if shared else nn.Sequential(layer_init(nn.Linear(n_in, hidden)), nn.Tanh())
            for _ in range(1 if shared else 2)
        )
        self.lstms = nn.ModuleList(nn.LSTM(n_in if shared else hidden, lstm_size) for _ in self.features)
        for name, param in self.lstms.named_parameters():
            nn.init.constant_(param, 0.0) if "bias" in name else nn.init.orthogonal_(param, 1.0)
        self.actor = layer_init(nn.Linear(lstm_size, n_out), std=0.01)
        self.critic = layer_init(nn.Linear(lstm_size, 1), std=1.0)
        if self.continuous:
            self.log_std = nn.Parameter(torch.zeros(n_out))
        self.state: tuple[torch.Tensor, torch.Tensor] | None = None  # (h, c), each (LSTMs, rows, lstm_size)
        self.starts: torch.Tensor | None = None  # rows whose next step begins an episode
        self.record = False  # remember each rollout step's starting state (for the update)
        self.recorded: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []

    def unroll(
        self, obs: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor], starts: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """Actor and critic LSTM outputs (L, S, size) for ``obs`` (L, S, ...), zeroing the state where ``starts``."""
        L, S = starts.shape
        encoded = self.encoder(obs.reshape(L * S, *obs.shape[2:]))
        # The LSTM runs over each stretch in which no row begins an episode in one call.
        cuts = [0, *(torch.nonzero(starts[1:].any(dim=1)).flatten() + 1).tolist(), L]
        outputs, hs, cs = [], [], []
        for k, (features, lstm) in enumerate(zip(self.features, self.lstms)):
            x = features(encoded).reshape(L, S, -1)
            h, c = state[0][k : k + 1], state[1][k : k + 1]
            stretches = []
            for t0, t1 in zip(cuts, cuts[1:]):
                keep = (1.0 - starts[t0]).view(1, S, 1)
                out, (h, c) = lstm(x[t0:t1], (h * keep, c * keep))
                stretches.append(out)
            outputs.append(torch.cat(stretches))
            hs.append(h)
            cs.append(c)
        return outputs[0], outputs[-1], (torch.cat(hs), torch.cat(cs))

    def dist(self, out: torch.Tensor, mask: torch.Tensor | None = None) -> Distribution:
        """The action distribution from the actor's LSTM outputs; ``mask`` rules illegal actions out."""
        return action_distribution(self.actor(out), getattr(self, "log_std", None), self.continuous, mask)

    def _rollout_state(self, rows: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        if self.state is None or self.state[0].shape[1] != rows:
            zeros = torch.zeros(len(self.lstms), rows, self.lstms[0].hidden_size, device=device)
            self.state, self.starts = (zeros, zeros.clone()), torch.ones(rows, device=device)
        return self.state

    def act_and_value(
        self,
        obs: torch.Tensor,
        action: torch.Tensor | None = None,
        deterministic: bool = False,
        mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """One rollout step for every row: ``(action, log_prob, entropy, value)``; the state moves on."""
        state = self._rollout_state(len(obs), obs.device)
        if self.record:  # (LSTMs, rows, size) -> (rows, LSTMs, size), as the rollout buffer keeps rows second
            self.recorded.append((state[0].transpose(0, 1), state[1].transpose(0, 1), self.starts))
        actor_out, critic_out, self.state = self.unroll(obs[None], state, self.starts[None])
        self.starts = torch.zeros_like(self.starts)
        dist = self.dist(actor_out[0], mask)
        action, log_prob, entropy = sample_and_score(dist, action, deterministic, self.continuous)
        return action, log_prob, entropy, self.critic(critic_out[0]).squeeze(-1)

    def value(self, obs: torch.Tensor) -> torch.Tensor:
        """V(obs) one step on from each row's state, which does not move."""
        state = self._rollout_state(len(obs), obs.device)
        _, critic_out, _ = self.unroll(obs[None], state, self.starts[None])
        return self.critic(critic_out[0]).squeeze(-1)

    def mark_episode_ends(self, ends: np.ndarray) -> None:
        """These rows begin a new episode at their next step: their state is zeroed then."""
        if self.starts is not None:
            self.starts = torch.as_tensor(np.asarray(ends), dtype=torch.float32, device=self.starts.device)

    def take_recorded(self) -> dict[str, torch.Tensor]:
        """Each recorded step's starting state, ``h`` and ``c`` (T, rows, LSTMs, size), and ``starts`` (T, rows)."""
        h, c, starts = (torch.stack(x) for x in zip(*self.recorded))
        self.recorded = []
        return {"h": h, "c": c, "starts": starts}

    def evaluate_sequences(
        self,
        obs: torch.Tensor,
        actions: torch.Tensor,
        h0: torch.Tensor,
        c0: torch.Tensor,
        starts: torch.Tensor,
        mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(log_prob, entropy, value)``, each (L, S), of actions along S sequences from states (S, LSTMs, size)."""
        actor_out, critic_out, _ = self.unroll(obs, (h0.transpose(0, 1), c0.transpose(0, 1)), starts)
        _, log_prob, entropy = sample_and_score(self.dist(actor_out, mask), actions, False, self.continuous)
        return log_prob, entropy, self.critic(critic_out).squeeze(-1)
