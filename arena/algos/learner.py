"""What every torch learner shares: rows of the env, the device, one checkpoint format, resume and logs.

An algorithm file (``ppo.py``, ``dqn.py``) subclasses ``Learner`` and keeps only its
own mathematics and loop. Here live:
  - the env as rows: one entity, a block of entities, or K copies of a vector env,
    always as arrays of shape ``(rows, ...)``;
  - the checkpoint: ``checkpoint.pt`` through ``policy_record.files``, a dict of
    tensors and plain Python with ``"algo"``, ``"config"``, ``"global_step"`` and
    ``"updates"``, loaded with ``weights_only=True``;
  - the resume: the root loads it, every worker adopts the root's state;
  - hyperparameter checks at kickoff and the metrics layer's logs.
"""

from __future__ import annotations

import dataclasses
import os
from collections import deque
from typing import Any, ClassVar

import numpy as np
import torch
from gymnasium import spaces
from gymnasium.vector import VectorEnv

from arena.algos.base import Policy, accepted_options, episode_over, is_multi_entity
from arena.algos.networks import is_image_space, space_problem
from arena.algos.schedules import schedule_finished_message
from arena.algos.torch_sync import broadcast_state, cpu_copy, state_from_bytes, state_to_bytes
from arena.envs.masks import OBSERVATION_KEY, has_mask, split_rows
from arena.evaluation.schedule import evaluation_options, start_evaluator
from arena.mpi import comm as mpi
from arena.storage.files import CHECKPOINT, read_versions


def pick_device(device: str | None) -> torch.device:
    """``device`` (the arena passes each learner its own GPU) if torch can use it, else the first GPU, else the CPU."""
    if device is None:
        return torch.device("cuda", 0) if torch.cuda.is_available() else torch.device("cpu")
    chosen = torch.device(device)
    if chosen.type == "cuda" and (not torch.cuda.is_available() or (chosen.index or 0) >= torch.cuda.device_count()):
        print(f"[arena] {device} is not available to this torch build here; using the CPU", flush=True)
        return torch.device("cpu")
    return chosen


def all_finite(state: Any) -> bool:
    """False if any floating tensor in ``state`` (nested dicts and lists: a state_dict) holds NaN or infinity."""
    if isinstance(state, torch.Tensor):
        return not state.is_floating_point() or bool(state.isfinite().all())
    if isinstance(state, dict):
        return all(all_finite(v) for v in state.values())
    if isinstance(state, (list, tuple)):
        return all(all_finite(v) for v in state)
    return True


class FailureGate:
    """Ends the run at the first non-finite loss or value, naming the policy, the step and the last losses."""

    def __init__(self, who: str, keep: int = 10):
        self.who = who
        self.losses: deque[float] = deque(maxlen=keep)

    def check(self, loss: float, values: float, step: int) -> None:
        """FloatingPointError if ``loss`` or ``values`` (e.g. the mean Q) is NaN or infinite."""
        self.losses.append(loss)
        if not (np.isfinite(loss) and np.isfinite(values)):
            last = ", ".join(f"{x:.4g}" for x in self.losses)
            raise FloatingPointError(
                f"{self.who}: non-finite loss or value at global step {step:,} (loss {loss}, values {values}); "
                f"last losses: [{last}]. Lower the learning rate, clip gradients (max_grad_norm) or check the "
                "rewards' scale"
            )


