"""Writing files so that a crash never leaves a half-written one, and one run per log folder."""

from __future__ import annotations

import fcntl
import os
import socket
import time
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


LOCK_FILE = ".arena.lock"


class FolderLockedError(RuntimeError):
    """Another live run holds the folder."""


class FolderLock:
    """An exclusive ``flock`` on ``folder/.arena.lock``, held for the life of the process.

    The kernel drops the lock when the holder dies, even by SIGKILL, so a crashed
    run never leaves the folder locked. The file names the holder, for the message.
    """

    def __init__(self, folder: str):
        self.folder = folder
        self.path = os.path.join(folder, LOCK_FILE)
        self.file = None

    def acquire(self) -> FolderLock:
        """Take the lock or raise FolderLockedError naming the run that holds it."""
        os.makedirs(self.folder, exist_ok=True)
        handle = open(self.path, "a+")  # noqa: SIM115 - held open for the life of the run
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise FolderLockedError(
                f"another arena run ({holder}) is using the log folder {self.folder}; wait for it to end, "
                "or give this run another log_comms_dir"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}, since {time.strftime('%Y-%m-%d %H:%M:%S')}")
        handle.flush()
        self.file = handle
        return self
