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

import dataclasses
import inspect
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from gymnasium.vector import VectorEnv
from torch import nn

from arena.algos.base import Policy, episode_over, is_multi_entity
from arena.algos.networks import ActorCritic, is_image_space, space_problem
from arena.algos.schedules import linear, schedule_finished_message
from arena.algos.torch_sync import GradientAverager, broadcast_state, cpu_copy, state_from_bytes, state_to_bytes
from arena.core import comm as mpi

CHECKPOINT = "checkpoint.pt"
LOSSES = ("policy_loss", "value_loss", "entropy", "approx_kl", "clipfrac")  # logged as losses/<name>, as in CleanRL


@dataclass
class PPOConfig:
    """PPO hyperparameters; every field can be set per policy through ``policy_kwargs``."""

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
    hidden: int = 64  # MLP width (vector observations)


# The standard Atari settings (Huang et al., "The 37 implementation details of PPO").
IMAGE_DEFAULTS = PPOConfig()
# Vector tasks learn faster with longer rollouts, more epochs and a wider clip.
VECTOR_DEFAULTS = PPOConfig(n_steps=256, n_epochs=10, learning_rate=3e-4, clip_coef=0.2, ent_coef=0.0)


def pick_device(device: str | None) -> torch.device:
    """``device`` (the arena passes each learner its own GPU) if torch can use it, else the first GPU, else the CPU."""
    if device is None:
        return torch.device("cuda", 0) if torch.cuda.is_available() else torch.device("cpu")
    chosen = torch.device(device)
    if chosen.type == "cuda" and (not torch.cuda.is_available() or (chosen.index or 0) >= torch.cuda.device_count()):
        print(f"[ppo] {device} is not available to this torch build here; using the CPU", flush=True)
        return torch.device("cpu")
    return chosen


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


