"""Tutorial import path for records: ``from arena.core.policy_record import *`` (arena5's module).

arena5's ``PolicyRecord.save()`` also redrew the policy's learning curves, so this one does
too; ``arena.storage.records.PolicyRecord`` saves only the data. matplotlib loads only when
a curve is drawn, since every rank runs the script's imports.
"""

from __future__ import annotations

import numpy as np

from arena.report.plots import plot_policy_records, plot_record
from arena.storage import records
from arena.storage.records import load_records, policy_dir


class PolicyRecord(records.PolicyRecord):
    """arena5's PolicyRecord: ``save()`` writes the records and redraws the policy's learning curves."""

    def save(self, plots: bool = True) -> None:
        """Append new episodes to the CSV and, unless ``plots=False``, redraw the learning curves."""
        super().save()
        if plots and self.episodes:
            plot_record(self)


# arena5's scripts use ``np`` from this star import (arena5's module exported its own imports).
__all__ = ["PolicyRecord", "load_records", "policy_dir", "plot_policy_records", "np"]
