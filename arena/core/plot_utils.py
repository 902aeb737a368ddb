"""Tutorial import path for plots: ``from arena.core.plot_utils import *``."""

from arena.plots import plot_policy_records, plot_record, rolling_mean

__all__ = ["plot_policy_records", "plot_record", "rolling_mean"]
