"""Writing files so that a crash never leaves a half-written one, and one run per log folder."""

from __future__ import annotations

import errno
import fcntl
import os
import re
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


KEEP_VERSIONS = 2  # a checkpoint, journal, record or catalog keeps its last 2 versions: a bad one falls back
CORRUPT_SUFFIX = ".corrupt"  # an unreadable version, set aside by read_versions(repair=True)


class CorruptFileError(RuntimeError):
    """Every saved version of a file the arena needs is unreadable."""


def version_names(path: str, keep: int = KEEP_VERSIONS) -> list[str]:
    """``path`` and the names of its older versions, newest first: checkpoint.pt, checkpoint.1.pt, ..."""
    root, ext = os.path.splitext(path)
    return [path] + [f"{root}.{i}{ext}" for i in range(1, keep)]


def fsync_path(path: str) -> None:
    """Force a file (or a folder's entries) to the disk, so a node crash cannot leave it empty."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _keep_copy(source: str, target: str) -> None:
    """Make ``target`` a copy of ``source`` in one step (a hard link where the disk has them)."""
    tmp = f"{target}.tmp"  # ".tmp": never carried in a round package, like any half-written file
    if os.path.exists(tmp):
        os.remove(tmp)
    try:
        os.link(source, tmp)
    except OSError:  # a file system without hard links
        shutil.copyfile(source, tmp)
    os.replace(tmp, target)


@contextmanager
def atomic_path(path: str, keep: int = 1) -> Iterator[str]:
    """Yield a temporary path to write; it replaces ``path`` only if the block succeeds.

    The temporary name keeps the extension, so writers that go by it (matplotlib) still work.
    With ``keep`` > 1 the file is forced to disk before the rename (and the folder after it),
    and the replaced version is kept as ``name.1.ext`` (older ones shift up to ``keep - 1``);
    ``PolicyFiles.read_parsed`` and ``read_versions`` fall back to them.
    """
    root, ext = os.path.splitext(path)
    tmp = f"{root}.tmp{ext}"
    try:
        yield tmp
        if keep > 1:
            fsync_path(tmp)
            names = version_names(path, keep)
            for newer, older in reversed(list(zip(names, names[1:]))):
                if os.path.exists(newer):
                    _keep_copy(newer, older)
        os.replace(tmp, path)
        if keep > 1:
            fsync_path(os.path.dirname(os.path.abspath(path)))
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def parse_versions(
    read: Callable[[str], bytes | None], name: str, parse: Callable[[bytes], T], where: Callable[[str], str]
) -> T | None:
    """The newest version of ``name`` that ``parse`` accepts, with a warning naming each bad one.

    None when no version exists; ``CorruptFileError`` when every version that exists is unreadable.
    """
    return _first_good(read, name, parse, where)[0]


def _first_good(
    read: Callable[[str], bytes | None], name: str, parse: Callable[[bytes], T], where: Callable[[str], str]
) -> tuple[T | None, str | None, list[str]]:
    """``parse_versions``, the version it read (None: none), and the newer versions that were unreadable."""
    bad: list[str] = []
    for version in version_names(name):
        data = read(version)
        if data is None:
            continue
        try:
            value = parse(data)
        except Exception as exc:  # any parse failure: a torn, empty or foreign file
            bad.append(version)
            print(f"[arena] warning: {where(version)} is unreadable ({type(exc).__name__}: {exc})", flush=True)
            continue
        if bad:
            print(f"[arena] warning: using the version before it, {where(version)}", flush=True)
        return value, version, bad
    if bad:
        raise CorruptFileError(
            f"every saved version of {where(name)} is unreadable ({', '.join(map(where, bad))}); restore one from "
            "a backup, or start the run in a new log_comms_dir"
        )
    return None, None, bad


def read_versions(path: str, parse: Callable[[bytes], T], repair: bool = False) -> T | None:
    """``parse_versions`` for a file on this host's disk.

    With ``repair`` (rank 0 at kickoff, holding the folder's lock) a good older version
    becomes the file again, and each unreadable one is kept aside as ``<name>.corrupt``:
    so the round package, which carries no older versions, carries a good file.
    """

    def read(version: str) -> bytes | None:
        if not os.path.isfile(version):
            return None
        with open(version, "rb") as f:
            return f.read()

    value, used, bad = _first_good(read, path, parse, lambda version: version)
    if repair and used is not None and used != path:
        for version in bad:
            os.replace(version, version + CORRUPT_SUFFIX)
        _keep_copy(used, path)
        kept = f"; the unreadable file is kept as {path}{CORRUPT_SUFFIX}" if path in bad else ""
        print(f"[arena] {path} restored from {used}{kept}", flush=True)
    return value


LOCK_FILE = ".arena.lock"
CHECKPOINT = "checkpoint.pt"  # a policy's checkpoint in its folder: every learner's, one format (torch.save)
CATALOG = "checkpoints/catalog.json"  # the evaluated checkpoints of a policy (arena.evaluation.schedule)
VERSIONED = (CHECKPOINT, CATALOG)  # the policy files that keep KEEP_VERSIONS versions
# What the evaluation schedule writes and no policy reads back: it stays in the log folder,
# out of the round package and of the worker's private copy (which would grow by a checkpoint
# every evaluation, for the whole run).
STAYS_HOME = re.compile(r"(checkpoints/(step_\d+|best|latest)\.pt|videos/step_\d+\.mp4)")


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
        except OSError as err:
            if err.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                handle.close()
                raise OSError(
                    err.errno,
                    f"cannot lock the log folder {self.folder} ({os.strerror(err.errno)}); its file "
                    "system may not support locks (some network disks do not): use a local log_comms_dir",
                ) from None
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

    def release(self) -> None:
        """Let another run have the folder (a process that ends releases it anyway)."""
        if self.file is not None:
            self.file.close()
            self.file = None


def writable_problem(folder: str) -> str | None:
    """Why this process could not create files in ``folder`` (made if missing), or None if it can."""
    existing = os.path.abspath(folder)
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        return f"{existing} is a file, not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"this process may not write in {existing}"
    return None


def stays_home(name: str) -> bool:
    """True for a policy file that only the log folder keeps: evaluated checkpoints and their videos, and the
    older versions of versioned files (rank 0 restores a bad file from them at kickoff; see read_versions)."""
    norm = os.path.normpath(name).replace(os.sep, "/")
    older = {v for kept in VERSIONED for v in version_names(kept)[1:]}
    return STAYS_HOME.fullmatch(norm) is not None or norm in older or norm.endswith(CORRUPT_SUFFIX)


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

    def read_parsed(self, name: str, parse: Callable[[bytes], T], policy_id: int | None = None) -> T | None:
        """The newest version of a file in ``VERSIONED`` that ``parse`` accepts (another policy's with ``policy_id``).

        A bad version is skipped with a warning naming it; None if there is none;
        ``CorruptFileError`` if every version is unreadable.
        """
        if policy_id is None:
            return parse_versions(self.read, name, parse, self.where)
        theirs = f"policy {policy_id}'s "
        return parse_versions(lambda n: self.read_from(policy_id, n), name, parse, lambda n: theirs + n)


class LocalFiles(PolicyFiles):
    """A policy's files in a folder on this host: rank 0's log folder, or any folder without MPI."""

    def __init__(self, folder: str, keep_versions: bool = True):
        """``keep_versions=False``: a private copy (a root worker's), where no file needs its versions kept."""
        self.folder, self.keep_versions = folder, keep_versions

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
        """Replace the file atomically; a file in ``VERSIONED`` is forced to disk and keeps its last versions."""
        path = self.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        keep = KEEP_VERSIONS if self.keep_versions and check_file_name(name) in VERSIONED else 1
        with atomic_path(path, keep) as tmp, open(tmp, "wb") as f:
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
