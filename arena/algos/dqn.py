"""DQN and its family (Double, Dueling, prioritized replay, n-step), one readable file after CleanRL's dqn_atari.py.

Every worker of a policy plays its own match copy (or K copies, as a vector env),
fills its own replay and samples its own minibatches; gradients are averaged over
``policy_comm`` (weighted by samples) before each step, so the online networks,
and the target networks updated from them, stay identical on every worker. One
worker alone is CleanRL's dqn_atari.py with the options below.

Reading order: hyperparameters and presets, construction, ``run`` (sync -> act ->
play and store -> train -> target -> log -> checkpoint), then the pieces ``run`` calls.
Playing, storing and the warm-up are ``OffPolicyLearner``'s (arena/algos/offpolicy.py).
Global steps count every environment step of the policy (all workers and copies);
on Atari one step is 4 emulator frames.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from gymnasium import spaces
from torch import nn

from arena.algos.frozen import Frozen
from arena.algos.learner import CHECKPOINT
from arena.algos.networks import QNetwork, is_image_space
from arena.algos.offpolicy import OffPolicyLearner, polyak_update
from arena.algos.optim import Adam, CenteredRMSprop
from arena.algos.schedules import linear
from arena.algos.torch_sync import GradientAverager
from arena.mpi import comm as mpi

__all__ = ["CHECKPOINT", "DQN", "DQNConfig", "PRESETS", "bootstrap_values", "greedy_actor"]


@dataclass
class DQNConfig:
    """DQN hyperparameters; ``preset`` picks the starting values, any field overrides them per policy."""

    preset: str = "modern"  # "paper", "modern", "atari-fast" or "vector" (the default for non-image observations)
    optimizer: str = "adam"  # "adam", or "rmsprop": DeepMind's centred RMSProp (arena.algos.optim)
    learning_rate: float = 6.25e-5
    adam_eps: float = 1.5e-4
    rms_alpha: float = 0.95  # RMSProp's gradient and squared-gradient momentum
    rms_eps: float = 0.01  # RMSProp's floor under the variance (inside the square root)
    gamma: float = 0.99  # discount
    batch_size: int = 32  # transitions per gradient step, per worker
    replay_size: int = 1_000_000  # transitions kept by the policy, split over its workers
    learning_starts: int = 20_000  # global steps of play before the first update (and before epsilon anneals)
    train_freq: int = 4  # worker steps between updates (with K copies a step is K transitions)
    gradient_steps: int = 1  # gradient steps per update
    double: bool = True  # Double DQN: the online network picks the next action, the target network values it
    dueling: bool = True  # the dueling head
    prioritized: bool = True  # proportional prioritized replay (a sum tree)
    per_alpha: float = 0.5  # priority exponent
    per_beta: float = 0.4  # importance-weight exponent at step 0, annealed to 1 at the schedule's end
    per_eps: float = 1e-6  # added to |TD error| for priorities
    n_step: int = 3  # n-step returns
    loss: str = "huber"  # "huber" (smooth L1, the paper's error clipping) or "mse"
    target_update_every: int = 2_000  # updates between hard copies to the target network (tau = 1)
    tau: float = 1.0  # below 1: Polyak averaging after every update instead of hard copies
    epsilon_start: float = 1.0
    epsilon_end: float = 0.01
    exploration_steps: int = 250_000  # global steps over which epsilon falls, counted from learning_starts
    max_grad_norm: float | None = 10.0  # global gradient-norm clip; None for none
    hidden: int = 128  # MLP width (vector observations)
    log_every: int = 100  # updates between logged losses


EVAL_EPSILON = 0.05  # the DQN papers' evaluation epsilon: "dqn-eval" plays with it unless deterministic

PRESETS = {
    # Nature DQN (Mnih et al. 2015): uniform replay, hard targets every 10k updates, DeepMind's RMSProp.
    "paper": DQNConfig(
        preset="paper",
        optimizer="rmsprop",
        learning_rate=2.5e-4,
        learning_starts=50_000,
        double=False,
        dueling=False,
        prioritized=False,
        n_step=1,
        target_update_every=10_000,
        epsilon_end=0.1,
        exploration_steps=1_000_000,
        max_grad_norm=None,
    ),
    # Double + Dueling + PER + 3-step, with Rainbow's Adam settings.
    "modern": DQNConfig(),
    # Pong on two CPU cores (benchmarks/learning.py's pong-dqn-cpu, 10 copies a worker): Tianshou's
    # Atari DQN rates (3-step returns, a batch of 32 every 10 transitions, targets every 500 updates,
    # a 100k replay) with a short exploration. Double DQN's extra forward pass (a fifth of an update)
    # and PER's bookkeeping are left out: on CPU the updates are the run's whole cost.
    "atari-fast": DQNConfig(
        preset="atari-fast",
        learning_rate=1e-4,
        replay_size=100_000,
        learning_starts=10_000,
        train_freq=1,
        double=False,
        prioritized=False,
        target_update_every=500,
        exploration_steps=200_000,
    ),
    # Small control tasks (CartPole): a short warm-up, frequent small updates, quick exploration.
    "vector": DQNConfig(
        preset="vector",
        learning_rate=2.3e-3,
        adam_eps=1e-8,
        batch_size=64,
        replay_size=50_000,
        learning_starts=1_000,
        train_freq=4,
        gradient_steps=2,
        dueling=False,
        prioritized=False,
        n_step=1,
        loss="mse",
        target_update_every=40,
        epsilon_end=0.04,
        exploration_steps=8_000,
        hidden=256,
    ),
}


def legal_q(q: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Q-values with the illegal actions at -inf, so that max and argmax see only legal ones.

    A row whose mask allows nothing (the last observation of a game, in PettingZoo's classic
    games) keeps every action: it never bootstraps, and -inf times a zero discount is NaN.
    """
    if mask is None:
        return q
    legal = mask | ~mask.any(dim=1, keepdim=True)
    return q.masked_fill(~legal, float("-inf"))


