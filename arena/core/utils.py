"""Small helpers the tutorial and arena5's examples import from ``arena.core.utils``, with arena5's meaning."""

from __future__ import annotations

import time
from typing import Any

from arena.mpi import comm as mpi
from arena.plan.roles import count_needed_procs, num_copies
from arena.ranks.serve import total_steps_to_match_steps


def mpi_print(*args: Any, **kwargs: Any) -> None:
    """print, prefixed with this process's rank in the job, and flushed."""
    print(f"[rank {mpi.rank_of(mpi.world())}]", *args, flush=True, **kwargs)


def mpi_lag(wait: float = 2.0) -> None:
    """Sleep ``wait`` x rank / size seconds, so ranks that start together spread out (arena5's helper)."""
    world = mpi.world()
    time.sleep(wait * mpi.rank_of(world) / mpi.size_of(world))


def count_number_scaled_matches(match_list: list, world_size: int | None = None) -> int:
    """How many matches ``scale=True`` runs on this job's ranks: the match list's length times its copies."""
    size = mpi.size_of(mpi.world()) if world_size is None else int(world_size)
    return len(match_list) * num_copies(match_list, size, scale=True)


__all__ = ["mpi_print", "mpi_lag", "count_needed_procs", "count_number_scaled_matches", "total_steps_to_match_steps"]