class Learner(Policy):
    """Base of the torch learners: subclasses set ``name``, ``config_class`` and the defaults, and write ``run``."""

    name: ClassVar[str] = "learner"  # the policy type, used in messages and checkpoints
    config_class: ClassVar[type]  # the hyperparameter dataclass
    supports_vector_env = True  # kickoff(copies_per_env=K): K copies act as one batch
    uses_device = True  # a learner: the arena gives each worker a GPU of its host, in turn
    evaluates_while_training = True  # the option ``evaluation``: arena.evaluation.schedule
    learns = True  # trains and checkpoints
    shared_state: ClassVar[tuple[str, ...]] = ("model", "optimizer")  # what workers adopt from the root's checkpoint
    reads_masks: ClassVar[bool] = False  # plays masked games (obs["action_mask"]): rows then carry self.masks
    # The config fields that shape the networks: a frozen player builds its networks to its checkpoint's.
    architecture: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        env: Any,
        policy_comm: mpi.Comm,
        seed: int | None = None,
        device: str | None = None,
        checkpoint_every: int = 20,
        torch_threads: int = 1,
        schedule_steps: int | None = None,
        evaluation: bool | dict | None = None,
        **hyperparameters: Any,
    ):
        super().__init__(env, policy_comm)
        self.setup_rows(env)
        self.check_kwargs(hyperparameters)
        self.cfg = self.config_for(self.obs_space, hyperparameters)
        self.checkpoint_every = checkpoint_every
        # The global step at which schedules end; None: each run's budget (see schedule_horizon).
        self.schedule_steps = schedule_steps
        torch.set_num_threads(torch_threads)  # ranks outnumber cores: one thread each
        self.rng = np.random.default_rng(seed)
        torch.manual_seed(int(self.rng.integers(2**31)))
        self.device = pick_device(device)
        self.is_root = mpi.rank_of(policy_comm) == 0
        self.workers = mpi.size_of(policy_comm)
        self.global_step = 0  # environment steps of this policy, over all workers, copies and runs
        self.executed = self.replaced = None  # set by step() where a paced env ran other actions (realtime_fps)
        self.updates = 0
        self.files = self.metrics = self.record = self.evaluator = None
        # The evaluation protocol (arena.evaluation.schedule): None evaluates policies that see images.
        self.eval_options = evaluation_options(evaluation, is_image_space(self.obs_space))
        self.eval_asked = evaluation not in (None, False)

    @classmethod
    def defaults_for(cls, obs_space: spaces.Space, hyperparameters: dict) -> Any:
        """The config the given hyperparameters start from (subclasses pick by observation kind or preset)."""
        return cls.config_class()

    @classmethod
    def config_for(cls, obs_space: spaces.Space, kwargs: dict) -> Any:
        """The config that policy kwargs give (options such as ``seed`` or ``evaluation`` are no config fields)."""
        fields = {f.name for f in dataclasses.fields(cls.config_class)}
        hyperparameters = {k: v for k, v in kwargs.items() if k in fields}
        return dataclasses.replace(cls.defaults_for(obs_space, hyperparameters), **hyperparameters)

    def start_run(self, data_dir: str, policy_record: Any) -> None:
        """Take the run's folder and record (the root's files and metrics), then adopt the root's state."""
        self.data_dir, self.record = data_dir, policy_record
        self.files = policy_record.files if policy_record is not None else None
        self.metrics = policy_record.metrics if policy_record is not None else None
        self.sync_from_root()
        if self.is_root and self.eval_options is not None:
            game = getattr(policy_record, "evaluation_game", None)
            seed = int(self.rng.integers(2**31))
            self.evaluator = start_evaluator(
                game, self.eval_options, self.eval_asked, self.files, self.metrics, self.who(), seed
            )

    def evaluate_if_due(self) -> None:
        """Between steps, on the root worker: start the evaluation that is due, or take in finished scores."""
        if self.evaluator is not None:
            self.evaluator.tick(self.global_step, lambda: state_to_bytes(self.state()))

    def finish_evaluations(self) -> None:
        """After the run, once the worker has left its match (its environment rank must not wait on this):
        finish the evaluations under way and due, so their scores and checkpoints are kept."""
        if self.evaluator is not None:
            self.evaluator.finish(self.global_step, lambda: state_to_bytes(self.state()))
            self.evaluator = None

    def schedule_horizon(self, num_steps: int, annealing: bool = True) -> int:
        """``schedule_steps``, else this run's budget over every worker and copy; says so if it has passed."""
        horizon = self.schedule_steps or num_steps * self.workers * self.copies
        if annealing and self.global_step >= horizon and self.is_root:
            print(f"[{self.name}] {schedule_finished_message(self.who(), self.global_step, horizon)}", flush=True)
        return horizon

    def who(self) -> str:
        """'policy 3' (or 'this policy' outside the arena), for messages."""
        return f"policy {self.record.policy_id}" if self.record is not None else "this policy"

    # ------------------------------------------------------ env as rows
    def setup_rows(self, env: Any) -> None:
        """The spaces and the number of rows (entities of a block, or copies of a vector env)."""
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
            raise ValueError(f"{self.name} shares one network over a block of entities: their spaces must be equal")
        self.obs_space, self.act_space, self.n_entities = obs_spaces[0], act_spaces[0], len(obs_spaces)
        # A masked game: the network sees obs["observation"], and self.masks (rows, actions) the legal actions.
        self.masked, self.masks = self.reads_masks and has_mask(self.obs_space), None
        if self.masked:
            self.obs_space = self.obs_space[OBSERVATION_KEY]

    def _split(self, obs: Any) -> np.ndarray:
        """A masked game's observations as rows of arrays; their masks go to ``self.masks``."""
        rows = obs if (self.vector or self.multi) else [obs]
        array, self.masks = split_rows(rows)
        return array

    def reset(self) -> np.ndarray:
        """Observations of every controlled entity (or copy), stacked: shape (E, *obs_shape)."""
        obs, _ = self.env.reset()
        if self.masked:
            return self._split(obs)
        if self.vector:
            return np.asarray(obs)
        return np.stack(obs) if self.multi else np.asarray(obs)[None]

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Act for every row: ``(obs, rewards, terminated, truncated, final_obs)``.

        ``final_obs`` is what each row saw last, for bootstrapping: the same as ``obs``
        except where a vector env's copy has just reset itself. Actions outside a Box
        are clipped to its bounds. Where a paced env (``kickoff(realtime_fps=...)``) ran an
        earlier action for a row whose action came late, ``self.replaced`` marks the rows and
        ``self.executed`` holds what ran (both None otherwise).
        """
        out = self._step_rows(actions)
        obs, rewards = out[0], out[1]
        if (obs.dtype.kind == "f" and not np.isfinite(obs).all()) or not np.isfinite(rewards).all():
            raise FloatingPointError(
                f"{self.who()} ({self.name}): NaN or infinite observations or rewards before global step "
                f'{self.global_step:,}; nothing was learned from them. kickoff(data_checks="raise") names the env, '
                "entity and step where they appeared"
            )
        return out

    def _step_rows(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if isinstance(self.act_space, spaces.Box):
            actions = np.clip(actions, self.act_space.low, self.act_space.high)
        else:
            actions = actions.astype(np.int64)
        if self.vector:
            obs, rew, term, trunc, infos = self.env.step(actions)
            self.executed = executed_actions(actions, infos.get("executed_action"))
            self.replaced = replaced_rows(actions, self.executed)
            obs = self._split(obs) if self.masked else np.asarray(obs)
            final = obs
            if "_final_obs" in infos:
                final = obs.copy()
                for k in np.flatnonzero(infos["_final_obs"]):
                    last = infos["final_obs"][k]
                    final[k] = split_rows([last])[0][0] if self.masked else last
            return obs, np.asarray(rew, np.float32), np.asarray(term), np.asarray(trunc), final
        if self.multi:
            obs, rew, term, trunc, infos = self.env.step(list(actions))
            ran = [info.get("executed_action") for info in infos] if isinstance(infos, list) else [None]
            self.executed = executed_actions(actions, None if ran[0] is None else np.stack(ran))
            self.replaced = replaced_rows(actions, self.executed)
            obs = self._split(obs) if self.masked else np.stack(obs)
            return obs, np.asarray(rew, np.float32), np.asarray(term), np.asarray(trunc), obs
        obs, rew, term, trunc, info = self.env.step(actions[0])
        ran = info.get("executed_action") if isinstance(info, dict) else None
        self.executed = executed_actions(actions, None if ran is None else np.asarray(ran)[None])
        self.replaced = replaced_rows(actions, self.executed)
        obs = self._split(obs) if self.masked else np.asarray(obs)[None]
        return obs, np.array([rew], np.float32), np.array([term]), np.array([trunc]), obs

    def episode_ends(self, terminated: np.ndarray, truncated: np.ndarray) -> np.ndarray:
        """Which rows' episodes ended: each copy on its own, or a block's entities all together."""
        if self.vector:
            return terminated | truncated
        return np.full(self.n_entities, episode_over(terminated.tolist(), truncated.tolist()))

    # ------------------------------------------------- frozen play (the "-eval" types)
    def frozen_actions(self, obs: np.ndarray, deterministic: bool) -> np.ndarray:
        """The actions a frozen copy of this learner plays for every row (``arena.algos.frozen``)."""
        raise NotImplementedError(f"{self.name} has no frozen ('-eval') form")

    def frozen_episodes_ended(self, ends: np.ndarray) -> None:
        """Nothing (a recurrent learner starts those rows afresh)."""

    # ---------------------------------------------------------- checkpoints
    def state(self) -> dict:
        """Everything a resumed run needs (tensors and plain Python only: weights_only loads it)."""
        return {
            "algo": self.name,
            "global_step": self.global_step,
            "updates": self.updates,
            "torch_rng": torch.get_rng_state(),
            "numpy_rng": self.rng.bit_generator.state,
            "config": dataclasses.asdict(self.cfg),
        } | self.model_state()

    def model_state(self) -> dict:
        """The networks and optimizer, by the names in ``shared_state``."""
        raise NotImplementedError

    def adopt(self, state: dict) -> None:
        """Take the root's networks and optimizer (whichever of ``shared_state`` the state holds)."""
        raise NotImplementedError

    def build_networks(self) -> None:
        """The networks, optimizers and gradient averaging, as ``self.cfg`` shapes them."""
        raise NotImplementedError

    def save(self) -> None:
        """On the root worker, once the run has started: checkpoint the weights of the last update."""
        if self.is_root and getattr(self, "synced", False):  # before that the weights are not the policy's yet
            self.save_checkpoint()
        if self.evaluator is not None:  # a stop ends the run: the evaluation under way is dropped
            self.evaluator.close()
            self.evaluator = None

    def save_checkpoint(self) -> None:
        """Save the checkpoint through the arena (atomically at home: a crash leaves the previous one whole).

        Never a non-finite one: FloatingPointError instead, and the last good checkpoint stays.
        """
        state = self.state()
        bad = [k for k, v in state.items() if not all_finite(v)]  # a network or optimizer state
        if bad:
            raise FloatingPointError(
                f"{self.who()} ({self.name}): NaN or infinite weights in {sorted(bad)} at global step "
                f"{self.global_step:,}; not saved: {self.files.where(CHECKPOINT)} keeps the last good one"
            )
        self.files.write(CHECKPOINT, state_to_bytes(state))

    def load_checkpoint(self) -> dict | None:
        """The root's saved state, if it has one, on the CPU."""
        return self.files.read_parsed(CHECKPOINT, state_from_bytes)  # a bad one falls back to the one before

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
                print(f"[{self.name}] {self.resume_message(state['global_step'])}", flush=True)
            else:
                state = self.model_state() | {"global_step": 0, "updates": 0}
                state.pop("optimizer", None)  # a fresh optimizer is the same everywhere
            keep = (*self.shared_state, "config", "global_step", "updates")
            state = cpu_copy({k: state[k] for k in keep if k in state})  # peers must not open the root's GPU
        state = broadcast_state(state, self.comm)
        self.adopt(state)
        self.global_step, self.updates = state["global_step"], state["updates"]
        self.synced = True

    @classmethod
    def saved_steps(cls, data_dir: str) -> int | None:
        """The global step in the checkpoint, if there is one (rank 0 asks at kickoff, and repairs a bad one)."""
        path = os.path.join(data_dir, CHECKPOINT)
        return read_versions(path, lambda data: int(state_from_bytes(data)["global_step"]), repair=True)

    # ------------------------------------------------------ checks and logs
    @classmethod
    def check_kwargs(cls, kwargs: dict) -> None:
        """TypeError for keyword arguments that are neither options nor config fields (checked at kickoff)."""
        unknown = set(kwargs) - accepted_options(cls) - {f.name for f in dataclasses.fields(cls.config_class)}
        if unknown:
            where = f"{cls.config_class.__module__}.{cls.config_class.__name__}"
            raise TypeError(f"unknown {cls.name.upper()} hyperparameters {sorted(unknown)}; see {where}")
        evaluation_options(kwargs.get("evaluation"), False)  # a bad evaluation dict stops kickoff too

    @classmethod
    def check_spaces(cls, obs_space: spaces.Space, act_space: spaces.Space) -> None:
        """ValueError if the networks cannot take these spaces (rank 0 asks at kickoff, before any rank starts)."""
        problem = cls.spaces_problem(obs_space, act_space)
        if problem is not None:
            raise ValueError(f"{cls.name.upper()} cannot play this entity: {problem}")

    @classmethod
    def spaces_problem(cls, obs_space: spaces.Space, act_space: spaces.Space) -> str | None:
        """Why this learner's networks cannot take these spaces, or None when they can."""
        if cls.reads_masks and has_mask(obs_space):
            if not isinstance(act_space, spaces.Discrete):
                return f"an action mask needs a Discrete action space, not {act_space}"
            return space_problem(obs_space[OBSERVATION_KEY], act_space)
        return space_problem(obs_space, act_space)

    def log_hyperparameters(self, horizon: int, extra: dict | None = None) -> None:
        """The root logs every hyperparameter as a text table, as CleanRL does."""
        if self.metrics is not None:
            options = {"workers": self.workers, "copies": self.copies, "schedule_steps": horizon}
            options |= {"checkpoint_every": self.checkpoint_every, "device": str(self.device)} | (extra or {})
            self.metrics.hyperparameters(dataclasses.asdict(self.cfg) | options, self.global_step)

    def log(self, stats: dict) -> None:
        """The root logs statistics (CleanRL's tags) at the policy's global step."""
        if self.metrics is not None:
            self.metrics.log(stats, self.global_step)


__all__ = ["CHECKPOINT", "FailureGate", "Learner", "all_finite", "is_image_space", "pick_device"]


def executed_actions(sent: np.ndarray, ran: np.ndarray | None) -> np.ndarray | None:
    """What a paced env executed for each row, in the sent actions' shape and dtype; None when it says nothing."""
    if ran is None:
        return None
    return np.asarray(ran, dtype=sent.dtype).reshape(sent.shape)


def replaced_rows(sent: np.ndarray, executed: np.ndarray | None) -> np.ndarray | None:
    """Rows whose sent action came too late, so the env ran another (None: every row ran what was sent)."""
    if executed is None:
        return None
    differs = executed != sent
    rows = differs.reshape(len(sent), -1).any(axis=1)
    return rows if rows.any() else None
