"""The "random" policy: uniformly random actions, for baselines and opponents."""

from __future__ import annotations

from typing import Any

from gymnasium.vector import VectorEnv

from arena.algos.base import Policy, episode_over, is_multi_entity


class RandomPolicy(Policy):
    """Samples every action from the action space(s), seeded for reproducibility."""

    supports_vector_env = True

    def __init__(self, env: Any, policy_comm: Any, seed: int | None = None):
        super().__init__(env, policy_comm)
        self.vector = isinstance(env, VectorEnv)
        self.spaces = env.action_spaces if is_multi_entity(env) else [env.action_space]
        for i, space in enumerate(self.spaces):
            space.seed(None if seed is None else seed + i)

    def act(self) -> Any:
        """One random action (a list of them for a block)."""
        actions = [space.sample() for space in self.spaces]
        return actions if is_multi_entity(self.env) else actions[0]

    def run(self, num_steps: int, data_dir: str, policy_record: Any = None) -> None:
        """Play ``num_steps`` random steps (of every copy, for a vector env: its copies reset themselves)."""
        self.env.reset()
        if self.vector:
            for _ in range(num_steps):
                self.env.step(self.spaces[0].sample())
            return
        for step in range(1, num_steps + 1):
            _, _, terminated, truncated, _ = self.env.step(self.act())
            if episode_over(terminated, truncated) and step < num_steps:
                self.env.reset()
