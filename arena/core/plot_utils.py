"""Tutorial import path for plots: ``from arena.core.plot_utils import *``."""

import numpy as np

from arena.report.plots import plot_policy_records, plot_record, rolling_mean

# arena5's scripts use ``np`` from this star import (arena5's plot_utils exported its own imports).
__all__ = ["plot_policy_records", "plot_record", "rolling_mean", "np"]
