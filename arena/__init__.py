"""arena: train many reinforcement-learning policies at once over MPI.

Names are imported lazily so that pure modules (the plan, wrappers, records) can
be used and tested without starting MPI.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "make_stem": "arena.ranks.serve",
    "Stem": "arena.ranks.serve",
    "KickoffError": "arena.ranks.serve",
    "count_needed_procs": "arena.plan.roles",
    "total_steps_to_match_steps": "arena.ranks.serve",
    "Policy": "arena.algos",
    "RandomPolicy": "arena.algos",
    "PolicyRecord": "arena.storage.records",
    "plot_policy_records": "arena.report.plots",
    "single_agent_wrapper": "arena.wrappers",
    "check_env": "arena.envs.check_env",
    "EnvReport": "arena.envs.check_env",
    "DataError": "arena.envs.step_checks",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'arena' has no attribute {name!r}")
