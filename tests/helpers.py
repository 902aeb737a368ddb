"""Run commands under mpiexec with a hard timeout that kills every rank."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

import gymnasium as gym
import numpy as np
import torch
from gymnasium.vector import VectorEnv

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(REPO, "tests", "mpi_scripts")

# Every timeout and deadline in the tests is a hang guard, never a timing: a loaded machine, or two
# test processes at once (pytest-xdist), must still pass. ARENA_TEST_HANG_SCALE multiplies them all.
HANG_SCALE = float(os.environ.get("ARENA_TEST_HANG_SCALE", "2"))


def hang_guard(seconds: float) -> float:
    """The hang guard for a wait that takes well under ``seconds`` on an idle machine, scaled for this one."""
    return seconds * HANG_SCALE


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
        out, _ = proc.communicate(timeout=hang_guard(timeout))
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        timed_out = True
    return Result(proc.returncode, out, time.perf_counter() - start, timed_out)


def run_script(n: int, name: str, *args: str, timeout: float = 120, env: dict | None = None) -> Result:
    """Run one of tests/mpi_scripts under mpiexec."""
    return run_mpi(n, [os.path.join(SCRIPTS, name), *args], cwd=SCRIPTS, timeout=timeout, env=env)


def assert_ok(result: Result) -> None:
    """The run finished in time and exited 0; otherwise fail showing its output."""
    assert not result.timed_out, result.output
    assert result.returncode == 0, result.output


LAUNCHER = os.path.join(REPO, "tests", "private_disks.sh")  # gives each non-root rank a private disk


def can_give_private_disks() -> bool:
    """Mount namespaces need root (or user namespaces) and util-linux's unshare."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        return False
    return subprocess.run(["unshare", "--mount", "true"], capture_output=True).returncode == 0


class ScriptedVector(VectorEnv):
    """Two copies with same-step autoreset: copy 0 hits a time limit at step 2, copy 1 terminates at step 3.

    Observations count the step (copy k's is [k, step]); a new episode starts at [k, -1].
    """

    def __init__(self):
        self.num_envs = 2
        self.single_observation_space = gym.spaces.Box(-10, 10, (2,), np.float32)
        self.single_action_space = gym.spaces.Discrete(2)
        self.step_count = 0

    def reset(self, *, seed=None, options=None):
        return np.array([[0, 0], [1, 0]], np.float32), {}

    def step(self, actions):
        self.step_count += 1
        n = float(self.step_count)
        obs = np.array([[0, n], [1, n]], np.float32)
        terminated = np.array([False, self.step_count == 3])
        truncated = np.array([self.step_count == 2, False])
        infos = {}
        ended = terminated | truncated
        if ended.any():
            final = np.empty(2, dtype=object)
            for k in np.flatnonzero(ended):
                final[k], obs[k] = obs[k].copy(), [k, -1]
            infos = {"final_obs": final, "_final_obs": ended}
        return obs, np.array([1.0, 10.0]), terminated, truncated, infos


def flat_parameters(module: torch.nn.Module) -> np.ndarray:
    """Every parameter of ``module`` in one float32 vector, to compare networks."""
    return torch.cat([p.detach().reshape(-1).cpu() for p in module.parameters()]).numpy()
