"""arena: train many reinforcement-learning policies at once over MPI.

Names are imported lazily so that pure modules (the plan, wrappers, records) can
be used and tested without starting MPI.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "make_stem": "arena.core.stems",
    "Stem": "arena.core.stems",
    "KickoffError": "arena.core.stems",
    "count_needed_procs": "arena.core.plan",
    "total_steps_to_match_steps": "arena.core.plan",
    "Policy": "arena.algos",
    "RandomPolicy": "arena.algos",
    "PolicyRecord": "arena.records",
    "plot_policy_records": "arena.plots",
    "single_agent_wrapper": "arena.wrappers",
    "check_env": "arena.env_check",
    "EnvReport": "arena.env_check",
    "DataError": "arena.core.checks",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'arena' has no attribute {name!r}")
