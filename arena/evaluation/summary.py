"""The summary of an evaluation's scores, shared by the command line, the schedule and its catalog."""

from __future__ import annotations

import numpy as np


def summarize(scores: list[float]) -> dict:
    """games, mean, std, min and max of a list of scores."""
    s = np.asarray(scores, dtype=np.float64)
    return {"games": len(scores), "mean": s.mean(), "std": s.std(), "min": s.min(), "max": s.max()}
