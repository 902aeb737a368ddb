"""Runs whose ranks share no disk: rank 0's log folder is the only home of every file.

A launcher gives every rank but 0 a private, empty disk at the log folder's path
(a mount namespace per rank with a tmpfs over it). The same script then runs there
and on a shared disk: a PPO round, a kill and a re-run, a fork into a new id that
plays another round. Both must leave the same records on rank 0's disk.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest
from helpers import LAUNCHER, SCRIPTS, can_give_private_disks, hang_guard, mpiexec_path

from arena.storage.records import load_records

RANKS = 7  # [[1, 2], [4, 4]]: rank 0, then an environment rank and two workers per match
SCRIPT = os.path.join(SCRIPTS, "home_cases.py")


def command(log: str, private: bool, *args: str) -> tuple[list[str], dict]:
    """argv and environment for one run of home_cases.py, each non-root rank on its own disk if ``private``."""
    prefix = [LAUNCHER] if private else []
    argv = [mpiexec_path(), "-n", str(RANKS), *prefix, sys.executable, SCRIPT, *args]
    return argv, {**os.environ, "PYTHONUNBUFFERED": "1", "ARENA_PRIVATE_DIR": log}


def run(log: str, private: bool, *args: str, timeout: float = 300) -> str:
    """One complete run; its output."""
    argv, env = command(log, private, *args)
    proc = subprocess.run(argv, cwd=SCRIPTS, env=env, capture_output=True, text=True, timeout=hang_guard(timeout))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def checkpoint_counts(log: str, policy_id: int) -> tuple[int, int]:
    """The step and update counts in a policy's checkpoint on rank 0's disk ((0, 0) without one)."""
    import torch

    path = os.path.join(log, f"policy_{policy_id}", "checkpoint.pt")
    try:
        state = torch.load(path, weights_only=True)
    except (FileNotFoundError, EOFError, RuntimeError):
        return 0, 0
    return int(state["global_step"]), int(state["updates"])


def checkpoint_step(log: str, policy_id: int) -> int:
    """The step count in a policy's checkpoint on rank 0's disk (0 without one)."""
    return checkpoint_counts(log, policy_id)[0]


STALL_UPDATE = 20  # the killed run's PPO policies stop after this update's checkpoint (64 steps an update)


def kill_after_checkpoints(log: str, private: bool) -> None:
    """Start a long round whose PPO policies stop after update 20's checkpoint; SIGKILL it once both are home.

    The kill point is the same on any machine under any load: the checkpoints of update 20.
    The run resumes from the first round's checkpoint, whose last rollout may have been short.
    """
    argv, env = command(log, private, "train", log, "1000000")
    env["HOME_CASES_STALL_AT"] = str(STALL_UPDATE)
    steps, updates = checkpoint_counts(log, 1)
    assert checkpoint_counts(log, 2) == (steps, updates) and updates < STALL_UPDATE
    at = steps + (STALL_UPDATE - updates) * 64
    proc = subprocess.Popen(
        argv, cwd=SCRIPTS, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.time() + hang_guard(240)
        while (checkpoint_step(log, 1), checkpoint_step(log, 2)) != (at, at) and time.time() < deadline:
            time.sleep(0.05)  # polling rank 0's disk for the checkpoints of the stalled policies
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert (checkpoint_step(log, 1), checkpoint_step(log, 2)) == (at, at), "the checkpoints never reached rank 0"


def play_the_story(log: str, private: bool) -> dict:
    """Round, kill, re-run, fork and round, then the child played frozen; what rank 0's disk holds at the end."""
    os.makedirs(log)
    run(log, private, "train", log, "1000")
    kill_after_checkpoints(log, private)
    resumed = run(log, private, "train", log, "500")
    parent_steps = load_records(log)[1].steps_done
    forked = run(log, private, "fork", log, "500")
    child_steps = checkpoint_step(log, 3)
    frozen = run(log, private, "eval", log, "300")
    records = load_records(log)
    with open(os.path.join(log, "policy_4", "runs.txt")) as f:
        runs = f.read()
    with open(os.path.join(log, "policy_4", "note.txt")) as f:
        note = f.read()
    return {
        "records": {pid: (r.steps_done, len(r.episodes), r.round_open) for pid, r in records.items()},
        "resumed": "[ppo] resuming from" in resumed,
        "child_start": f"[ppo] resuming from {os.path.join(log, 'policy_3', 'checkpoint.pt')} at step {parent_steps:,}"
        in forked,
        "eval_start": f"[ppo] ppo-eval plays policy 3's checkpoint, saved at step {child_steps:,}" in frozen,
        "runs": runs,
        "note": note,
        "files": sorted(os.listdir(os.path.join(log, "policy_3"))),
        "tb": sorted(os.listdir(os.path.join(log, "tb"))) if os.path.isdir(os.path.join(log, "tb")) else [],
    }


@pytest.mark.skipif(not can_give_private_disks(), reason="needs root and mount namespaces (unshare --mount)")
def test_private_disks_give_the_same_records_as_a_shared_disk(tmp_path):
    shared = play_the_story(str(tmp_path / "shared"), private=False)
    private = play_the_story(str(tmp_path / "private"), private=True)
    for story in (shared, private):
        assert story["resumed"] and story["child_start"] and story["eval_start"], story
    # Policies with checkpoints rewind to them after the kill. Policy 4 keeps none, so its record of
    # the killed round holds whatever reached home before the kill, which depends on timing.
    assert {p: private["records"][p] for p in (1, 2, 3, 5)} == {p: shared["records"][p] for p in (1, 2, 3, 5)}
    assert set(private["records"]) == {1, 2, 3, 4, 5} and private["records"][5][1] > 0
    assert not any(open_ for _, _, open_ in private["records"].values())
    assert private["runs"] == shared["runs"] == "4"  # four rounds finished (the killed one did not)
    assert private["note"] == "run 4\n"
    assert "checkpoint.pt" in private["files"] and "metrics.csv" in private["files"]
    assert private["tb"] == shared["tb"] == ["policy_1", "policy_2", "policy_3", "policy_4", "policy_5"]


def test_curves_are_drawn_on_rank_0_only(tmp_path):
    # Rank 0 redraws every 0.5 s here; a worker that drew would stall its policy through the Allreduce.
    out = run(str(tmp_path), False, "plots", str(tmp_path), "3000")
    drawn_on = [int(line.split()[-1]) for line in out.splitlines() if line.startswith("PLOT on rank")]
    lines = out.splitlines()
    end = next(i for i, line in enumerate(lines) if "round 0 done" in line)
    assert "PLOT on rank 0" in lines[:end], out  # rank 0 redrew while the round played, not only at its end
    assert set(drawn_on) == {0}, out
    assert "policy  device" in out and re.search(r"\n2\s+worker\s+0\s+0\s+0\s+1\s+cpu\n", out), out
