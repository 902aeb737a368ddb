"""MADDPG and MASAC: decentralised actors, centralised critics, for a worker that controls a block of entities.

A match entry that is a block (``[[ [1, 1] ]]``, arena5's way) gives one worker
every entity of it. Each entity ``i`` has an actor that sees only its own
observation, and a critic ``Q_i`` that sees every entity's observation and action in
the block and learns entity ``i``'s reward (Lowe et al. 2017). Spaces may differ
between entities; with ``share_actors`` every entity plays one actor (their spaces
must then be equal). MADDPG's actors are deterministic and learn through their
critic as DDPG's do (``arena/algos/td3.py``); MASAC's are SAC's tanh-squashed
Gaussians with twin critics and a temperature per entity (``arena/algos/sac.py``).

The replay holds joint steps: every entity's observation in one flat vector, every
action in another, one reward per entity. A block's episode ends when every entity's
has; it counts as terminated only if every entity terminated. Several workers of a
policy average their gradients over ``policy_comm`` and stay identical.

Reading order: hyperparameters, construction, the block as one joint row, ``run``,
acting, the update.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from gymnasium import spaces
from torch import nn

from arena.algos.base import episode_over, is_multi_entity
from arena.algos.networks import DeterministicActor, SquashedGaussianActor, TwinQ, continuous_space_problem
from arena.algos.offpolicy import OffPolicyLearner, polyak_update
from arena.algos.optim import Adam
from arena.algos.sac import temperature_loss
from arena.algos.torch_sync import GradientAverager
from arena.mpi import comm as mpi

__all__ = ["MADDPG", "MADDPGConfig", "MASAC", "joint_box", "with_entity_action"]


@dataclass
class MADDPGConfig:
    """MADDPG and MASAC hyperparameters (the paper's, with Adam at 1e-3); any field can be set per policy."""

    learning_rate: float = 1e-3  # Adam step size of the actors and the critics (and MASAC's temperatures)
    gamma: float = 0.95  # discount
    tau: float = 0.01  # Polyak step of the target networks after every update
    batch_size: int = 256  # joint steps per gradient step, per worker
    replay_size: int = 1_000_000  # joint steps kept by the policy, split over its workers
    learning_starts: int = 2_000  # global steps of uniformly random actions before the first update
    train_freq: int = 1  # worker steps between updates
    gradient_steps: int = 1  # updates each time
    exploration_noise: float = 0.1  # MADDPG: Gaussian noise on played actions, times half the action range
    share_actors: bool = False  # one actor for every entity of the block (equal spaces)
    alpha: float = 0.2  # MASAC: each entity's temperature at the start
    autotune: bool = True  # MASAC: learn the temperatures toward the target entropy
    target_entropy_scale: float = 1.0  # MASAC: target entropy = -scale * the entity's action dimensions
    max_grad_norm: float | None = 0.5  # gradient-norm clip of the critics and of the actors (the paper's)
    n_step: int = 1  # n-step returns
    hidden: int = 64  # MLP width of every actor and critic
    log_every: int = 100  # updates between logged losses


def joint_box(boxes: list[spaces.Box]) -> spaces.Box:
    """One flat float32 Box holding every box of the list in order (the block's joint observation or action)."""
    low = np.concatenate([np.broadcast_to(b.low, b.shape).reshape(-1) for b in boxes]).astype(np.float32)
    high = np.concatenate([np.broadcast_to(b.high, b.shape).reshape(-1) for b in boxes]).astype(np.float32)
    return spaces.Box(low, high, dtype=np.float32)


def slices_of(boxes: list[spaces.Box]) -> list[slice]:
    """Where each box sits in the joint vector."""
    ends = np.cumsum([int(np.prod(b.shape)) for b in boxes])
    return [slice(int(end - np.prod(b.shape)), int(end)) for b, end in zip(boxes, ends)]


def with_entity_action(actions: torch.Tensor, mine: torch.Tensor, where: slice) -> torch.Tensor:
    """The joint actions with one entity's replaced by ``mine`` (the others stay as they were played)."""
    return torch.cat([actions[:, : where.start], mine, actions[:, where.stop :]], dim=1)


class MADDPG(OffPolicyLearner):
    """Multi-agent DDPG for the policy type ``"maddpg"`` (a block of entities with bounded 1-D Box actions)."""

    name = "maddpg"
    config_class = MADDPGConfig
    soft = False  # MASAC: stochastic actors, twin critics, temperatures
    shared_state = ("actors", "actor_targets", "critics", "critic_targets", "actor_optimizer", "q_optimizer")

    def __init__(self, env: Any, policy_comm: mpi.Comm, **options: Any):
        super().__init__(env, policy_comm, **options)
        cfg, dev, n = self.cfg, self.device, self.agents
        unequal = any(o != self.entity_obs[0] for o in self.entity_obs) or any(
            a != self.entity_act[0] for a in self.entity_act
        )
        if cfg.share_actors and unequal:
            raise ValueError(f"{self.name}: share_actors needs equal observation and action spaces in the block")
        actor_class = SquashedGaussianActor if self.soft else DeterministicActor
        count = 1 if cfg.share_actors else n
        self.actors = nn.ModuleList(
            actor_class(self.entity_obs[i], self.entity_act[i], cfg.hidden) for i in range(count)
        )
        self.critics = nn.ModuleList(TwinQ(self.obs_space, self.act_space, cfg.hidden, self.soft) for _ in range(n))
        self.critic_targets = nn.ModuleList(
            TwinQ(self.obs_space, self.act_space, cfg.hidden, self.soft) for _ in range(n)
        )
        for modules in (self.actors, self.critics, self.critic_targets):
            modules.to(dev)
        self.critic_targets.load_state_dict(self.critics.state_dict())
        self.critic_targets.requires_grad_(False)
        if not self.soft:
            self.actor_targets = nn.ModuleList(
                actor_class(self.entity_obs[i], self.entity_act[i], cfg.hidden) for i in range(count)
            ).to(dev)
            self.actor_targets.load_state_dict(self.actors.state_dict())
            self.actor_targets.requires_grad_(False)
        self.actor_optimizer = Adam(self.actors.parameters(), lr=cfg.learning_rate)
        self.q_optimizer = Adam(self.critics.parameters(), lr=cfg.learning_rate)
        self.average = {
            "critics": GradientAverager(list(self.critics.parameters()), policy_comm),
            "actors": GradientAverager(list(self.actors.parameters()), policy_comm),
        }

    # ----------------------------------------------- the block as one joint row
    def setup_rows(self, env: Any) -> None:
        """One replay row for the whole block: joint observations and actions, one reward per entity."""
        self.vector, self.multi, self.copies = False, is_multi_entity(env), 1
        self.masked, self.masks = False, None  # continuous actions: no action masks
        self.entity_obs = list(env.observation_spaces) if self.multi else [env.observation_space]
        self.entity_act = list(env.action_spaces) if self.multi else [env.action_space]
        problems = {continuous_space_problem(o, a) for o, a in zip(self.entity_obs, self.entity_act)} - {None}
        if problems or any(len(o.shape) != 1 for o in self.entity_obs):
            raise ValueError(f"{self.name} needs vector observations and bounded 1-D Box actions: {problems or ''}")
        self.agents, self.n_entities = len(self.entity_obs), 1
        self.reward_shape = (self.agents,)
        self.obs_space, self.act_space = joint_box(self.entity_obs), joint_box(self.entity_act)
        self.obs_slices, self.act_slices = slices_of(self.entity_obs), slices_of(self.entity_act)

    def reset(self) -> np.ndarray:
        """The joint observation, shape (1, joint size)."""
        obs, _ = self.env.reset()
        return self.joint(obs if self.multi else [obs])

    def joint(self, observations: list) -> np.ndarray:
        """Every entity's observation, flattened and concatenated, as one row."""
        return np.concatenate([np.asarray(o, np.float32).reshape(-1) for o in observations])[None]

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Split the joint action over the entities and step the block: one joint row, a reward per entity."""
        parts = [actions[0, sl].reshape(space.shape) for sl, space in zip(self.act_slices, self.entity_act)]
        if self.multi:
            obs, rewards, terminated, truncated, _ = self.env.step(parts)
        else:
            obs, reward, term, trunc, _ = self.env.step(parts[0])
            obs, rewards, terminated, truncated = [obs], [reward], [term], [trunc]
        over = episode_over(list(np.atleast_1d(terminated)), list(np.atleast_1d(truncated)))
        all_terminated = over and bool(np.all(terminated))
        joint = self.joint(obs)
        ended = np.array([all_terminated]), np.array([over and not all_terminated])
        return joint, np.asarray(rewards, np.float32)[None], *ended, joint

    # ------------------------------------------------------------------ run
    def run(self, num_steps: int, data_dir: str, policy_record: Any = None) -> None:
        """Play (uniformly at random through the warm-up), store every joint step, and train."""
        self.start_run(data_dir, policy_record)
        cfg = self.cfg
        self.log_hyperparameters(self.schedule_horizon(num_steps, False), {"entities": self.agents})
        self.build_replay()
        self.announce(f"{self.agents} entities, {len(self.actors)} actor(s), centralised critics")
        stats: dict[str, list[float]] = {}
        self.play_and_train(
            num_steps,
            lambda obs: self.act(obs, explore_uniformly=self.global_step < cfg.learning_starts),
            lambda: self.train_step(stats),
            lambda: self.log_update_stats(stats, self.chart_values()),
        )

    # --------------------------------------------------------------- acting
    def policy_actions(self, obs: torch.Tensor, target: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Every entity's action from its own observation, joined; MASAC also gives log-probabilities (B, E)."""
        actors = self.actor_targets if target else self.actors
        actions, log_probs = [], []
        for i, (obs_slice, space) in enumerate(zip(self.obs_slices, self.entity_obs)):
            actor = actors[0 if self.cfg.share_actors else i]
            mine = obs[:, obs_slice].reshape(len(obs), *space.shape)
            if self.soft:
                action, log_prob = actor(mine)
                log_probs.append(log_prob)
            else:
                action = actor(mine)
            actions.append(action.reshape(len(obs), -1))
        return torch.cat(actions, dim=1), torch.stack(log_probs, dim=1) if self.soft else None

    def act(self, obs: np.ndarray, explore_uniformly: bool) -> np.ndarray:
        """Uniform random joint actions during the warm-up, else the actors' (MADDPG's with Gaussian noise)."""
        low, high = self.act_space.low, self.act_space.high
        if explore_uniformly:
            return self.rng.uniform(low, high, size=(len(obs), *self.act_space.shape)).astype(np.float32)
        with torch.no_grad():
            actions = self.policy_actions(torch.as_tensor(obs, device=self.device))[0].cpu().numpy()
        if not self.soft:
            actions = actions + self.rng.normal(0.0, self.cfg.exploration_noise, actions.shape) * (high - low) / 2
        return np.clip(actions, low, high).astype(np.float32)

    # --------------------------------------------------------------- update
    def train_step(self, stats: dict) -> None:
        """Every entity's critic toward its own reward, then every actor through its own critic; the targets."""
        cfg, dev = self.cfg, self.device
        batch = self.replay.sample(cfg.batch_size)
        obs, next_obs = torch.as_tensor(batch.obs, device=dev), torch.as_tensor(batch.next_obs, device=dev)
        actions, returns = torch.as_tensor(batch.actions, device=dev), torch.as_tensor(batch.returns, device=dev)
        discounts = torch.as_tensor(batch.discounts, device=dev)
        with torch.no_grad():
            next_actions, next_log_probs = self.policy_actions(next_obs, target=not self.soft)
            targets = []
            for i, critic_target in enumerate(self.critic_targets):
                next_q = torch.stack(critic_target(next_obs, next_actions)).min(dim=0).values
                if self.soft:
                    next_q = next_q - self.alphas()[i] * next_log_probs[:, i]
                targets.append(returns[:, i] + discounts * next_q)
        q_values = [critic(obs, actions) for critic in self.critics]
        q_loss = sum(F.mse_loss(q, target) for qs, target in zip(q_values, targets) for q in qs)
        self.gate.check(q_loss.item(), q_values[0][0].mean().item(), self.global_step)
        self.gradient_step(self.q_optimizer, q_loss, self.average["critics"], self.critics)
        self.updates += 1
        actor_loss = self.actor_step(obs, actions, stats)
        polyak_update(self.critic_targets, self.critics, cfg.tau)
        if not self.soft:
            polyak_update(self.actor_targets, self.actors, cfg.tau)
        stats.setdefault("qf_loss", []).append(q_loss.item() / len(self.critics))
        stats.setdefault("qf1_values", []).append(float(np.mean([qs[0].mean().item() for qs in q_values])))
        stats.setdefault("actor_loss", []).append(actor_loss)

    def actor_step(self, obs: torch.Tensor, actions: torch.Tensor, stats: dict) -> float:
        """Each entity's actor raises its critic's value of its action, the others' as played; returns the loss."""
        mine, log_probs = self.policy_actions(obs)
        losses = []
        for i, (critic, where) in enumerate(zip(self.critics, self.act_slices)):
            q = torch.stack(critic(obs, with_entity_action(actions, mine[:, where], where))).min(dim=0).values
            losses.append((self.alphas()[i] * log_probs[:, i] - q).mean() if self.soft else -q.mean())
        actor_loss = sum(losses)
        self.gradient_step(self.actor_optimizer, actor_loss, self.average["actors"], self.actors)
        return actor_loss.item()

    def alphas(self) -> torch.Tensor:
        """MASAC's temperatures, one per entity."""
        raise NotImplementedError

    def chart_values(self) -> dict:
        """Values logged as they are beside the mean losses."""
        return {}

    @classmethod
    def check_spaces(cls, obs_space: spaces.Space, act_space: spaces.Space) -> None:
        """ValueError unless this entity has vector observations and bounded 1-D Box actions."""
        problem = continuous_space_problem(obs_space, act_space)
        if problem is None and len(getattr(obs_space, "shape", ())) != 1:
            problem = f"its centralised critics read vector observations, not {obs_space}"
        if problem is not None:
            raise ValueError(f"{cls.name.upper()} cannot play this entity: {problem}")


class MASAC(MADDPG):
    """Multi-agent SAC for the policy type ``"masac"``: squashed Gaussian actors, twin critics, temperatures."""

    name = "masac"
    soft = True
    shared_state = ("actors", "critics", "critic_targets", "log_alpha", "actor_optimizer", "q_optimizer", "a_optimizer")

    def __init__(self, env: Any, policy_comm: mpi.Comm, **options: Any):
        super().__init__(env, policy_comm, **options)
        cfg = self.cfg
        dims = torch.tensor([float(np.prod(space.shape)) for space in self.entity_act], device=self.device)
        self.target_entropy = -cfg.target_entropy_scale * dims
        self.log_alpha = torch.full((self.agents,), float(np.log(cfg.alpha)), device=self.device, requires_grad=True)
        self.a_optimizer = Adam([self.log_alpha], lr=cfg.learning_rate)
        self.average["alpha"] = GradientAverager([self.log_alpha], policy_comm)

    def alphas(self) -> torch.Tensor:
        """Each entity's temperature now (fixed at ``alpha`` unless ``autotune``)."""
        if not self.cfg.autotune:
            return torch.full((self.agents,), self.cfg.alpha, device=self.device)
        return self.log_alpha.detach().exp()

    def actor_step(self, obs: torch.Tensor, actions: torch.Tensor, stats: dict) -> float:
        """The actors' step, then each temperature's toward its entity's target entropy."""
        actor_loss = super().actor_step(obs, actions, stats)
        if self.cfg.autotune:
            with torch.no_grad():
                _, log_probs = self.policy_actions(obs)
            alpha_loss = temperature_loss(self.log_alpha, log_probs, self.target_entropy)
            self.gradient_step(self.a_optimizer, alpha_loss, self.average["alpha"])
            stats.setdefault("alpha_loss", []).append(alpha_loss.item())
        return actor_loss

    def chart_values(self) -> dict:
        """The mean temperature, as ``losses/alpha`` (CleanRL's tag)."""
        return {"losses/alpha": self.alphas().mean().item()}
