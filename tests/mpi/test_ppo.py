"""PPO: pooled learning over MPI, checkpoints, resume and evaluation. Seeded; margins are wide."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
from helpers import SCRIPTS, assert_ok, hang_guard, mpiexec_path, run_script

from arena.storage.metrics import read_metrics
from arena.storage.records import PolicyRecord


def _update_steps(log, pid=1):
    """The policy's global step after each update, from the metrics the root logged (one learning rate each)."""
    return [step for step, _ in read_metrics(os.path.join(log, f"policy_{pid}"))["charts/learning_rate"]]


def test_gradient_average_matches_single_process():
    result = run_script(3, "grad_average.py", timeout=60)
    assert_ok(result)
    assert result.output.count("averaged gradient matches") == 3


def test_cartpole_two_workers_reach_195_within_100k_steps(tmp_path):
    # [[1]] scaled on 5 ranks with 4 copies per environment rank: 2 workers of policy 1, each acting
    # for 4 copies in one batch, x 12,500 steps per copy = 100,000 steps.
    result = run_script(5, "ppo_cases.py", "cartpole", str(tmp_path), "12500", timeout=420)
    assert_ok(result)
    record = PolicyRecord(1, str(tmp_path)).load()
    assert record.steps_done == 100_000
    final = float(np.mean(record.ep_results[-100:]))
    assert final >= 195, f"mean return of the last 100 episodes is {final:.1f}"
    with open(tmp_path / "policy_1" / "identical.json") as f:
        report = json.load(f)
    assert report == {"workers": 2, "identical": 2, "updates": 49}  # 12,500 steps / 256-step rollouts
    assert _update_steps(str(tmp_path))[-1] == 100_000
    assert (tmp_path / "policy_1" / "checkpoint.pt").exists()


def test_images_continuous_actions_and_blocks(tmp_path):
    result = run_script(4, "ppo_cases.py", "paths", str(tmp_path), "200", timeout=180)
    assert_ok(result)
    for pid in (1, 2):
        steps = _update_steps(str(tmp_path), pid)
        # 200 steps in rollouts of 32: 7 updates, each over 2 entities' data.
        assert len(steps) == 7 and steps[-1] == 200
        assert (tmp_path / f"policy_{pid}" / "checkpoint.pt").exists()


def _wins(returns):
    return sum(1 for r in returns if r > 0) / max(1, len(returns))


def test_ppo_beats_random_at_touchdown_then_resumes_and_evaluates(tmp_path):
    log = str(tmp_path)
    first = run_script(4, "ppo_cases.py", "touchdown", log, "8000", timeout=300)
    assert_ok(first)
    p1 = PolicyRecord(1, log).load()
    assert _wins(p1.ep_results[-50:]) >= 0.7, p1.ep_results[-50:]
    before_episodes, before_steps = len(p1.episodes), p1.steps_done
    last_update = _update_steps(log)[-1]

    # Re-running the script resumes from the checkpoint: counters and records continue.
    second = run_script(4, "ppo_cases.py", "touchdown", log, "2000", timeout=300)
    assert_ok(second)
    assert "[ppo] resuming from" in second.output
    p1 = PolicyRecord(1, log).load()
    new = p1.episodes[before_episodes:]
    assert [e.episode for e in p1.episodes] == list(range(len(p1.episodes)))
    assert new and new[0].steps > before_steps and p1.steps_done == before_steps + 2000
    assert _wins([e.ret for e in new[:20]]) >= 0.7, "the resumed policy plays like a fresh network"
    steps = _update_steps(log)
    assert steps == sorted(set(steps)) and steps[-1] == last_update + 2000, "update statistics do not continue"

    # ppo-eval plays the frozen policy: it wins, and the checkpoint is untouched.
    checkpoint = tmp_path / "policy_1" / "checkpoint.pt"
    mtime = checkpoint.stat().st_mtime_ns
    third = run_script(4, "ppo_cases.py", "eval", log, "2000", timeout=300)
    assert_ok(third)
    assert checkpoint.stat().st_mtime_ns == mtime
    assert _update_steps(log) == steps, "ppo-eval changed the learning statistics of the policy it plays"
    p1 = PolicyRecord(1, log).load()
    assert _wins(p1.ep_results[-20:]) >= 0.7


def _checkpoint_step(path) -> int | None:
    """The global step in a checkpoint file, or None while there is none (or it is being replaced)."""
    import torch

    try:
        return int(torch.load(path, weights_only=True)["global_step"])
    except (FileNotFoundError, EOFError, RuntimeError):
        return None


def test_killed_run_resumes_from_its_last_checkpoint(tmp_path):
    log = str(tmp_path)
    checkpoint = tmp_path / "policy_1" / "checkpoint.pt"
    cmd = [mpiexec_path(), "-n", "4", sys.executable, "ppo_cases.py", "touchdown", log, "1000000"]
    proc = subprocess.Popen(
        cmd, cwd=SCRIPTS, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        # Poll the files rank 0 writes until records are on disk and a later checkpoint has replaced the first.
        deadline, first = time.time() + hang_guard(240), None
        while time.time() < deadline:
            step = _checkpoint_step(checkpoint)
            first = step if first is None else first
            if step is not None and step > first and (tmp_path / "policy_1" / "records.csv").exists():
                break
            time.sleep(0.5)
        assert first is not None and _checkpoint_step(checkpoint) > first, "no second checkpoint was written"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    import torch

    saved_steps = torch.load(checkpoint, weights_only=True)["global_step"]
    before = PolicyRecord(1, log).load()
    assert saved_steps > 0 and before.episodes and before.round_open  # the killed round never closed
    kept = [e for e in before.episodes if e.steps <= saved_steps]
    result = run_script(4, "ppo_cases.py", "touchdown", log, "1000", timeout=300)
    assert_ok(result)
    assert f"its records continue from its checkpoint at step {saved_steps:,}" in result.output
    assert f"[ppo] resuming from {checkpoint} at step {saved_steps:,}" in result.output
    steps = _update_steps(log)
    assert steps == sorted(set(steps)), "update statistics repeat or go backwards after the resume"
    assert steps[-1] == saved_steps + 1000
    p1 = PolicyRecord(1, log).load()
    assert p1.episodes[: len(kept)] == kept, "episodes saved before the checkpoint were lost"
    assert [e.episode for e in p1.episodes] == list(range(len(p1.episodes)))
    ends = [e.steps for e in p1.episodes]
    assert ends == sorted(ends) and ends[len(kept)] > saved_steps, "steps after the checkpoint were recorded twice"
    assert p1.steps_done == saved_steps + 1000 and not p1.round_open


def test_ppo_learns_from_k_copies_per_env_as_one_batch(tmp_path):
    result = run_script(7, "ppo_cases.py", "vector", str(tmp_path), "5000", timeout=300)
    assert not result.timed_out and result.returncode == 0, result.output
    assert "scaling: 16 copies (2 environment ranks x 8)" in result.output
    checked = json.loads((tmp_path / "policy_1" / "identical.json").read_text())
    assert checked == {"workers": 2, "identical": 2, "updates": 20}  # 5000 steps / 256-step rollouts
    ppo, rnd = PolicyRecord(1, str(tmp_path)).load(), PolicyRecord(2, str(tmp_path)).load()
    assert ppo.steps_done == rnd.steps_done == 5000 * 16  # budgets stay per copy
    assert len(ppo.episodes) == len(rnd.episodes) > 800  # every copy's episodes are recorded
    assert np.mean(ppo.ep_results[-100:]) > 0.8 > -0.8 > np.mean(rnd.ep_results[-100:])