class PPO(Policy):
    """Proximal Policy Optimization for the policy type ``"ppo"``."""

    supports_vector_env = True  # kickoff(copies_per_env=K): K copies act as one batch
    uses_device = True  # a learner: the arena gives each worker a GPU of its host, in turn

    def __init__(
        self,
        env: Any,
        policy_comm: mpi.Comm,
        seed: int | None = None,
        device: str | None = None,
        checkpoint_every: int = 20,
        torch_threads: int = 1,
        schedule_steps: int | None = None,
        **hyperparameters: Any,
    ):
        super().__init__(env, policy_comm)
        self.vector = isinstance(env, VectorEnv)  # copies reset themselves; rows end one by one
        self.multi = is_multi_entity(env)
        self.copies = env.num_envs if self.vector else 1  # environment steps per step() call
        if self.vector:
            obs_spaces = [env.single_observation_space] * env.num_envs
            act_spaces = [env.single_action_space] * env.num_envs
        else:
            obs_spaces = list(env.observation_spaces) if self.multi else [env.observation_space]
            act_spaces = list(env.action_spaces) if self.multi else [env.action_space]
        if any(s != obs_spaces[0] for s in obs_spaces) or any(s != act_spaces[0] for s in act_spaces):
            raise ValueError("PPO shares one network over a block of entities: their spaces must be equal")
        self.obs_space, self.act_space, self.n_entities = obs_spaces[0], act_spaces[0], len(obs_spaces)
        defaults = IMAGE_DEFAULTS if is_image_space(self.obs_space) else VECTOR_DEFAULTS
        self.check_kwargs(hyperparameters)
        self.cfg = dataclasses.replace(defaults, **hyperparameters)
        self.checkpoint_every = checkpoint_every
        # The global step at which annealing ends; None: each run's budget (see schedule_horizon).
        self.schedule_steps = schedule_steps
        torch.set_num_threads(torch_threads)  # ranks outnumber cores: one thread each
        self.rng = np.random.default_rng(seed)
        torch.manual_seed(int(self.rng.integers(2**31)))
        self.device = pick_device(device)
        self.agent = ActorCritic(self.obs_space, self.act_space, self.cfg.hidden).to(self.device)
        self.optimizer = torch.optim.Adam(self.agent.parameters(), lr=self.cfg.learning_rate, eps=1e-5)
        self.average_gradients = GradientAverager(list(self.agent.parameters()), policy_comm)
        self.is_root = mpi.rank_of(policy_comm) == 0
        self.workers = mpi.size_of(policy_comm)
        self.global_step = 0  # environment steps of this policy, over all workers and runs
        self.updates = 0

    # ------------------------------------------------------------------ run
    def run(self, num_steps: int, data_dir: str, policy_record: Any = None) -> None:
        """Collect rollouts and update until this worker has taken ``num_steps`` steps."""
        self.data_dir, self.record = data_dir, policy_record
        self.files = policy_record.files if policy_record is not None else None  # the root's saved files
        self.metrics = policy_record.metrics if policy_record is not None else None  # the root logs scalars
        self.sync_from_root()
        cfg, E = self.cfg, self.n_entities
        num_updates = -(-num_steps // cfg.n_steps)  # the last rollout may be shorter
        horizon = self.schedule_horizon(num_steps)
        self.log_hyperparameters(horizon)
        obs = self.reset()
        steps_done = 0
        for update in range(num_updates):
            self.optimizer.param_groups[0]["lr"] = self.learning_rate_at(self.global_step, horizon)
            T = min(cfg.n_steps, num_steps - steps_done)
            batch, obs = self.collect_rollout(obs, T, is_last=update == num_updates - 1)
            steps_done += T
            self.global_step += T * self.workers * self.copies
            stats = self.update(batch, T * E)
            self.updates += 1
            self.log(stats)
            if self.is_root and (self.updates % self.checkpoint_every == 0 or update == num_updates - 1):
                self.save_checkpoint()

    def schedule_horizon(self, num_steps: int) -> int:
        """``schedule_steps``, else this run's budget over every worker and copy; says so if it has passed."""
        horizon = self.schedule_steps or num_steps * self.workers * self.copies
        if self.cfg.anneal_lr and self.global_step >= horizon and self.is_root:
            name = f"policy {self.record.policy_id}" if self.record is not None else "this policy"
            print(f"[ppo] {schedule_finished_message(name, self.global_step, horizon)}", flush=True)
        return horizon

    def learning_rate_at(self, global_step: int, horizon: int) -> float:
        """The learning rate for the update that starts at ``global_step``: linear to 0 at ``horizon``, if annealed."""
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
        }
        for t in range(T):
            obs_t = torch.as_tensor(obs, device=dev)
            with torch.no_grad():
                action, logprob, _, value = self.agent.act_and_value(obs_t)
            next_obs, reward, terminated, truncated, final_obs = self.step(action.cpu().numpy())
            ends = self.episode_ends(terminated, truncated)
            cut = ends & truncated & ~terminated
            if cut.any():  # bootstrap: a time limit is not a real end
                with torch.no_grad():
                    final_v = self.agent.value(torch.as_tensor(final_obs, device=dev)).cpu().numpy()
                reward = bootstrap_truncated(reward, cut, final_v, self.cfg.gamma)
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
        for _ in range(cfg.n_epochs):
            order = self.rng.permutation(batch_size)
            # Every worker takes n_minibatches steps in lockstep. A short last rollout may leave some
            # of this worker's minibatches empty: they still join the gradient average, with no samples.
            for idx in np.array_split(order, cfg.n_minibatches):
                idx = torch.as_tensor(idx, device=self.device)
                approx_kl = self.minibatch_step({k: v[idx] for k, v in flat.items()}, len(idx), stats)
            if cfg.target_kl is not None and approx_kl > cfg.target_kl:
                break  # every worker sees the same averaged KL, so all stop together
        values, returns = flat["values"].cpu().numpy(), flat["returns"].cpu().numpy()
        var = np.var(returns)
        out = {f"losses/{k}": float(np.mean(v)) for k, v in stats.items() if v}
        out["losses/explained_variance"] = float("nan") if var == 0 else float(1 - np.var(returns - values) / var)
        out["charts/learning_rate"] = self.optimizer.param_groups[0]["lr"]
        return out

    def minibatch_step(self, mb: dict, samples: int, stats: dict) -> float:
        """One gradient step; gradients are averaged over workers, weighted by samples, before clipping and Adam."""
        cfg = self.cfg
        self.optimizer.zero_grad()
        approx_kl = torch.zeros(())
        if samples:
            actions = mb["actions"] if self.agent.continuous else mb["actions"].long()
            _, logprob, entropy, value = self.agent.act_and_value(mb["obs"], actions)
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
        if cfg.target_kl is None:
            return float(approx_kl)
        kl = mpi.allreduce_sum(np.array([float(approx_kl) * samples, samples], np.float64), self.comm)
        return float(kl[0] / max(kl[1], 1.0))

    # ------------------------------------------------------ env plumbing
    def reset(self) -> np.ndarray:
        """Observations of every controlled entity (or copy), stacked: shape (E, *obs_shape)."""
        obs, _ = self.env.reset()
        if self.vector:
            return np.asarray(obs)
        return np.stack(obs) if self.multi else np.asarray(obs)[None]

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Act for every row: ``(obs, rewards, terminated, truncated, final_obs)``.

        ``final_obs`` is what each row saw last, for bootstrapping: the same as ``obs``
        except where a vector env's copy has just reset itself. Actions outside a Box
        are clipped to its bounds.
        """
        if isinstance(self.act_space, spaces.Box):
            actions = np.clip(actions, self.act_space.low, self.act_space.high)
        else:
            actions = actions.astype(np.int64)
        if self.vector:
            obs, rew, term, trunc, infos = self.env.step(actions)
            obs, final = np.asarray(obs), np.asarray(obs)
            if "_final_obs" in infos:
                final = obs.copy()
                for k in np.flatnonzero(infos["_final_obs"]):
                    final[k] = infos["final_obs"][k]
            return obs, np.asarray(rew, np.float32), np.asarray(term), np.asarray(trunc), final
        if self.multi:
            obs, rew, term, trunc, _ = self.env.step(list(actions))
            obs = np.stack(obs)
            return obs, np.asarray(rew, np.float32), np.asarray(term), np.asarray(trunc), obs
        obs, rew, term, trunc, _ = self.env.step(actions[0])
        obs = np.asarray(obs)[None]
        return obs, np.array([rew], np.float32), np.array([term]), np.array([trunc]), obs

    def episode_ends(self, terminated: np.ndarray, truncated: np.ndarray) -> np.ndarray:
        """Which rows' episodes ended: each copy on its own, or a block's entities all together."""
        if self.vector:
            return terminated | truncated
        return np.full(self.n_entities, episode_over(terminated.tolist(), truncated.tolist()))

    # ------------------------------------------------ checkpoints & logs
    def state(self) -> dict:
        """Everything a resumed run needs (tensors and plain Python only: weights_only loads it)."""
        return {
            "model": self.agent.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "global_step": self.global_step,
            "updates": self.updates,
            "torch_rng": torch.get_rng_state(),
            "numpy_rng": self.rng.bit_generator.state,
            "config": dataclasses.asdict(self.cfg),
        }

    @classmethod
    def check_kwargs(cls, kwargs: dict) -> None:
        """TypeError for keyword arguments that are neither options nor PPOConfig fields (checked at kickoff)."""
        options = {name for k in cls.__mro__ if "__init__" in vars(k) for name in inspect.signature(k).parameters}
        unknown = set(kwargs) - options - {f.name for f in dataclasses.fields(PPOConfig)}
        if unknown:
            raise TypeError(f"unknown PPO hyperparameters {sorted(unknown)}; see arena.algos.ppo.PPOConfig")

    @classmethod
    def check_spaces(cls, obs_space: spaces.Space, act_space: spaces.Space) -> None:
        """ValueError if the networks cannot take these spaces (rank 0 asks at kickoff, before any rank starts)."""
        problem = space_problem(obs_space, act_space)
        if problem is not None:
            raise ValueError(f"PPO cannot play this entity: {problem}")

    @classmethod
    def saved_steps(cls, data_dir: str) -> int | None:
        """The global step in the checkpoint, if there is one."""
        path = os.path.join(data_dir, CHECKPOINT)
        if not os.path.exists(path):
            return None
        return int(torch.load(path, map_location="cpu", weights_only=True)["global_step"])

    def save(self) -> None:
        """On the root worker, once the run has started: checkpoint the weights of the last update."""
        if self.is_root and getattr(self, "synced", False):  # before that the weights are not the policy's yet
            self.save_checkpoint()

    def save_checkpoint(self) -> None:
        """Save the checkpoint through the arena (atomically at home: a crash leaves the previous one whole)."""
        self.files.write(CHECKPOINT, state_to_bytes(self.state()))

    def load_checkpoint(self) -> dict | None:
        """The root's saved state, if it has one, on the CPU."""
        data = self.files.read(CHECKPOINT)
        return None if data is None else state_from_bytes(data)

    def resume_message(self, global_step: int) -> str:
        """What the root prints when it starts from a checkpoint."""
        return f"resuming from {self.files.where(CHECKPOINT)} at step {global_step:,}"

    def sync_from_root(self) -> None:
        """The root loads its checkpoint (if any) and every worker adopts the root's state."""
        state = None
        if self.is_root:
            state = self.load_checkpoint()
            if state is not None:
                torch.set_rng_state(state["torch_rng"])
                self.rng.bit_generator.state = state["numpy_rng"]
                print(f"[ppo] {self.resume_message(state['global_step'])}", flush=True)
            else:
                state = {"model": self.agent.state_dict(), "global_step": 0, "updates": 0}
            state = {k: state[k] for k in ("model", "optimizer", "global_step", "updates") if k in state}
            state = cpu_copy(state)  # peers must not open a context on the root's GPU
        state = broadcast_state(state, self.comm)
        self.agent.load_state_dict(state["model"])
        if "optimizer" in state:
            self.optimizer.load_state_dict(state["optimizer"])  # run() sets the rate from the schedule
        self.global_step, self.updates = state["global_step"], state["updates"]
        self.synced = True

    def log_hyperparameters(self, horizon: int) -> None:
        """The root logs every hyperparameter as a text table, as CleanRL does."""
        if self.metrics is not None:
            options = {"workers": self.workers, "copies": self.copies, "schedule_steps": horizon}
            options |= {"checkpoint_every": self.checkpoint_every, "device": str(self.device)}
            self.metrics.hyperparameters(dataclasses.asdict(self.cfg) | options, self.global_step)

    def log(self, stats: dict) -> None:
        """The root logs the update's statistics (CleanRL's tags) at the policy's global step."""
        if self.metrics is not None:
            self.metrics.log(stats, self.global_step)
