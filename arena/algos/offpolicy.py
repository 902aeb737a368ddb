"""What every off-policy learner shares: the replay it fills row by row, target networks, the failure gate.

``OffPolicyLearner`` is the base of DQN, SAC, TD3 and DDPG. It plays one step for
every row (entity of a block, or copy of a vector env), stores it in the worker's
``Replay``, begins new episodes, and decides when updates may start; each
algorithm keeps only how it acts and how it learns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from gymnasium import spaces

from arena.algos.learner import FailureGate, Learner
from arena.algos.optim import Optimizer
from arena.algos.replay import Replay
from arena.algos.torch_sync import GradientAverager
from arena.envs.masks import OBSERVATION_KEY, has_mask


def make_replay(
    replay_size: int,
    workers: int,
    rows: int,
    obs_space: spaces.Space,
    act_space: spaces.Space,
    n_step: int,
    gamma: float,
    alpha: float,
    seed: int,
    reward_shape: tuple[int, ...] = (),
    mask_size: int = 0,
) -> Replay:
    """This worker's share of the policy's ``replay_size``, for ``rows`` streams of episodes (``mask_size``: a
    masked game's actions, whose legal ones each entry keeps)."""
    discrete = isinstance(act_space, spaces.Discrete)
    return Replay(
        capacity=replay_size // workers,
        rows=rows,
        obs_shape=obs_space.shape,
        obs_dtype=obs_space.dtype,
        action_shape=() if discrete else act_space.shape,
        action_dtype=np.int64 if discrete else np.float32,
        n_step=n_step,
        gamma=gamma,
        alpha=alpha,
        seed=seed,
        reward_shape=reward_shape,
        mask_size=mask_size,
    )


def replay_bytes(replay_size: int, obs_space: spaces.Space) -> int:
    """The memory a policy's whole replay takes, over all its workers."""
    return Replay.bytes_needed(replay_size, obs_space.shape, obs_space.dtype)


def describe_bytes(n: float) -> str:
    """``7.1 GB``, ``350 MB``."""
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def checkpoint_actor(actor_class: type) -> Callable:
    """``greedy_actor(state, obs_space, act_space)`` for ``arena.evaluate``: the checkpoint's ``actor_class`` on the
    CPU, as ``act(obs_batch, sample)`` (the mean or deterministic action unless sampling)."""

    def greedy_actor(state: dict, obs_space: spaces.Space, act_space: spaces.Space) -> Callable:
        actor = actor_class(obs_space, act_space, state.get("config", {}).get("hidden", 256))
        actor.load_state_dict(state["actor"])
        actor.eval()

        def act(obs: np.ndarray, sample: bool = False) -> np.ndarray:
            with torch.no_grad():
                return actor.play(torch.as_tensor(obs), deterministic=not sample).numpy()

        return act

    return greedy_actor


@torch.no_grad()
def polyak_update(target: torch.nn.Module, online: torch.nn.Module, tau: float) -> None:
    """``target <- tau * online + (1 - tau) * target``, parameter by parameter; ``tau=1`` copies."""
    for t, o in zip(target.parameters(), online.parameters()):
        t.lerp_(o, tau)
    for t, o in zip(target.buffers(), online.buffers()):
        t.copy_(o)


class OffPolicyLearner(Learner):
    """A learner that fills a replay: ``play`` one step for every row, ``learning`` says when updates may start.

    Its config has ``replay_size``, ``learning_starts``, ``n_step`` and ``gamma``.
    """

    arena5_keywords = "offpolicy"  # arena5's worker_replay_size (arena.compat)
    reward_shape: tuple[int, ...] = ()  # a reward per replay row; MADDPG's joint rows hold one per entity

    def build_replay(self, alpha: float = 0.0) -> None:
        """This worker's share of the policy's replay (``alpha`` > 0: prioritized), and the gate on its updates."""
        cfg = self.cfg
        self.gate = FailureGate(f"{self.who()} ({self.name})")
        self.replay = make_replay(
            cfg.replay_size, self.workers, self.n_entities, self.obs_space, self.act_space, cfg.n_step, cfg.gamma,
            alpha, int(self.rng.integers(2**31)), self.reward_shape, int(self.act_space.n) if self.masked else 0,
        )  # fmt: skip

    def start_episodes(self, obs: np.ndarray) -> np.ndarray:
        """Begin every row's episode in the replay (a new episode for each row)."""
        self.row_done = np.zeros(self.n_entities, dtype=bool)
        for row in range(self.n_entities):
            self.replay.start(row, obs[row], self.row_mask(row))
        return obs

    def row_mask(self, row: int, ended: bool = False) -> np.ndarray | None:
        """A masked game's legal actions at ``row``'s newest observation; None otherwise, or where its episode
        ended (the last observation's mask is not kept: a terminated step does not bootstrap, and a cut one
        bootstraps over every action)."""
        return None if self.masks is None or ended else self.masks[row]

    def play(self, actions: np.ndarray, last: bool) -> np.ndarray:
        """Take one step for every row, store it, begin new episodes (unless ``last``); the next observations."""
        next_obs, rewards, terminated, truncated, final_obs = self.step(actions)
        ran = actions if self.replaced is None else self.executed  # a paced env's repeat of a late action
        ends = self.store(ran, rewards, terminated, truncated, final_obs, next_obs)
        if not self.vector and ends.any() and not last:
            next_obs = self.start_episodes(self.reset())
        self.global_step += self.workers * self.copies
        self.evaluate_if_due()
        return next_obs

    def store(
        self,
        actions: np.ndarray,
        rewards: np.ndarray,
        terminated: np.ndarray,
        truncated: np.ndarray,
        final_obs: np.ndarray,
        next_obs: np.ndarray,
    ) -> np.ndarray:
        """Add every row's step to the replay; returns which rows' episodes ended."""
        ends = self.episode_ends(terminated, truncated)
        for row in np.flatnonzero(~self.row_done):
            # In a block, an entity that has terminated waits (and is not stored) until the whole episode ends.
            term = bool(terminated[row])
            cut = bool(ends[row]) and not term
            self.replay.add(row, actions[row], rewards[row], term, cut, final_obs[row], self.row_mask(row, ends[row]))
            if self.vector and ends[row]:
                self.replay.start(row, next_obs[row], self.row_mask(row))  # the copy has already reset itself
            elif term or cut:
                self.row_done[row] = True
        return ends

    def play_and_train(
        self,
        num_steps: int,
        choose: Callable[[np.ndarray], np.ndarray],
        train: Callable[[], None],
        log: Callable[[], None],
    ) -> None:
        """The off-policy loop, in this order every step: ``choose`` actions, play and store them, ``train`` when
        due (and ``log``, and checkpoint); after ``num_steps`` steps, the root's last checkpoint."""
        obs = self.start_episodes(self.reset())
        for step in range(num_steps):
            obs = self.play(choose(obs), last=step == num_steps - 1)
            self.train_if_due(step, train, log)
        if self.is_root:
            self.save_checkpoint()

    def train_if_due(self, step: int, train: Callable[[], None], log: Callable[[], None]) -> None:
        """Past the warm-up, every ``train_freq`` steps: ``gradient_steps`` updates (``train``), and the logs
        (``log``) and checkpoints that are due."""
        cfg = self.cfg
        if not (self.learning(step) and (step + 1) % cfg.train_freq == 0):
            return
        for _ in range(cfg.gradient_steps):
            train()
        if self.updates % cfg.log_every < cfg.gradient_steps:
            log()
        # checkpoint_every counts logs here: with DQN's defaults, a 27 MB Atari checkpoint every 2,000 updates.
        if self.is_root and self.updates % (self.checkpoint_every * cfg.log_every) < cfg.gradient_steps:
            self.save_checkpoint()

    def learning(self, step: int) -> bool:
        """Past the warm-up: ``learning_starts`` global steps, and as many again in this run once resumed.

        A resumed run starts with an empty replay (it is not saved): it refills before updates go on.
        Every worker decides alike, as the step counts are the same on all of them.
        """
        refilled = (step + 1) * self.workers * self.copies > min(self.cfg.learning_starts, self.cfg.replay_size)
        return self.global_step > self.cfg.learning_starts and refilled

    def announce(self, what: str) -> None:
        """The root's start-up line: ``what`` (the settings that matter), the replay and the memory it takes."""
        if self.is_root:
            cfg = self.cfg
            total = replay_bytes(cfg.replay_size, self.obs_space)
            print(
                f"[{self.name}] {self.who()}: {what}, replay of {cfg.replay_size:,} transitions "
                f"({describe_bytes(total)} over {self.workers} worker(s), {describe_bytes(total / self.workers)} "
                f"each; not saved in checkpoints, it refills on resume), first update after "
                f"{cfg.learning_starts:,} steps",
                flush=True,
            )

    @classmethod
    def memory_needed(cls, obs_space: spaces.Space, act_space: spaces.Space, kwargs: dict) -> int:
        """Bytes of the policy's whole replay (split over its workers), for the check at kickoff."""
        masked = cls.reads_masks and has_mask(obs_space)  # the network's part, and a legal flag per action
        inner = obs_space[OBSERVATION_KEY] if masked else obs_space
        size = cls.config_for(inner, kwargs).replay_size
        return replay_bytes(size, inner) + (size * int(act_space.n) if masked else 0)

    def log_update_stats(self, stats: dict[str, list[float]], extra: dict[str, Any]) -> None:
        """The root logs the mean of each loss since the last log as ``losses/<name>``, with ``extra`` as it is."""
        out = {f"losses/{k}": float(np.mean(v)) for k, v in stats.items() if v}
        stats.clear()
        self.log(out | extra)

    def gradient_step(
        self, optimizer: Optimizer, loss: torch.Tensor, average: GradientAverager, clip: Any = None
    ) -> None:
        """Backpropagate ``loss``, average the gradients over the workers, clip ``clip``'s (a module), step."""
        optimizer.zero_grad()
        loss.backward()
        average(self.cfg.batch_size)
        if clip is not None and self.cfg.max_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(clip.parameters(), self.cfg.max_grad_norm)
        optimizer.step()

    def model_state(self) -> dict:
        """Every module, optimizer and tensor named in ``shared_state``; the replay is not saved."""
        state = {}
        for name in self.shared_state:
            part = getattr(self, name)
            state[name] = part.detach().clone() if isinstance(part, torch.Tensor) else part.state_dict()
        return state

    def adopt(self, state: dict) -> None:
        """Take the root's networks (and optimizers, when resuming): whatever of ``shared_state`` the state holds."""
        for name in self.shared_state:
            if name not in state:
                continue
            part = getattr(self, name)
            if isinstance(part, torch.Tensor):
                with torch.no_grad():
                    part.copy_(state[name])
            else:
                part.load_state_dict(state[name])
