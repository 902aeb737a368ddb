"""The three tiers: tests/unit (no MPI), tests/mpi (mpiexec in a subprocess), tests/examples (tiny runs).

Every test under tests/mpi is marked ``mpi`` and every one under tests/examples ``example``
(``pytest -m "not mpi and not example"`` runs the unit tier alone). ``helpers.py`` beside
this file holds what the tiers share.
"""

from __future__ import annotations

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)  # ``from helpers import ...`` in every tier
from helpers import hang_guard  # noqa: E402 - found through the line above

TIER_MARKS = {"mpi": ("mpi",), "examples": ("example", "mpi")}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test by its tier's folder, so the marks never drift from where a test lives.

    Each test's pytest-timeout (its own marker, else the ini default) becomes a scaled hang guard.
    """
    for item in items:
        tier = os.path.relpath(str(item.path), HERE).split(os.sep)[0]
        for mark in TIER_MARKS.get(tier, ()):
            item.add_marker(getattr(pytest.mark, mark))
        marker = item.get_closest_marker("timeout")
        seconds = float(marker.args[0]) if marker is not None and marker.args else float(config.getini("timeout"))
        item.add_marker(pytest.mark.timeout(hang_guard(seconds)), append=False)
