"""Soft Actor-Critic for continuous actions, one readable file after CleanRL's sac_continuous_action.py.

Every worker of a policy plays its own match copy (or K copies, as a vector env),
fills its own replay and samples its own minibatches. The critics', the actor's
and the temperature's gradients are each averaged over ``policy_comm`` (weighted
by samples) before their step, so every worker holds the same networks, and the
target critics, updated from them, stay identical too. One worker alone is
CleanRL's sac_continuous_action.py.

Reading order: hyperparameters, construction, ``run`` (sync -> act -> play and
store -> critic update -> delayed actor and temperature updates -> targets -> log
-> checkpoint), then the pieces ``run`` calls. Global steps count every environment
step of the policy (all workers and copies).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from arena.algos.frozen import Frozen
from arena.algos.learner import CHECKPOINT
from arena.algos.networks import SquashedGaussianActor, TwinQ, continuous_space_problem
from arena.algos.offpolicy import OffPolicyLearner, checkpoint_actor, polyak_update
from arena.algos.optim import Adam
from arena.algos.torch_sync import GradientAverager
from arena.mpi import comm as mpi

__all__ = ["CHECKPOINT", "SAC", "SACConfig", "SACEval", "greedy_actor", "soft_target", "temperature_loss"]


@dataclass
class SACConfig:
    """SAC hyperparameters (CleanRL's defaults); every field can be set per policy through ``policy_kwargs``."""

    policy_lr: float = 3e-4  # the actor's Adam step size
    q_lr: float = 1e-3  # the critics' (and the temperature's) Adam step size
    gamma: float = 0.99  # discount
    tau: float = 0.005  # Polyak step of the target critics after every critic update
    batch_size: int = 256  # transitions per gradient step, per worker
    replay_size: int = 1_000_000  # transitions kept by the policy, split over its workers
    learning_starts: int = 5_000  # global steps of uniformly random actions before the first update
    train_freq: int = 1  # worker steps between updates (with K copies a step is K transitions)
    gradient_steps: int = 1  # critic updates per update
    policy_frequency: int = 2  # critic updates between actor updates; the actor then takes as many steps
    alpha: float = 0.2  # the entropy temperature, fixed unless autotune
    autotune: bool = True  # learn the temperature so the policy's entropy stays near the target
    target_entropy_scale: float = 1.0  # target entropy = -scale * action dimensions
    n_step: int = 1  # n-step returns
    hidden: int = 256  # MLP width of the actor and each critic
    max_grad_norm: float | None = None  # global gradient-norm clip of each network; None for none
    log_every: int = 100  # updates between logged losses


def soft_target(
    rewards: torch.Tensor,
    discounts: torch.Tensor,
    next_q: list[torch.Tensor],
    next_log_prob: torch.Tensor,
    alpha: float,
) -> torch.Tensor:
    """``r + discount * (min_i Q_i'(s', a') - alpha * log pi(a'|s'))`` (discount 0 where the episode terminated)."""
    soft_value = torch.stack(next_q).min(dim=0).values - alpha * next_log_prob
    return rewards + discounts * soft_value


def temperature_loss(log_alpha: torch.Tensor, log_prob: torch.Tensor, target_entropy: float) -> torch.Tensor:
    """The temperature's loss: it grows when the policy's entropy (``-log_prob``) is below the target."""
    return (-log_alpha.exp() * (log_prob.detach() + target_entropy)).mean()


class SAC(OffPolicyLearner):
    """Soft Actor-Critic for the policy type ``"sac"`` (1-D Box actions with finite bounds)."""

    name = "sac"
    config_class = SACConfig
    shared_state = ("actor", "critic", "critic_target", "log_alpha", "actor_optimizer", "q_optimizer", "a_optimizer")
    architecture = ("hidden",)

    def __init__(self, env: Any, policy_comm: mpi.Comm, **options: Any):
        super().__init__(env, policy_comm, **options)
        self.build_networks()

    def build_networks(self) -> None:
        """Actor, twin critics and target, temperature, their optimizers and gradient averaging, from ``self.cfg``."""
        cfg, dev, policy_comm = self.cfg, self.device, self.comm
        self.actor = SquashedGaussianActor(self.obs_space, self.act_space, cfg.hidden).to(dev)
        self.critic = TwinQ(self.obs_space, self.act_space, cfg.hidden).to(dev)
        self.critic_target = TwinQ(self.obs_space, self.act_space, cfg.hidden).to(dev)
        self.critic_target.load_state_dict(self.critic.state_dict())
        self.critic_target.requires_grad_(False)
        self.actor_optimizer = Adam(self.actor.parameters(), lr=cfg.policy_lr)
        self.q_optimizer = Adam(self.critic.parameters(), lr=cfg.q_lr)
        self.target_entropy = -cfg.target_entropy_scale * float(np.prod(self.act_space.shape))
        self.log_alpha = torch.tensor(float(np.log(cfg.alpha)), device=dev, requires_grad=True)
        self.a_optimizer = Adam([self.log_alpha], lr=cfg.q_lr)
        self.average = {
            "critic": GradientAverager(list(self.critic.parameters()), policy_comm),
            "actor": GradientAverager(list(self.actor.parameters()), policy_comm),
            "alpha": GradientAverager([self.log_alpha], policy_comm),
        }

    @property
    def alpha(self) -> float:
        """The entropy temperature now."""
        return self.log_alpha.exp().item() if self.cfg.autotune else self.cfg.alpha

    # ------------------------------------------------------------------ run
    def run(self, num_steps: int, data_dir: str, policy_record: Any = None) -> None:
        """Play (uniformly at random through the warm-up), store every step, and train, for ``num_steps`` steps."""
        self.start_run(data_dir, policy_record)
        cfg = self.cfg
        self.log_hyperparameters(self.schedule_horizon(num_steps, False), {"target_entropy": self.target_entropy})
        self.build_replay()
        self.announce(f"temperature {'learned' if cfg.autotune else 'fixed'} from {cfg.alpha}")
        stats: dict[str, list[float]] = {}
        self.play_and_train(
            num_steps,
            lambda obs: self.act(obs, explore_uniformly=self.global_step < cfg.learning_starts),
            lambda: self.train_step(stats),
            lambda: self.log_update_stats(stats, {"losses/alpha": self.alpha}),
        )

    # --------------------------------------------------------------- acting
    def act(self, obs: np.ndarray, explore_uniformly: bool) -> np.ndarray:
        """Uniform random actions in the bounds during the warm-up, else samples of the policy."""
        if explore_uniformly:
            low, high = self.act_space.low, self.act_space.high
            return self.rng.uniform(low, high, size=(len(obs), *self.act_space.shape)).astype(np.float32)
        with torch.no_grad():
            actions, _ = self.actor(torch.as_tensor(obs, device=self.device))
        return actions.cpu().numpy()

    # --------------------------------------------------------------- update
    def train_step(self, stats: dict) -> None:
        """One critic step; every ``policy_frequency`` updates as many actor and temperature steps; the targets."""
        cfg, dev = self.cfg, self.device
        batch = self.replay.sample(cfg.batch_size)
        obs, next_obs = torch.as_tensor(batch.obs, device=dev), torch.as_tensor(batch.next_obs, device=dev)
        actions = torch.as_tensor(batch.actions, device=dev)
        with torch.no_grad():
            next_actions, next_log_prob = self.actor(next_obs)
            rewards, discounts = (torch.as_tensor(x, device=dev) for x in (batch.returns, batch.discounts))
            targets = soft_target(
                rewards, discounts, self.critic_target(next_obs, next_actions), next_log_prob, self.alpha
            )
        q1, q2 = self.critic(obs, actions)
        q_loss = F.mse_loss(q1, targets) + F.mse_loss(q2, targets)
        self.gate.check(q_loss.item(), q1.mean().item(), self.global_step)
        self.gradient_step(self.q_optimizer, q_loss, self.average["critic"], self.critic)
        self.updates += 1
        if self.updates % cfg.policy_frequency == 0:
            # Delayed like TD3, but as many actor steps as critic steps (CleanRL's compensation).
            for _ in range(cfg.policy_frequency):
                self.actor_step(obs, stats)
        polyak_update(self.critic_target, self.critic, cfg.tau)
        for key, value in (("qf1_values", q1), ("qf2_values", q2), ("qf_loss", q_loss / 2)):
            stats.setdefault(key, []).append(value.mean().item())

    def actor_step(self, obs: torch.Tensor, stats: dict) -> None:
        """Raise the soft value of the policy's actions; then move the temperature toward the target entropy."""
        actions, log_prob = self.actor(obs)
        q = torch.stack(self.critic(obs, actions)).min(dim=0).values
        actor_loss = (self.alpha * log_prob - q).mean()
        self.gradient_step(self.actor_optimizer, actor_loss, self.average["actor"], self.actor)
        stats.setdefault("actor_loss", []).append(actor_loss.item())
        if self.cfg.autotune:
            with torch.no_grad():
                _, log_prob = self.actor(obs)
            alpha_loss = temperature_loss(self.log_alpha, log_prob, self.target_entropy)
            self.gradient_step(self.a_optimizer, alpha_loss, self.average["alpha"])
            stats.setdefault("alpha_loss", []).append(alpha_loss.item())

    spaces_problem = staticmethod(continuous_space_problem)  # a 1-D Box with finite bounds

    def frozen_actions(self, obs: np.ndarray, deterministic: bool) -> np.ndarray:
        """Samples of the policy, or its mean actions ("sac-eval")."""
        return self.actor.play(torch.as_tensor(obs, device=self.device), deterministic).cpu().numpy()


class SACEval(Frozen, SAC):
    """Plays a saved SAC policy, the type ``"sac-eval"`` (``arena.algos.frozen.Frozen``)."""


greedy_actor = checkpoint_actor(SquashedGaussianActor)  # what arena.evaluate plays
