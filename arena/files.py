"""Writing files so that a crash never leaves a half-written one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """Yield a temporary path to write; it replaces ``path`` only if the block succeeds.

    The temporary name keeps the extension, so writers that go by it (matplotlib) still work.
    """
    root, ext = os.path.splitext(path)
    tmp = f"{root}.tmp{ext}"
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
