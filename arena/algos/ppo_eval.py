"""The "ppo-eval" policy: a frozen PPO policy played from its checkpoint, without learning."""

from __future__ import annotations

from typing import Any

import torch

from arena.algos.ppo import CHECKPOINT, PPO
from arena.algos.torch_sync import state_from_bytes
from arena.core import comm as mpi


class PPOEval(PPO):
    """Plays a saved PPO policy; the arena records its episodes, nothing else is written.

    ``source_policy`` names the policy id whose checkpoint to play (default: this
    policy's own folder); ``deterministic`` takes the most likely action.
    """

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
        """The source policy's checkpoint (or this policy's own), without its optimizer state."""
        if self.source_policy is None:
            data = self.files.read(CHECKPOINT)
        else:
            data = self.files.read_from(self.source_policy, CHECKPOINT)
        if data is None:
            source = self.source_policy if self.source_policy is not None else "its own folder"
            raise FileNotFoundError(f"ppo-eval: no {CHECKPOINT} for policy {source}; train it with 'ppo' first")
        state = state_from_bytes(data)
        return {k: v for k, v in state.items() if k != "optimizer"}

    def resume_message(self, global_step: int) -> str:
        """Which checkpoint this frozen policy plays."""
        source = "its own" if self.source_policy is None else f"policy {self.source_policy}'s"
        return f"ppo-eval plays {source} checkpoint, saved at step {global_step:,}"

    def run(self, num_steps: int, data_dir: str, policy_record: Any = None) -> None:
        """Play ``num_steps`` steps with the frozen policy."""
        self.data_dir, self.record = data_dir, policy_record
        self.files = policy_record.files if policy_record is not None else None
        self.sync_from_root()
        self.agent.eval()
        obs = self.reset()
        for step in range(1, num_steps + 1):
            with torch.no_grad():
                action, _, _, _ = self.agent.act_and_value(
                    torch.as_tensor(obs, device=self.device), deterministic=self.deterministic
                )
            obs, _, terminated, truncated, _ = self.step(action.cpu().numpy())
            ends = self.episode_ends(terminated, truncated)
            self.agent.mark_episode_ends(ends)
            if not self.vector and ends.any() and step < num_steps:
                obs = self.reset()
