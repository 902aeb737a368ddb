"""The "random" policy: uniformly random actions, for baselines and opponents; legal ones where the env masks."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.vector import VectorEnv

from arena.algos.base import Policy, episode_over, is_multi_entity
from arena.envs.masks import MASK_KEY, legal_sample, mask_of


class RandomPolicy(Policy):
    """Samples every action from the action space(s), seeded for reproducibility.

    Where an entity's observation carries an action mask (``obs["action_mask"]``, PettingZoo's
    convention), it samples only among the legal actions.
    """

    supports_vector_env = True

    def __init__(self, env: Any, policy_comm: Any, seed: int | None = None):
        super().__init__(env, policy_comm)
        self.vector = isinstance(env, VectorEnv)
        self.spaces = env.action_spaces if is_multi_entity(env) else [env.action_space]  # a vector env's: batched
        for i, space in enumerate(self.spaces):
            space.seed(None if seed is None else seed + i)
        if self.vector:  # each copy's own space, for masked copies (a vector env's batched space cannot mask)
            self.copy_spaces = [env.single_action_space for _ in range(env.num_envs)]
            for k, space in enumerate(self.copy_spaces):
                space.seed(None if seed is None else seed + 1 + k)

    def act(self, obs: Any) -> Any:
        """One random action per row (an entity of a block, or a copy), legal where its observation says."""
        if self.vector:
            if isinstance(obs, dict):  # a batched Dict (Gymnasium's vector envs): one mask per copy
                masks = [mask_of({MASK_KEY: row}) for row in obs.get(MASK_KEY, [])]
            else:  # the arena's K copies of a Dict space: one dict per copy
                masks = [mask_of(row) for row in obs] if isinstance(obs, list) else []
            if not any(m is not None for m in masks):
                return self.spaces[0].sample()  # the batched space: one draw for every copy
            return np.asarray([legal_sample(space, m) for space, m in zip(self.copy_spaces, masks)])
        rows = obs if is_multi_entity(self.env) else [obs]
        actions = [legal_sample(space, mask_of(row)) for space, row in zip(self.spaces, rows)]
        return actions if is_multi_entity(self.env) else actions[0]

    def run(self, num_steps: int, data_dir: str, policy_record: Any = None) -> None:
        """Play ``num_steps`` random steps (of every copy, for a vector env: its copies reset themselves)."""
        obs, _ = self.env.reset()
        if self.vector:
            for _ in range(num_steps):
                obs = self.env.step(self.act(obs))[0]
            return
        for step in range(1, num_steps + 1):
            obs, _, terminated, truncated, _ = self.env.step(self.act(obs))
            if episode_over(terminated, truncated) and step < num_steps:
                obs, _ = self.env.reset()
