"""Private temporary folders that never outlive their process, however it ends.

A root worker keeps a private copy of its policy's folder on its own disk for the round
(``arena.storage.file_service``). A clean end removes it; an abort kills the rank with
SIGKILL, where no handler runs. So the first scratch folder of a process starts a
*watcher*: a small Python process in a session of its own (out of reach of the job's
signals) that reads the folders to remove on a pipe. When the rank dies, however it dies,
the pipe closes, and the watcher removes what is left and exits.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile

WATCHER = """
import shutil, sys
folders = set()
for line in sys.stdin:
    kind, path = line[0], line[1:].rstrip("\\n")
    (folders.add if kind == "+" else folders.discard)(path)
for path in folders:
    shutil.rmtree(path, ignore_errors=True)
"""

_watcher: dict = {"process": None, "pid": None}  # this process's watcher, and the pid that started it
_folders: set[str] = set()


def _tell_watcher(line: str) -> None:
    if _watcher["process"] is None or _watcher["pid"] != os.getpid():  # none yet, or the parent's (a fork)
        _watcher["process"] = subprocess.Popen(
            [sys.executable, "-c", WATCHER],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl+C and the launcher's kill reach the job's processes only
            text=True,
        )
        _watcher["pid"] = os.getpid()
    try:
        _watcher["process"].stdin.write(line + "\n")
        _watcher["process"].stdin.flush()
    except (BrokenPipeError, ValueError):  # the watcher is gone: removal falls to atexit alone
        pass


def scratch_folder(prefix: str) -> str:
    """A new private folder in the temp directory, removed by ``remove_scratch``, at exit, or when this process dies."""
    path = tempfile.mkdtemp(prefix=prefix)
    _folders.add(path)
    _tell_watcher("+" + path)
    return path


def remove_scratch(path: str) -> None:
    """Remove a scratch folder now (it is no longer watched)."""
    shutil.rmtree(path, ignore_errors=True)
    if path in _folders:
        _folders.discard(path)
        _tell_watcher("-" + path)


def scratch_folders() -> list[str]:
    """This process's scratch folders that still exist."""
    return sorted(p for p in _folders if os.path.isdir(p))


@atexit.register
def _remove_all() -> None:
    for path in list(_folders):
        shutil.rmtree(path, ignore_errors=True)
    _folders.clear()
    if _watcher["process"] is not None and _watcher["pid"] == os.getpid():
        _watcher["process"].stdin.close()  # the watcher has nothing left to remove and exits
