"""Built-in policy types, by the name used in ``policy_types``."""

from arena.algos.base import Policy
from arena.algos.random_policy import RandomPolicy

BUILTIN_POLICIES: dict[str, type] = {"random": RandomPolicy}

__all__ = ["BUILTIN_POLICIES", "Policy", "RandomPolicy"]
