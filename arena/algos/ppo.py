"""PPO (clipped surrogate, GAE), one readable file in the manner of CleanRL's ppo_atari.py.

Every worker of a policy plays its own match copy (or K copies, as a vector env)
and collects its own rollout;
gradients are averaged over ``policy_comm`` with one flat Allreduce per minibatch,
so all workers apply the same update and stay bit-identical. Parameters start from
the root worker's broadcast (a fresh network or its checkpoint).

Reading order: hyperparameters, construction, ``run`` (sync -> rollout -> GAE ->
update -> log -> checkpoint), then the pieces ``run`` calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from torch import nn

from arena.algos.learner import CHECKPOINT, FailureGate, Learner
from arena.algos.networks import ActorCritic, is_image_space
from arena.algos.optim import Adam
from arena.algos.schedules import kl_adapted, linear
from arena.algos.torch_sync import GradientAverager
from arena.mpi import comm as mpi

__all__ = ["CHECKPOINT", "PPO", "PPOConfig", "PRESETS", "greedy_actor"]
LOSSES = ("policy_loss", "value_loss", "entropy", "approx_kl", "clipfrac")  # logged as losses/<name>, as in CleanRL


@dataclass
class PPOConfig:
    """PPO hyperparameters; ``preset`` picks the starting values, and every field can be set per policy."""

    preset: str = "atari"  # "atari" (images), "vector" (the rest) or "atari-fast" (Pong on a few CPU cores)
    n_steps: int = 128  # rollout length per entity between updates
    n_epochs: int = 4  # passes over each rollout
    n_minibatches: int = 4  # minibatches per epoch
    learning_rate: float = 2.5e-4  # Adam step size at global step 0
    anneal_lr: bool = True  # decay the learning rate linearly to 0 at global step schedule_steps
    gamma: float = 0.99  # discount
    gae_lambda: float = 0.95  # GAE(lambda)
    clip_coef: float = 0.1  # surrogate clipping epsilon
    clip_vloss: bool = True  # clip the value loss around the old values too
    ent_coef: float = 0.01  # entropy bonus
    vf_coef: float = 0.5  # value loss weight
    max_grad_norm: float = 0.5  # global gradient-norm clip
    norm_adv: bool = True  # normalise advantages per minibatch
    target_kl: float | None = None  # stop the epochs early above this approximate KL
    # rl_games' adaptive rate, in place of annealing: after each epoch the rate is divided by 1.5 if the
    # epoch's mean approximate KL (over all workers) was above twice this, multiplied by 1.5 if below half
    # of it; it starts at learning_rate and lives in Adam's state, so it carries over rounds and resumes.
    adaptive_kl: float | None = None
    max_learning_rate: float = 1e-2  # the adaptive rate's ceiling (rl_games'); its floor is 1e-6
    hidden: int = 64  # MLP width (vector observations)


# The standard Atari settings (Huang et al., "The 37 implementation details of PPO").
IMAGE_DEFAULTS = PPOConfig()
# Vector tasks learn faster with longer rollouts, more epochs and a wider clip.
VECTOR_DEFAULTS = PPOConfig(preset="vector", n_steps=256, n_epochs=10, learning_rate=3e-4, clip_coef=0.2, ent_coef=0.0)
PRESETS = {
    "atari": IMAGE_DEFAULTS,
    "vector": VECTOR_DEFAULTS,
    # CleanRL's fast Atari settings, for 16 copies on one worker (benchmarks/learning.py, recipe
    # pong-ppo-cpu): 3 epochs of 8 minibatches of 256 per 2,048-step rollout and a wider clip,
    # so a CPU spends 10 network passes per agent step instead of 13.
    "atari-fast": PPOConfig(preset="atari-fast", n_epochs=3, n_minibatches=8, clip_coef=0.2),
}


def gae(
    rewards: torch.Tensor, values: torch.Tensor, ends: torch.Tensor, next_value: torch.Tensor, gamma: float, lam: float
) -> torch.Tensor:
    """Generalised advantage estimates over a ``(T, rows)`` rollout; ``ends[t]`` (step t ended its episode) cuts it."""
    advantages = torch.zeros_like(rewards)
    last = torch.zeros_like(next_value)
    for t in reversed(range(rewards.shape[0])):
        following = next_value if t == rewards.shape[0] - 1 else values[t + 1]
        alive = 1.0 - ends[t]
        delta = rewards[t] + gamma * following * alive - values[t]
        last = delta + gamma * lam * alive * last
        advantages[t] = last
    return advantages


def bootstrap_truncated(rewards: np.ndarray, cut: np.ndarray, final_values: np.ndarray, gamma: float) -> np.ndarray:
    """Rewards of rows whose episode hit a time limit (``cut``) plus the discounted value of their last observation.

    A time limit is not a real end: the value of where the episode stopped stands in for the rest.
    """
    return rewards + gamma * final_values * cut


def normalize(advantages: torch.Tensor) -> torch.Tensor:
    """Zero mean, unit standard deviation (a single advantage is left as it is)."""
    if advantages.numel() <= 1:
        return advantages
    return (advantages - advantages.mean()) / (advantages.std() + 1e-8)


def clipped_policy_loss(advantages: torch.Tensor, ratio: torch.Tensor, clip: float) -> torch.Tensor:
    """PPO's clipped surrogate objective, as a loss to minimise."""
    return torch.max(-advantages * ratio, -advantages * torch.clamp(ratio, 1 - clip, 1 + clip)).mean()


