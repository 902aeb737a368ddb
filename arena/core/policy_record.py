"""Tutorial import path for records: ``from arena.core.policy_record import *``.

arena5's examples also import ``plot_policy_records`` from here; matplotlib loads only
when it is called, since every rank runs the script's imports.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from arena.records import PolicyRecord, load_records, policy_dir


def plot_policy_records(*args: Any, **kwargs: Any) -> str:
    """``arena.plots.plot_policy_records``: rolling mean returns of several policies into one figure."""
    from arena.plots import plot_policy_records as plot

    return plot(*args, **kwargs)


# arena5's scripts use ``np`` from this star import (arena5's module exported its own imports).
__all__ = ["PolicyRecord", "load_records", "policy_dir", "plot_policy_records", "np"]
