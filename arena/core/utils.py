"""Small helpers the tutorial imports from ``arena.core.utils``."""

from __future__ import annotations

from typing import Any

from arena.core import comm as mpi


def mpi_print(*args: Any, **kwargs: Any) -> None:
    """print, prefixed with this process's rank in the job, and flushed."""
    print(f"[rank {mpi.rank_of(mpi.world())}]", *args, flush=True, **kwargs)
