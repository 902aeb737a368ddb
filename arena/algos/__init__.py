"""Built-in policy types, by the name used in ``policy_types``.

Classes are imported only where they run, so environment ranks never load torch.
"""

from __future__ import annotations

import importlib

from arena.algos.base import Policy
from arena.algos.random_policy import RandomPolicy

BUILTIN_POLICIES: dict[str, str] = {
    "random": "arena.algos.random_policy:RandomPolicy",
    "multiagent_random": "arena.algos.random_policy:RandomPolicy",  # arena5's name: random for a block of entities
    "ppo": "arena.algos.ppo:PPO",
    "ppo-eval": "arena.algos.ppo_eval:PPOEval",
    "ppo-lstm": "arena.algos.ppo_lstm:PPOLSTM",
    "ppo-lstm-eval": "arena.algos.ppo_lstm:PPOLSTMEval",
    "dqn": "arena.algos.dqn:DQN",
    "dqn-eval": "arena.algos.dqn:DQNEval",
    "sac": "arena.algos.sac:SAC",
    "sac-eval": "arena.algos.sac:SACEval",
    "td3": "arena.algos.td3:TD3",
    "td3-eval": "arena.algos.td3:TD3Eval",
    "ddpg": "arena.algos.td3:DDPG",
    "ddpg-eval": "arena.algos.td3:DDPGEval",
    "maddpg": "arena.algos.maddpg:MADDPG",
    "masac": "arena.algos.maddpg:MASAC",
}


# Per checkpoint "algo": a function (state, obs_space, act_space) -> act(obs batch, sample) -> actions.
ACTORS: dict[str, str] = {
    "ppo": "arena.algos.ppo:greedy_actor",
    "dqn": "arena.algos.dqn:greedy_actor",
    "sac": "arena.algos.sac:greedy_actor",
    "td3": "arena.algos.td3:greedy_actor",
    "ddpg": "arena.algos.td3:greedy_actor",
}


def resolve_policy(entry: type | str) -> type:
    """A policy class from a class or a ``"module:Class"`` string."""
    if isinstance(entry, str):
        module, _, name = entry.partition(":")
        return getattr(importlib.import_module(module), name)
    return entry


__all__ = ["ACTORS", "BUILTIN_POLICIES", "Policy", "RandomPolicy", "resolve_policy"]