def bootstrap_values(
    online: nn.Module, target: nn.Module, next_obs: torch.Tensor, double: bool, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """max_a Q_target(s', a); with ``double``, Q_target(s', argmax_a Q_online(s', a)); over legal actions only."""
    q_next = target(next_obs)
    if double:
        best = legal_q(online(next_obs), mask).argmax(dim=1, keepdim=True)
        return q_next.gather(1, best).squeeze(1)
    return legal_q(q_next, mask).max(dim=1).values


class DQN(OffPolicyLearner):
    """Deep Q-Networks for the policy type ``"dqn"`` (Discrete actions)."""

    name = "dqn"
    config_class = DQNConfig
    shared_state = ("model", "target", "optimizer")
    reads_masks = True  # masked games: greedy, random and target choices over legal actions only
    architecture = ("hidden", "dueling")

    def __init__(self, env: Any, policy_comm: mpi.Comm, **options: Any):
        super().__init__(env, policy_comm, **options)
        cfg = self.cfg
        if cfg.loss not in ("huber", "mse") or cfg.optimizer not in ("adam", "rmsprop"):
            raise ValueError(f"dqn: loss must be 'huber' or 'mse' and optimizer 'adam' or 'rmsprop', not {cfg}")
        self.n_actions = int(self.act_space.n)
        self.build_networks()

    def build_networks(self) -> None:
        """The Q-network, its target, the optimizer and the gradient averaging, from ``self.cfg``."""
        cfg = self.cfg
        self.q = QNetwork(self.obs_space, self.n_actions, cfg.dueling, cfg.hidden).to(self.device)
        self.target = QNetwork(self.obs_space, self.n_actions, cfg.dueling, cfg.hidden).to(self.device)
        self.target.load_state_dict(self.q.state_dict())
        self.target.requires_grad_(False)
        if cfg.optimizer == "adam":
            self.optimizer = Adam(self.q.parameters(), lr=cfg.learning_rate, eps=cfg.adam_eps)
        else:
            self.optimizer = CenteredRMSprop(self.q.parameters(), cfg.learning_rate, cfg.rms_alpha, cfg.rms_eps)
        self.average_gradients = GradientAverager(list(self.q.parameters()), self.comm)

    @classmethod
    def defaults_for(cls, obs_space: spaces.Space, hyperparameters: dict) -> DQNConfig:
        """The named preset, else "modern" for images and "vector" otherwise."""
        preset = hyperparameters.get("preset") or ("modern" if is_image_space(obs_space) else "vector")
        if preset not in PRESETS:
            raise ValueError(f"dqn: unknown preset {preset!r}; choose one of {sorted(PRESETS)}")
        return PRESETS[preset]

    # ------------------------------------------------------------------ run
    def run(self, num_steps: int, data_dir: str, policy_record: Any = None) -> None:
        """Play epsilon-greedily, store every step, and train every ``train_freq`` steps, for ``num_steps`` steps."""
        self.start_run(data_dir, policy_record)
        cfg = self.cfg
        horizon = self.schedule_horizon(num_steps, cfg.prioritized)
        self.log_hyperparameters(horizon, {"replay_per_worker": cfg.replay_size // self.workers})
        self.build_replay(cfg.per_alpha if cfg.prioritized else 0.0)
        self.announce(f"preset {cfg.preset!r}")
        stats: dict[str, list[float]] = {}
        self.play_and_train(
            num_steps,
            lambda obs: self.act(obs, self.epsilon_at(self.global_step)),
            lambda: self.train_step(linear(cfg.per_beta, 1.0, self.global_step, horizon), stats),
            lambda: self.log_updates(stats),
        )

    def epsilon_at(self, global_step: int) -> float:
        """Epsilon for acting at ``global_step``: ``epsilon_start`` through the warm-up, then a line down."""
        cfg = self.cfg
        return linear(cfg.epsilon_start, cfg.epsilon_end, global_step - cfg.learning_starts, cfg.exploration_steps)

    # --------------------------------------------------------------- acting
    def act(self, obs: np.ndarray, epsilon: float) -> np.ndarray:
        """Greedy actions for every row, each replaced by a random one with probability ``epsilon`` (legal ones)."""
        mask = None if self.masks is None else torch.as_tensor(self.masks, device=self.device)
        with torch.no_grad():
            greedy = legal_q(self.q(torch.as_tensor(obs, device=self.device)), mask).argmax(dim=1).cpu().numpy()
        explore = self.rng.random(len(greedy)) < epsilon
        if self.masks is None:
            return np.where(explore, self.rng.integers(self.n_actions, size=len(greedy)), greedy)
        draws = self.rng.random(self.masks.shape) * self.masks  # the largest draw among the legal actions
        return np.where(explore, draws.argmax(axis=1), greedy)

    def frozen_actions(self, obs: np.ndarray, deterministic: bool) -> np.ndarray:
        """Greedy actions ("dqn-eval" with ``deterministic``), else epsilon-greedy at the papers' evaluation 0.05."""
        return self.act(obs, 0.0 if deterministic else EVAL_EPSILON)

    # --------------------------------------------------------------- update
    def train_step(self, beta: float, stats: dict) -> None:
        """One gradient step on a sampled minibatch, averaged over workers; then priorities and the target."""
        cfg, dev = self.cfg, self.device
        batch = self.replay.sample(cfg.batch_size, beta)
        obs, next_obs = torch.as_tensor(batch.obs, device=dev), torch.as_tensor(batch.next_obs, device=dev)
        actions = torch.as_tensor(batch.actions, device=dev).long()
        q = self.q(obs).gather(1, actions[:, None]).squeeze(1)
        with torch.no_grad():
            next_mask = None if batch.next_masks is None else torch.as_tensor(batch.next_masks, device=dev)
            next_values = bootstrap_values(self.q, self.target, next_obs, cfg.double, next_mask)
            targets = (
                torch.as_tensor(batch.returns, device=dev) + torch.as_tensor(batch.discounts, device=dev) * next_values
            )
        if cfg.loss == "huber":
            elementwise = F.smooth_l1_loss(q, targets, reduction="none")
        else:
            elementwise = F.mse_loss(q, targets, reduction="none")
        loss = (torch.as_tensor(batch.weights, device=dev) * elementwise).mean()
        self.gate.check(loss.item(), q.mean().item(), self.global_step)
        self.optimizer.zero_grad()
        loss.backward()
        self.average_gradients(cfg.batch_size)
        grad_norm = nn.utils.clip_grad_norm_(self.q.parameters(), cfg.max_grad_norm or float("inf"))
        self.optimizer.step()
        self.replay.update_priorities(batch.indices, (targets - q).detach().cpu().numpy(), cfg.per_eps)
        self.updates += 1
        if cfg.tau < 1.0:
            polyak_update(self.target, self.q, cfg.tau)
        elif self.updates % cfg.target_update_every == 0:
            polyak_update(self.target, self.q, 1.0)
        for key, value in (("td_loss", loss.detach()), ("q_values", q.detach().mean()), ("grad_norm", grad_norm)):
            stats.setdefault(key, []).append(float(value))
        stats.setdefault("beta", []).append(beta)

    # ------------------------------------------------------- checkpoints & logs
    def model_state(self) -> dict:
        """Online and target networks and the optimizer; the replay is not saved (it refills on resume)."""
        return {
            "model": self.q.state_dict(),
            "target": self.target.state_dict(),
            "optimizer": self.optimizer.state_dict(),
        }

    def adopt(self, state: dict) -> None:
        """Take the root's networks (and optimizer, when resuming)."""
        self.q.load_state_dict(state["model"])
        self.target.load_state_dict(state.get("target", state["model"]))
        if "optimizer" in state:
            self.optimizer.load_state_dict(state["optimizer"])

    @classmethod
    def check_spaces(cls, obs_space: spaces.Space, act_space: spaces.Space) -> None:
        """ValueError unless the actions are Discrete and the networks can read the observations."""
        if not isinstance(act_space, spaces.Discrete):
            raise ValueError(f"DQN cannot play this entity: it needs Discrete actions, not {act_space}")
        super().check_spaces(obs_space, act_space)

    def log_updates(self, stats: dict) -> None:
        """The root logs the mean of each statistic since the last log, with epsilon and the learning rate."""
        charts = {"charts/epsilon": self.epsilon_at(self.global_step)}
        charts["charts/learning_rate"] = self.optimizer.param_groups[0]["lr"]
        beta = stats.pop("beta", None)
        if self.cfg.prioritized and beta:
            charts["charts/per_beta"] = beta[-1]
        self.log_update_stats(stats, charts)


class DQNEval(Frozen, DQN):
    """Plays a saved DQN policy, the type ``"dqn-eval"`` (``arena.algos.frozen.Frozen``)."""


def greedy_actor(state: dict, obs_space: spaces.Space, act_space: spaces.Space) -> Callable:
    """The checkpoint's Q-network on the CPU: ``act(obs_batch, sample)`` takes the best actions (never samples)."""
    config = state.get("config", {})
    q = QNetwork(obs_space, int(act_space.n), config.get("dueling", False), config.get("hidden", 128))
    q.load_state_dict(state["model"])
    q.eval()

    def act(obs: np.ndarray, sample: bool = False, mask: np.ndarray | None = None) -> np.ndarray:
        legal = None if mask is None else torch.as_tensor(mask, dtype=torch.bool)
        with torch.no_grad():
            return legal_q(q(torch.as_tensor(obs)), legal).argmax(dim=1).numpy()

    return act
