"""The "ppo-eval" policy: a frozen PPO policy played from its checkpoint, without learning."""

from __future__ import annotations

from arena.algos.frozen import Frozen
from arena.algos.ppo import PPO


class PPOEval(Frozen, PPO):
    """Plays a saved PPO policy (``arena.algos.frozen.Frozen``: ``source_policy``, ``deterministic``)."""
