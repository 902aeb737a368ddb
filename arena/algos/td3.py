"""TD3 and DDPG for continuous actions, one readable file after CleanRL's td3_continuous_action.py.

DDPG (Lillicrap et al. 2016) is a deterministic actor, a critic and their target
copies. TD3 (Fujimoto et al. 2018) adds three things, each a field of ``TD3Config``:
clipped double-Q (``twin``: the target takes the smaller of two critics), target
policy smoothing (``policy_noise``, clipped at ``noise_clip``) and delayed actor
updates (``policy_frequency``). ``"ddpg"`` is this file with the three turned off.

Every worker of a policy plays its own match copy (or K copies, as a vector env)
and fills its own replay; the critics' and the actor's gradients are averaged over
``policy_comm`` before each step, so every worker holds the same networks and targets.

Reading order: hyperparameters, construction, ``run`` (sync -> act with noise ->
play and store -> critic update -> delayed actor update and targets -> log ->
checkpoint), then the pieces ``run`` calls.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from gymnasium import spaces

from arena.algos.frozen import Frozen
from arena.algos.learner import CHECKPOINT
from arena.algos.networks import DeterministicActor, TwinQ, continuous_space_problem
from arena.algos.offpolicy import OffPolicyLearner, checkpoint_actor, polyak_update
from arena.algos.optim import Adam
from arena.algos.torch_sync import GradientAverager
from arena.mpi import comm as mpi

__all__ = [
    "CHECKPOINT",
    "DDPG",
    "DDPGEval",
    "TD3",
    "TD3Config",
    "TD3Eval",
    "actor_update_due",
    "greedy_actor",
    "smoothed_target_actions",
]


@dataclass
class TD3Config:
    """TD3 hyperparameters (CleanRL's defaults); every field can be set per policy through ``policy_kwargs``."""

    learning_rate: float = 3e-4  # Adam step size of the actor and the critics
    gamma: float = 0.99  # discount
    tau: float = 0.005  # Polyak step of the target networks after every actor update
    batch_size: int = 256  # transitions per gradient step, per worker
    replay_size: int = 1_000_000  # transitions kept by the policy, split over its workers
    learning_starts: int = 25_000  # global steps of uniformly random actions before the first update
    train_freq: int = 1  # worker steps between updates (with K copies a step is K transitions)
    gradient_steps: int = 1  # critic updates per update
    exploration_noise: float = 0.1  # Gaussian noise on played actions, times half the action range
    twin: bool = True  # clipped double-Q: two critics, the target takes the smaller
    policy_noise: float = 0.2  # target policy smoothing: noise on the target's actions (0: none)
    noise_clip: float = 0.5  # ... clipped to this, both times half the action range
    policy_frequency: int = 2  # critic updates per actor (and target) update
    n_step: int = 1  # n-step returns
    hidden: int = 256  # MLP width of the actor and each critic
    max_grad_norm: float | None = None  # global gradient-norm clip of each network; None for none
    log_every: int = 100  # updates between logged losses


# DDPG: one critic, no target smoothing, the actor updated with every critic update.
DDPG_DEFAULTS = TD3Config(twin=False, policy_noise=0.0, policy_frequency=1)


def smoothed_target_actions(
    target_actions: torch.Tensor, noise: float, noise_clip: float, scale: torch.Tensor, bias: torch.Tensor
) -> torch.Tensor:
    """The target actor's actions plus clipped Gaussian noise (times ``scale``), kept inside the bounds."""
    if noise <= 0:
        return target_actions
    clipped = (torch.randn_like(target_actions) * noise).clamp(-noise_clip, noise_clip) * scale
    return torch.max(torch.min(target_actions + clipped, bias + scale), bias - scale)


def actor_update_due(updates: int, policy_frequency: int) -> bool:
    """True after every ``policy_frequency``-th critic update (``updates`` counts them from 1)."""
    return updates % policy_frequency == 0


class TD3(OffPolicyLearner):
    """Twin Delayed DDPG for the policy type ``"td3"`` (1-D Box actions with finite bounds)."""

    name = "td3"
    config_class = TD3Config
    shared_state = ("actor", "actor_target", "critic", "critic_target", "actor_optimizer", "q_optimizer")
    architecture = ("hidden", "twin")

    def __init__(self, env: Any, policy_comm: mpi.Comm, **options: Any):
        super().__init__(env, policy_comm, **options)
        self.build_networks()

    def build_networks(self) -> None:
        """Actor, critics and their targets, the optimizers and gradient averaging, from ``self.cfg``."""
        cfg, dev, policy_comm = self.cfg, self.device, self.comm
        self.actor = DeterministicActor(self.obs_space, self.act_space, cfg.hidden).to(dev)
        self.actor_target = DeterministicActor(self.obs_space, self.act_space, cfg.hidden).to(dev)
        self.critic = TwinQ(self.obs_space, self.act_space, cfg.hidden, twin=cfg.twin).to(dev)
        self.critic_target = TwinQ(self.obs_space, self.act_space, cfg.hidden, twin=cfg.twin).to(dev)
        for target, online in ((self.actor_target, self.actor), (self.critic_target, self.critic)):
            target.load_state_dict(online.state_dict())
            target.requires_grad_(False)
        self.actor_optimizer = Adam(self.actor.parameters(), lr=cfg.learning_rate)
        self.q_optimizer = Adam(self.critic.parameters(), lr=cfg.learning_rate)
        self.average = {
            "critic": GradientAverager(list(self.critic.parameters()), policy_comm),
            "actor": GradientAverager(list(self.actor.parameters()), policy_comm),
        }

    # ------------------------------------------------------------------ run
    def run(self, num_steps: int, data_dir: str, policy_record: Any = None) -> None:
        """Play (uniformly at random through the warm-up, then with noise), store every step and train."""
        self.start_run(data_dir, policy_record)
        cfg = self.cfg
        self.log_hyperparameters(self.schedule_horizon(num_steps, False))
        self.build_replay()
        self.announce(f"{'twin' if cfg.twin else 'one'} critic(s), actor every {cfg.policy_frequency} update(s)")
        stats: dict[str, list[float]] = {}
        self.play_and_train(
            num_steps,
            lambda obs: self.act(obs, explore_uniformly=self.global_step < cfg.learning_starts),
            lambda: self.train_step(stats),
            lambda: self.log_update_stats(stats, {}),
        )

    # --------------------------------------------------------------- acting
    def act(self, obs: np.ndarray, explore_uniformly: bool) -> np.ndarray:
        """Uniform random actions during the warm-up, else the actor's plus Gaussian noise, inside the bounds."""
        low, high = self.act_space.low, self.act_space.high
        if explore_uniformly:
            return self.rng.uniform(low, high, size=(len(obs), *self.act_space.shape)).astype(np.float32)
        with torch.no_grad():
            actions = self.actor(torch.as_tensor(obs, device=self.device)).cpu().numpy()
        noise = self.rng.normal(0.0, self.cfg.exploration_noise, size=actions.shape) * (high - low) / 2
        return np.clip(actions + noise, low, high).astype(np.float32)

    # --------------------------------------------------------------- update
    def train_step(self, stats: dict) -> None:
        """One critic step; every ``policy_frequency`` updates an actor step and the Polyak targets."""
        cfg, dev = self.cfg, self.device
        batch = self.replay.sample(cfg.batch_size)
        obs, next_obs = torch.as_tensor(batch.obs, device=dev), torch.as_tensor(batch.next_obs, device=dev)
        actions = torch.as_tensor(batch.actions, device=dev)
        with torch.no_grad():
            scale, bias = self.actor_target.scale, self.actor_target.bias
            next_actions = smoothed_target_actions(
                self.actor_target(next_obs), cfg.policy_noise, cfg.noise_clip, scale, bias
            )
            next_q = torch.stack(self.critic_target(next_obs, next_actions)).min(dim=0).values
            rewards, discounts = (torch.as_tensor(x, device=dev) for x in (batch.returns, batch.discounts))
            targets = rewards + discounts * next_q
        qs = self.critic(obs, actions)
        q_loss = sum(F.mse_loss(q, targets) for q in qs)
        self.gate.check(q_loss.item(), qs[0].mean().item(), self.global_step)
        self.gradient_step(self.q_optimizer, q_loss, self.average["critic"], self.critic)
        self.updates += 1
        if actor_update_due(self.updates, cfg.policy_frequency):
            actor_loss = -self.critic(obs, self.actor(obs))[0].mean()
            self.gradient_step(self.actor_optimizer, actor_loss, self.average["actor"], self.actor)
            polyak_update(self.actor_target, self.actor, cfg.tau)
            polyak_update(self.critic_target, self.critic, cfg.tau)
            stats.setdefault("actor_loss", []).append(actor_loss.item())
        for i, q in enumerate(qs):
            stats.setdefault(f"qf{i + 1}_values", []).append(q.mean().item())
        stats.setdefault("qf_loss", []).append(q_loss.item() / len(qs))

    spaces_problem = staticmethod(continuous_space_problem)  # a 1-D Box with finite bounds

    def frozen_actions(self, obs: np.ndarray, deterministic: bool) -> np.ndarray:
        """The actor's actions, without exploration noise ("td3-eval", "ddpg-eval")."""
        return self.actor.play(torch.as_tensor(obs, device=self.device), deterministic).cpu().numpy()


class DDPG(TD3):
    """Deep Deterministic Policy Gradient for the policy type ``"ddpg"``: TD3 with its three additions off."""

    name = "ddpg"

    @classmethod
    def defaults_for(cls, obs_space: spaces.Space, hyperparameters: dict) -> TD3Config:
        """DDPG's settings: one critic, no target smoothing, no actor delay."""
        return dataclasses.replace(DDPG_DEFAULTS)


greedy_actor = checkpoint_actor(DeterministicActor)  # what arena.evaluate plays


class TD3Eval(Frozen, TD3):
    """Plays a saved TD3 policy, the type ``"td3-eval"`` (``arena.algos.frozen.Frozen``)."""


class DDPGEval(Frozen, DDPG):
    """Plays a saved DDPG policy, the type ``"ddpg-eval"`` (``arena.algos.frozen.Frozen``)."""
