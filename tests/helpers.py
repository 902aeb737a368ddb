"""Run commands under mpiexec with a hard timeout that kills every rank."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(REPO, "tests", "mpi_scripts")


def mpiexec_path() -> str:
    """The mpiexec beside this Python (the pip mpich wheel puts it there), else on PATH."""
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return here if os.path.exists(here) else (shutil.which("mpiexec") or "mpiexec")


def is_open_mpi() -> bool:
    """True when the mpiexec in use is Open MPI's (its Ctrl+C handling differs from MPICH's Hydra)."""
    out = subprocess.run([mpiexec_path(), "--version"], capture_output=True, text=True)
    return "Open MPI" in out.stdout + out.stderr


@dataclass
class Result:
    """What a finished (or killed) mpiexec run left behind."""

    returncode: int
    output: str
    seconds: float
    timed_out: bool


def run_mpi(n: int, args: list[str], cwd: str | None = None, timeout: float = 120, env: dict | None = None) -> Result:
    """``mpiexec -n n python args...``; on timeout every rank is killed and timed_out is set.

    ``ARENA_MPIEXEC_ARGS`` adds launcher options, e.g. ``--oversubscribe`` for Open MPI.
    """
    extra = os.environ.get("ARENA_MPIEXEC_ARGS", "").split()
    cmd = [mpiexec_path(), *extra, "-n", str(n), sys.executable, *args]
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        timed_out = True
    return Result(proc.returncode, out, time.perf_counter() - start, timed_out)


def run_script(n: int, name: str, *args: str, timeout: float = 120, env: dict | None = None) -> Result:
    """Run one of tests/mpi_scripts under mpiexec."""
    return run_mpi(n, [os.path.join(SCRIPTS, name), *args], cwd=SCRIPTS, timeout=timeout, env=env)
