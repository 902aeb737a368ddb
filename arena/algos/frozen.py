"""The "-eval" policy types: a learner's checkpoint played without learning.

``"ppo-eval"``, ``"ppo-lstm-eval"``, ``"dqn-eval"``, ``"sac-eval"``, ``"td3-eval"`` and
``"ddpg-eval"`` are ``Frozen`` put before their learner class. The learner gives ``frozen_actions``
(and ``frozen_episodes_ended``, see ``arena.algos.learner.Learner``);
everything else (where the checkpoint comes from, never saving, never rewinding the
records) is here, once.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from arena.algos.base import Policy
from arena.algos.learner import CHECKPOINT
from arena.algos.torch_sync import state_from_bytes
from arena.mpi import comm as mpi


class Frozen(Policy):
    """Plays a saved policy; the arena records its episodes, nothing else is written.

    ``source_policy`` names the policy id whose checkpoint to play (default: this
    policy's own folder); ``deterministic`` takes the most likely (or mean) action
    instead of sampling. A deterministic actor (TD3, DDPG) plays without its noise.
    """

    evaluates_while_training = False  # it never trains: ARENA_EVALUATION leaves it alone
    plays_frozen = True

    def __init__(
        self,
        env: Any,
        policy_comm: mpi.Comm,
        source_policy: int | None = None,
        deterministic: bool = False,
        **kwargs: Any,
    ):
        super().__init__(env, policy_comm, **kwargs)
        self.source_policy, self.deterministic = source_policy, deterministic

    @classmethod
    def saved_steps(cls, data_dir: str) -> int | None:
        """None: a frozen policy's records are a plain log of play, never rewound."""
        return None

    def save(self) -> None:
        """Nothing: a frozen policy never writes a checkpoint."""

    def load_checkpoint(self) -> dict:
        """The source policy's checkpoint (or this policy's own), without its optimizers' state."""
        state = self.files.read_parsed(CHECKPOINT, state_from_bytes, self.source_policy)
        if state is None:
            source = self.source_policy if self.source_policy is not None else "its own folder"
            raise FileNotFoundError(
                f"{self.name}-eval: no {CHECKPOINT} for policy {source}; train it with '{self.name}' first"
            )
        return {k: v for k, v in state.items() if "optimizer" not in k}

    def adopt(self, state: dict) -> None:
        """Build the networks to the checkpoint's shape first: its source may have trained them wider."""
        saved = state.get("config", {})
        shape = {k: saved[k] for k in self.architecture if k in saved and saved[k] != getattr(self.cfg, k)}
        if shape:
            self.cfg = dataclasses.replace(self.cfg, **shape)
            self.build_networks()
        super().adopt(state)

    def resume_message(self, global_step: int) -> str:
        """Which checkpoint this frozen policy plays."""
        source = "its own" if self.source_policy is None else f"policy {self.source_policy}'s"
        return f"{self.name}-eval plays {source} checkpoint, saved at step {global_step:,}"

    def run(self, num_steps: int, data_dir: str, policy_record: Any = None) -> None:
        """Play ``num_steps`` steps with the frozen policy."""
        self.data_dir, self.record = data_dir, policy_record
        self.files = policy_record.files if policy_record is not None else None
        self.sync_from_root()
        obs = self.reset()
        for step in range(1, num_steps + 1):
            with torch.no_grad():
                actions = self.frozen_actions(obs, self.deterministic)
            obs, _, terminated, truncated, _ = self.step(actions)
            ends = self.episode_ends(terminated, truncated)
            self.frozen_episodes_ended(ends)
            if not self.vector and ends.any() and step < num_steps:
                obs = self.reset()
