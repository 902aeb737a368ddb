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
CHECKPOINT = "checkpoint.pt"  # a policy's checkpoint in its folder: every learner's, one format (torch.save)


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


def check_file_name(name: str) -> str:
    """``name`` as a relative path inside a policy's folder, or ValueError for one that would leave it."""
    norm = os.path.normpath(name)
    if not name or os.path.isabs(name) or norm == "." or norm.startswith(".."):
        raise ValueError(f"a policy file name must be a relative path inside its folder, got {name!r}")
    return norm


class PolicyFiles:
    """A policy's saved files by name: what its root worker keeps for a resumed or forked run.

    Use these instead of ``open()``: on a cluster the root worker may sit on a host that
    does not hold the log folder, and the arena carries the bytes to rank 0's host.
    ``policy_record.files`` is the policy's own; the root worker is handed it.
    """

    def read(self, name: str) -> bytes | None:
        """The file's bytes, or None if the policy has no such file."""
        raise NotImplementedError

    def write(self, name: str, data: bytes) -> None:
        """Replace the file (atomically at home: a crash leaves the old or the new one whole)."""
        raise NotImplementedError

    def append(self, name: str, data: bytes) -> None:
        """Add ``data`` at the end of the file (for logs)."""
        raise NotImplementedError

    def read_from(self, policy_id: int, name: str) -> bytes | None:
        """Another policy's file (a frozen player reads its source's checkpoint), or None."""
        raise NotImplementedError

    def where(self, name: str) -> str:
        """Where the file lives at home, for messages: a path on rank 0's host."""
        raise NotImplementedError


class LocalFiles(PolicyFiles):
    """A policy's files in a folder on this host: rank 0's log folder, or any folder without MPI."""

    def __init__(self, folder: str):
        self.folder = folder

    def path(self, name: str) -> str:
        """Where the file ``name`` lives."""
        return os.path.join(self.folder, check_file_name(name))

    def where(self, name: str) -> str:
        """The file's path."""
        return self.path(name)

    def read(self, name: str) -> bytes | None:
        """The file's bytes, or None."""
        path = self.path(name)
        if not os.path.isfile(path):
            return None
        with open(path, "rb") as f:
            return f.read()

    def write(self, name: str, data: bytes) -> None:
        """Replace the file atomically."""
        path = self.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            f.write(data)

    def append(self, name: str, data: bytes) -> None:
        """Append to the file."""
        path = self.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "ab") as f:
            f.write(data)

    def read_from(self, policy_id: int, name: str) -> bytes | None:
        """A file of policy ``policy_id``, a sibling folder of this one."""
        sibling = os.path.join(os.path.dirname(os.path.abspath(self.folder)), f"policy_{int(policy_id)}")
        return LocalFiles(sibling).read(name)