def clipped_value_loss(
    value: torch.Tensor, old_value: torch.Tensor, returns: torch.Tensor, clip: float | None
) -> torch.Tensor:
    """Half the squared error to the returns; with ``clip``, the worse of the plain and the clipped-step errors."""
    if clip is None:
        return 0.5 * ((value - returns) ** 2).mean()
    clipped = old_value + torch.clamp(value - old_value, -clip, clip)
    return 0.5 * torch.max((value - returns) ** 2, (clipped - returns) ** 2).mean()


class PPO(Learner):
    """Proximal Policy Optimization for the policy type ``"ppo"``."""

    name = "ppo"
    config_class = PPOConfig
    arena5_keywords = "ppo1"  # arena5's stable-baselines PPO1 names (arena.compat)
    reads_masks = True  # masked games: illegal actions get probability 0, in acting and in the update
    architecture = ("hidden",)

    def __init__(self, env: Any, policy_comm: mpi.Comm, **options: Any):
        super().__init__(env, policy_comm, **options)
        self.build_networks()

    def build_networks(self) -> None:
        """The actor-critic, its Adam and the gradient averaging over the policy's workers, from ``self.cfg``."""
        self.agent = self.make_agent().to(self.device)
        self.optimizer = Adam(self.agent.parameters(), lr=self.cfg.learning_rate, eps=1e-5)
        self.average_gradients = GradientAverager(list(self.agent.parameters()), self.comm)

    def make_agent(self) -> nn.Module:
        """The actor-critic network (``"ppo-lstm"`` gives a recurrent one)."""
        return ActorCritic(self.obs_space, self.act_space, self.cfg.hidden)

    @classmethod
    def defaults_for(cls, obs_space: spaces.Space, hyperparameters: dict) -> PPOConfig:
        """The named preset, else the Atari settings for images and the vector ones otherwise."""
        preset = hyperparameters.get("preset") or ("atari" if is_image_space(obs_space) else "vector")
        if preset not in PRESETS:
            raise ValueError(f"ppo: unknown preset {preset!r}; choose one of {sorted(PRESETS)}")
        return PRESETS[preset]

    # ------------------------------------------------------------------ run
    def run(self, num_steps: int, data_dir: str, policy_record: Any = None) -> None:
        """Collect rollouts and update until this worker has taken ``num_steps`` steps."""
        self.start_run(data_dir, policy_record)
        cfg, E = self.cfg, self.n_entities
        num_updates = -(-num_steps // cfg.n_steps)  # the last rollout may be shorter
        horizon = self.schedule_horizon(num_steps, self.cfg.anneal_lr and self.cfg.adaptive_kl is None)
        self.log_hyperparameters(horizon)
        obs = self.reset()
        steps_done = 0
        gate = FailureGate(f"{self.who()} ({self.name})")  # NaN observations or a blow-up end the run here
        for update in range(num_updates):
            self.optimizer.param_groups[0]["lr"] = self.learning_rate_at(self.global_step, horizon)
            T = min(cfg.n_steps, num_steps - steps_done)
            batch, obs = self.collect_rollout(obs, T, is_last=update == num_updates - 1)
            steps_done += T
            self.global_step += T * self.workers * self.copies
            stats = self.update(batch, T * E)
            losses = stats.get("losses/policy_loss", 0.0) + stats.get("losses/value_loss", 0.0)
            gate.check(losses, stats.get("losses/entropy", 0.0), self.global_step)  # before any save
            self.updates += 1
            self.log(stats)
            if self.is_root and (self.updates % self.checkpoint_every == 0 or update == num_updates - 1):
                self.save_checkpoint()
            self.evaluate_if_due()

    def learning_rate_at(self, global_step: int, horizon: int) -> float:
        """The learning rate for the update that starts at ``global_step``: linear to 0 at ``horizon``, if annealed
        (an adaptive rate is Adam's own, as the last epoch left it)."""
        if self.cfg.adaptive_kl is not None:
            return self.optimizer.param_groups[0]["lr"]
        if not self.cfg.anneal_lr:
            return self.cfg.learning_rate
        return linear(self.cfg.learning_rate, 0.0, global_step, horizon)

    # ------------------------------------------------------------- rollout
    def collect_rollout(self, obs: np.ndarray, T: int, is_last: bool) -> tuple[dict, np.ndarray]:
        """Play ``T`` steps with the current policy; returns the batch (with GAE) and the next obs."""
        E, dev = self.n_entities, self.device
        buf = {
            "obs": torch.zeros((T, E, *self.obs_space.shape), dtype=torch.as_tensor(obs).dtype, device=dev),
            "actions": torch.zeros((T, E, *self.act_space.shape), device=dev),
            "logprobs": torch.zeros((T, E), device=dev),
            "values": torch.zeros((T, E), device=dev),
            "rewards": torch.zeros((T, E), device=dev),
            "ends": torch.zeros((T, E), device=dev),
            "replaced": torch.zeros((T, E), dtype=torch.bool, device=dev),  # a paced env ran another action
        }
        if self.masked:  # the legal actions at each step, for acting and again for the update's log-probs
            buf["masks"] = torch.zeros((T, E, int(self.act_space.n)), dtype=torch.bool, device=dev)
        for t in range(T):
            obs_t = torch.as_tensor(obs, device=dev)
            legal = self.legal_actions()
            with torch.no_grad():
                action, logprob, _, value = self.agent.act_and_value(obs_t, **legal)
            if self.masked:
                buf["masks"][t] = legal["mask"]
            next_obs, reward, terminated, truncated, final_obs = self.step(action.cpu().numpy())
            ends = self.episode_ends(terminated, truncated)
            cut = ends & truncated & ~terminated
            if cut.any():  # bootstrap: a time limit is not a real end
                with torch.no_grad():
                    final_v = self.agent.value(torch.as_tensor(final_obs, device=dev)).cpu().numpy()
                reward = bootstrap_truncated(reward, cut, final_v, self.cfg.gamma)
            self.agent.mark_episode_ends(ends)  # a recurrent agent starts those rows afresh
            if self.replaced is not None:  # learn from what ran; its log-prob is rescored before the update
                action = torch.as_tensor(self.executed, device=dev).reshape(action.shape)
                buf["replaced"][t] = torch.as_tensor(self.replaced, device=dev)
            buf["obs"][t], buf["actions"][t] = obs_t, action.reshape(buf["actions"][t].shape)
            buf["logprobs"][t], buf["values"][t] = logprob, value
            buf["rewards"][t] = torch.as_tensor(reward, dtype=torch.float32, device=dev)
            buf["ends"][t] = torch.as_tensor(ends, dtype=torch.float32, device=dev)
            if not self.vector and ends.any() and not (is_last and t == T - 1):
                next_obs = self.reset()
            obs = next_obs
        with torch.no_grad():
            next_value = self.agent.value(torch.as_tensor(obs, device=dev))
        buf["advantages"] = gae(
            buf["rewards"], buf["values"], buf["ends"], next_value, self.cfg.gamma, self.cfg.gae_lambda
        )
        buf["returns"] = buf["advantages"] + buf["values"]
        return buf, obs

    # -------------------------------------------------------------- update
    def update(self, buf: dict, batch_size: int) -> dict:
        """Several epochs of clipped-surrogate updates over shuffled minibatches."""
        cfg = self.cfg
        flat = {k: v.reshape(batch_size, *v.shape[2:]) for k, v in buf.items()}
        stats: dict[str, list[float]] = {k: [] for k in LOSSES}
        if flat["replaced"].any():
            self.rescore_replaced(flat, buf["rewards"].shape[0], batch_size)
        for _ in range(cfg.n_epochs):
            # Every worker takes n_minibatches steps in lockstep. A short last rollout may leave some
            # of this worker's minibatches empty: they still join the gradient average, with no samples.
            kl_sums = np.zeros(4)  # the last minibatch's KL x samples and samples, then the epoch's
            for idx in self.minibatches(buf["rewards"].shape[0], batch_size):
                idx = torch.as_tensor(idx, device=self.device)
                approx_kl = self.minibatch_step({k: v[idx] for k, v in flat.items()}, len(idx), stats)
                kl_sums[:2] = approx_kl * len(idx), len(idx)
                kl_sums[2:] += kl_sums[:2]
            if cfg.target_kl is None and cfg.adaptive_kl is None:
                continue
            last_kl, epoch_kl = self.worker_mean_kl(kl_sums)  # the same on every worker, so all act alike
            if cfg.adaptive_kl is not None:
                group = self.optimizer.param_groups[0]
                group["lr"] = kl_adapted(group["lr"], epoch_kl, cfg.adaptive_kl, high=cfg.max_learning_rate)
            if cfg.target_kl is not None and last_kl > cfg.target_kl:
                break
        values, returns = flat["values"].cpu().numpy(), flat["returns"].cpu().numpy()
        var = np.var(returns)
        out = {f"losses/{k}": float(np.mean(v)) for k, v in stats.items() if v}
        out["losses/explained_variance"] = float("nan") if var == 0 else float(1 - np.var(returns - values) / var)
        out["charts/learning_rate"] = self.optimizer.param_groups[0]["lr"]
        return out

    def rescore_replaced(self, flat: dict, T: int, batch_size: int) -> None:
        """Log-probs of the actions a paced env ran in place of late ones, under the network that acted
        (it has not changed since the rollout), so the ratio compares like with like."""
        idx = torch.as_tensor(np.concatenate(self.minibatches(T, batch_size)), device=self.device)
        with torch.no_grad():
            logprob = self.evaluate_actions({k: v[idx] for k, v in flat.items()}, flat["actions"][idx])[0]
        rescored = flat["logprobs"].clone()
        rescored[idx] = logprob
        flat["logprobs"] = torch.where(flat["replaced"], rescored, flat["logprobs"])

    def minibatches(self, T: int, batch_size: int) -> list[np.ndarray]:
        """Indices into the flattened rollout for each of ``n_minibatches`` minibatches, shuffled."""
        return np.array_split(self.rng.permutation(batch_size), self.cfg.n_minibatches)

    def legal_actions(self) -> dict:
        """``{"mask": (rows, actions) bool tensor}`` of the current step in a masked game, else nothing."""
        return {"mask": torch.as_tensor(self.masks, device=self.device)} if self.masked else {}

    def evaluate_actions(self, mb: dict, actions: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """``(log_prob, entropy, value)`` of the minibatch's actions under the current network (legal ones only)."""
        legal = {"mask": mb["masks"]} if "masks" in mb else {}
        return self.agent.act_and_value(mb["obs"], actions, **legal)[1:]

    def minibatch_step(self, mb: dict, samples: int, stats: dict) -> float:
        """One gradient step (gradients averaged over workers, weighted by samples, before clipping and Adam);
        returns this worker's approximate KL."""
        cfg = self.cfg
        self.optimizer.zero_grad()
        approx_kl = torch.zeros(())
        if samples:
            actions = mb["actions"] if self.agent.continuous else mb["actions"].long()
            logprob, entropy, value = self.evaluate_actions(mb, actions)
            logratio = logprob - mb["logprobs"]
            ratio = logratio.exp()
            with torch.no_grad():
                approx_kl = ((ratio - 1) - logratio).mean()
                clipfrac = ((ratio - 1.0).abs() > cfg.clip_coef).float().mean()
            adv = normalize(mb["advantages"]) if cfg.norm_adv else mb["advantages"]
            pg_loss = clipped_policy_loss(adv, ratio, cfg.clip_coef)
            v_loss = clipped_value_loss(value, mb["values"], mb["returns"], cfg.clip_coef if cfg.clip_vloss else None)
            loss = pg_loss - cfg.ent_coef * entropy.mean() + cfg.vf_coef * v_loss
            loss.backward()
            for key, val in (("policy_loss", pg_loss), ("value_loss", v_loss), ("entropy", entropy.mean())):
                stats[key].append(val.item())
            stats["approx_kl"].append(float(approx_kl))
            stats["clipfrac"].append(float(clipfrac))
        if self.average_gradients(samples) > 0:  # no samples anywhere: no step (Adam would move on zeros)
            nn.utils.clip_grad_norm_(self.agent.parameters(), cfg.max_grad_norm)
            self.optimizer.step()
        return float(approx_kl)

    def worker_mean_kl(self, kl_sums: np.ndarray) -> tuple[float, float]:
        """The last minibatch's and the epoch's approximate KL, averaged over every worker's samples."""
        total = mpi.allreduce_sum(kl_sums.astype(np.float64), self.comm)
        return float(total[0] / max(total[1], 1.0)), float(total[2] / max(total[3], 1.0))

    # ------------------------------------------------------- frozen play ("ppo-eval")
    def frozen_actions(self, obs: np.ndarray, deterministic: bool) -> np.ndarray:
        """Actions sampled from the policy, or its most likely ones."""
        obs_t = torch.as_tensor(obs, device=self.device)
        return self.agent.act_and_value(obs_t, deterministic=deterministic, **self.legal_actions())[0].cpu().numpy()

    def frozen_episodes_ended(self, ends: np.ndarray) -> None:
        """A recurrent network starts those rows afresh."""
        self.agent.mark_episode_ends(ends)

    # ------------------------------------------------------- checkpoints
    def model_state(self) -> dict:
        """The actor-critic and Adam's state."""
        return {"model": self.agent.state_dict(), "optimizer": self.optimizer.state_dict()}

    def adopt(self, state: dict) -> None:
        """Take the root's weights (and optimizer, when resuming); run() sets the rate from the schedule."""
        self.agent.load_state_dict(state["model"])
        if "optimizer" in state:
            self.optimizer.load_state_dict(state["optimizer"])


def greedy_actor(state: dict, obs_space: spaces.Space, act_space: spaces.Space) -> Callable:
    """The checkpoint's policy on the CPU: ``act(obs_batch, sample)`` takes the most likely actions unless sampling."""
    agent = ActorCritic(obs_space, act_space, state.get("config", {}).get("hidden", 64))
    agent.load_state_dict(state["model"])
    agent.eval()

    def act(obs: np.ndarray, sample: bool = False, mask: np.ndarray | None = None) -> np.ndarray:
        legal = {} if mask is None else {"mask": torch.as_tensor(mask, dtype=torch.bool)}
        with torch.no_grad():
            return agent.act_and_value(torch.as_tensor(obs), deterministic=not sample, **legal)[0].numpy()

    return act
