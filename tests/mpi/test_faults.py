"""Faults injected into real multi-rank runs: every case ends, in time, with a message that says what happened.

Each run has an outer timeout, so a hang fails the test instead of freezing CI.
"""

import os
import re
import signal
import subprocess
import sys
import time

import pytest
from helpers import SCRIPTS, hang_guard, is_open_mpi, mpiexec_path, run_script

from arena.storage.metrics import read_metrics
from arena.storage.records import PolicyRecord


def _wait_for(path, seconds):
    deadline = time.time() + hang_guard(seconds)
    while not os.path.exists(path) and time.time() < deadline:
        time.sleep(0.2)
    assert os.path.exists(path), f"{path} never appeared"


def _wait_for_tags(policy_dir, tags, seconds):
    """Wait until rank 0 has written a row of each tag to a policy's metrics.csv."""
    deadline = time.time() + hang_guard(seconds)
    while not set(tags) <= set(read_metrics(str(policy_dir))) and time.time() < deadline:
        time.sleep(0.2)  # polling the file rank 0 writes
    missing = sorted(set(tags) - set(read_metrics(str(policy_dir))))
    assert not missing, f"{policy_dir} / metrics.csv never showed {missing}"


def _start(ranks, *args):
    cmd = [mpiexec_path(), *os.environ.get("ARENA_MPIEXEC_ARGS", "").split(), "-n", str(ranks), sys.executable]
    return subprocess.Popen(
        [*cmd, "fault_cases.py", *args],
        cwd=SCRIPTS,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _finish(proc, timeout):
    """The output and return code; a run still going after ``timeout`` is killed and fails the test."""
    try:
        out, _ = proc.communicate(timeout=hang_guard(timeout))
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"the job did not end within {timeout} s:\n{out}")
    return out, proc.returncode


@pytest.mark.parametrize("role", ["env", "worker"])
def test_a_rank_killed_with_sigkill_ends_the_job(tmp_path, role):
    proc = _start(4, "kill", str(tmp_path))
    try:
        _wait_for(tmp_path / f"{role}.pid", 60)  # written once the rank plays
        os.kill(int((tmp_path / f"{role}.pid").read_text()), signal.SIGKILL)
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    out, code = _finish(proc, timeout=30)  # only a hang fails here, never a slow exit
    assert code != 0, out


@pytest.mark.parametrize(
    "case, silent",
    [
        ("stuck_env", "environment rank 1 sent nothing for 6 s"),
        ("stuck_policy", "rank 3 (worker for entities [1])"),
    ],
)
def test_a_silent_rank_is_named_after_the_timeout(tmp_path, case, silent):
    result = run_script(4, "fault_cases.py", case, str(tmp_path), timeout=60)
    assert not result.timed_out, result.output
    assert result.returncode != 0
    assert silent in result.output and "kickoff(silence_timeout=...)" in result.output
    assert "gave up waiting" in result.output


def test_a_first_action_later_than_the_silence_timeout_is_waited_for_in_every_loop(tmp_path):
    # A worker's first action of a round comes after it builds its learner (torch, replay), which under
    # load outlasts a short silence_timeout: lockstep, paced and turn-based rounds each wait for it.
    pytest.importorskip("pettingzoo")
    result = run_script(4, "fault_cases.py", "slow_start", str(tmp_path), timeout=120)
    assert not result.timed_out and result.returncode == 0, result.output
    assert "ROUNDS 3" in result.output


@pytest.mark.parametrize(
    "case, message",
    [
        ("bad_obs", "env of match 0 copy 0 (rank 1), entity 1, step 40: observation has shape (3,)"),
        ("nan_reward", "env of match 0 copy 0 (rank 1), entity 1, step 40: reward nan is not a finite number"),
        ("bad_action", "policy 2 (rank 3) in match 0, entity 1, step 31: action 7 is outside Discrete(3)"),
    ],
)
def test_bad_data_is_named_where_it_is_made(tmp_path, case, message):
    result = run_script(4, "fault_cases.py", case, str(tmp_path), timeout=60)
    assert not result.timed_out, result.output
    assert result.returncode != 0
    assert "DataError" in result.output and message in result.output


def test_bad_data_checks_can_be_demoted_to_warnings(tmp_path):
    result = run_script(4, "fault_cases.py", "warn", str(tmp_path), timeout=60)
    assert result.returncode == 0, result.output
    assert "CASE warn FINISHED" in result.output
    assert result.output.count("[arena] warning: env of match 0 copy 0 (rank 1), entity 1, step 40: reward nan") == 1


def test_every_bad_input_is_refused_on_rank_0_before_anything_starts(tmp_path):
    log = tmp_path / "logs"
    result = run_script(4, "fault_cases.py", "bad_inputs", str(log), timeout=120)
    assert result.returncode == 0, result.output
    expected = {
        "render": "render must be True or False, got 'yes'",
        "scale": "scale must be True or False, got 1",
        "seed": "seed must be an integer, got 1.5",
        "progress_interval": "progress_interval must be a positive number of seconds, got 0",
        "copies_per_env": "copies_per_env must be a positive integer, got 0",
        "silence_timeout": "silence_timeout must be a positive number of seconds, got -1",
        "data_checks": "data_checks must be 'raise' or 'warn' or 'off', got 'loud'",
        "env_restarts": "env_restarts must be a non-negative integer, got -1",
        "steps": "steps_per_match must be a positive integer, got 0",
        "unknown_type": "unknown policy type 'nonsense' for policy 2",
        "unloadable_type": "'no_such_module:Policy' cannot be loaded: No module named 'no_such_module'",
        "missing_policy": "policy 2 appears in match_list but not in policy_types",
        "match_list": "an entry is a policy id",
        "env_kwargs_count": "env_kwargs has 2",
        "remaps": "entity_remaps",
        "policy_kwargs_type": "policy_kwargs must be a dict of policy id -> dict of keyword arguments",
        "policy_kwargs_name": "policy_kwargs for policy 1 ('random'): got an unexpected keyword argument 'sede'",
        "ppo_kwargs": "unknown PPO hyperparameters ['learning_rat']",
        "plot_colors": "plot_colors must be a dict",
        "make_env_fails": "match 0: make_env(**{'fail_everywhere': True}) failed: RuntimeError: make_env failing",
        "too_few_entities": "match 0 needs entities up to index 1 but its env has only 1",
        "unequal_spaces": "with 3 observation spaces but 2 action spaces",
        "shifting_spaces": "built two envs with different spaces",
    }
    for name, message in expected.items():
        line = next((x for x in result.output.splitlines() if x.startswith(f"BAD INPUT {name}")), "")
        assert message in line, f"{name}: expected {message!r} in {line!r}"
    assert not log.exists(), "a refused kickoff wrote to the log folder"


def test_a_make_env_that_fails_to_import_stops_the_job_on_rank_0(tmp_path):
    broken = tmp_path / "make_env.py"
    broken.write_text("import no_such_module_anywhere\n")
    script = tmp_path / "main.py"
    script.write_text(f"from arena import make_stem\nmake_stem({str(broken)!r}, {str(tmp_path / 'logs')!r})\n")
    result = run_script(3, str(script), timeout=60)
    assert not result.timed_out and result.returncode != 0, result.output
    assert "rank 0, loading make_env failed" in result.output and "no_such_module_anywhere" in result.output
    assert not (tmp_path / "logs").exists()


def test_a_second_run_on_the_same_log_folder_refuses(tmp_path):
    log = tmp_path / "log"
    first = _start(4, "held", str(log), "1500")  # its env waits at step 50 for the file "release"
    try:
        _wait_for(log / "policy_1" / "record.json", 90)
        second = run_script(4, "fault_cases.py", "slow", str(log), "100", timeout=120)
        tournament = run_script(4, "fault_cases.py", "tournament", str(log), timeout=120)
    finally:
        (tmp_path / "release").write_text("go")
        out, code = _finish(first, timeout=240)
    for refused in (second, tournament):
        assert refused.returncode != 0 and "another arena run (pid" in refused.output, refused.output
        assert f"is using the log folder {log}" in refused.output
    assert code == 0 and "CASE held FINISHED" in out, out
    record = PolicyRecord(1, str(log)).load()
    assert record.steps_done == 1500 and not record.round_open and len(record.episodes) == 150
    assert [e.episode for e in record.episodes] == list(range(len(record.episodes)))


@pytest.mark.skipif(
    is_open_mpi(), reason="Open MPI's mpirun kills ranks 0.25 s after forwarding Ctrl+C (docs/troubleshooting.md)"
)
def test_ctrl_c_saves_checkpoints_and_records_then_a_rerun_resumes(tmp_path):
    proc = _start(4, "long", str(tmp_path), "1000000")
    try:
        # PPO has updated at least once, and rank 0 holds a finished episode (an update can come first)
        _wait_for_tags(tmp_path / "policy_1", ["losses/value_loss", "charts/episodic_return"], 120)
        assert not (tmp_path / "policy_1" / "checkpoint.pt").exists()  # no periodic checkpoint yet
        proc.send_signal(signal.SIGINT)
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    out, code = _finish(proc, timeout=60)
    assert code != 0, out
    assert "stop requested" in out and "stopped: policies [1, 2] saved their records and checkpoints" in out, out
    import torch

    saved_steps = torch.load(tmp_path / "policy_1" / "checkpoint.pt", weights_only=True)["global_step"]
    before = PolicyRecord(1, str(tmp_path)).load()
    assert saved_steps > 0 and before.episodes and before.round_open
    kept = [e for e in before.episodes if e.steps <= saved_steps]

    result = run_script(4, "fault_cases.py", "long", str(tmp_path), "640", timeout=180)
    assert result.returncode == 0, result.output
    assert f"its checkpoint at step {saved_steps:,}" in result.output
    assert f"resuming from {tmp_path / 'policy_1' / 'checkpoint.pt'} at step {saved_steps:,}" in result.output
    after = PolicyRecord(1, str(tmp_path)).load()
    assert after.episodes[: len(kept)] == kept  # what was saved up to the checkpoint is all still there
    steps = [e.steps for e in after.episodes]
    assert steps == sorted(steps) and steps[len(kept)] > saved_steps  # then play continues, none repeated
    assert after.steps_done == saved_steps + 640
    assert [e.episode for e in after.episodes] == list(range(len(after.episodes)))


def _checkpoint_updates(path) -> int:
    import torch

    try:
        return int(torch.load(path, weights_only=True)["updates"])
    except (FileNotFoundError, EOFError, RuntimeError):
        return 0


@pytest.mark.skipif(is_open_mpi(), reason="Open MPI's mpirun kills the ranks 0.25 s after forwarding signals")
def test_sigterm_while_a_root_waits_inside_an_allreduce_saves_every_policy(tmp_path):
    # Policy 1's second worker stalls for 10 minutes in its third update, so policy 1's root waits in the
    # gradient Allreduce and policy 2's root waits on their shared environment. Both must save and the job end.
    proc = _start(7, "hard_stop", str(tmp_path))
    try:
        deadline = time.time() + hang_guard(120)
        while _checkpoint_updates(tmp_path / "policy_1" / "checkpoint.pt") < 2 and time.time() < deadline:
            time.sleep(0.1)  # polling the file rank 0 writes
        assert _checkpoint_updates(tmp_path / "policy_1" / "checkpoint.pt") == 2, "policy 1 did not reach its stall"
        _wait_for(tmp_path / "root_averaging", 60)  # policy 1's root enters its third update's Allreduce
        proc.send_signal(signal.SIGTERM)
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    out, code = _finish(proc, timeout=90)  # far less than the stalled worker's 10 minutes
    assert code != 0, out
    assert "stopped: policies [1, 2] saved their records and checkpoints" in out, out
    for pid in (1, 2):
        assert PolicyRecord(pid, str(tmp_path)).load().round_open  # stopped mid-round: a rerun resumes
    assert _checkpoint_updates(tmp_path / "policy_1" / "checkpoint.pt") == 2
    assert _checkpoint_updates(tmp_path / "policy_2" / "checkpoint.pt") >= 2


def _policy_worker_ranks(output: str, policy: int) -> list[int]:
    """The ranks of a policy's workers, from the rank table kickoff prints."""
    rows = [line.split() for line in output.splitlines() if re.match(r"^\d+\s+worker\s", line)]
    return sorted(int(row[0]) for row in rows if row[5] == str(policy))


def test_a_stall_inside_an_allreduce_names_the_stalled_worker_not_its_waiting_peer(tmp_path):
    # Policy 1 plays two matches; its second worker stalls in its third update. Its root waits in the
    # gradient Allreduce, and the root's environment rank waits on the root: the root must speak first.
    result = run_script(7, "fault_cases.py", "stall_allreduce", str(tmp_path), timeout=120)
    assert not result.timed_out, result.output
    assert result.returncode != 0
    root, stalled = _policy_worker_ranks(result.output, 1)
    assert f"rank {root} waited 4 s in a gradient average (Allreduce)" in result.output, result.output
    assert f"rank {stalled} never joined: it stalled or died" in result.output, result.output
    assert f"rank {root} (worker" not in result.output  # no environment rank blamed the waiting root


def _assert_no_scratch_left(tmp: str) -> None:
    """Every arena_* folder in ``tmp`` is gone (the watchers remove them once their ranks end)."""
    deadline = time.monotonic() + hang_guard(60)
    while any(name.startswith("arena_") for name in os.listdir(tmp)) and time.monotonic() < deadline:
        time.sleep(0.1)  # polling the folder for the watchers' removals
    assert not [name for name in os.listdir(tmp) if name.startswith("arena_")]


@pytest.mark.parametrize("case", ["ppo_short", "ppo_abort"])
def test_no_temporary_folder_is_left_after_a_clean_end_or_an_abort(tmp_path, case):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    result = run_script(4, "fault_cases.py", case, str(tmp_path / "log"), timeout=120, env={"TMPDIR": str(tmp)})
    assert not result.timed_out, result.output
    assert (result.returncode == 0) == (case == "ppo_short"), result.output
    if case == "ppo_abort":  # aborted by the env's fault, not by anything before the round
        assert "EchoEnv failing on purpose at step 200" in result.output, result.output
    _assert_no_scratch_left(str(tmp))


@pytest.mark.skipif(is_open_mpi(), reason="Open MPI's mpirun kills the ranks 0.25 s after forwarding signals")
def test_no_temporary_folder_is_left_after_ctrl_c(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc = subprocess.Popen(
        [mpiexec_path(), "-n", "4", sys.executable, "fault_cases.py", "long", str(tmp_path / "log"), "1000000"],
        cwd=SCRIPTS, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(tmp)},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + hang_guard(120)
        while not any(n.startswith("arena_policy_") for n in os.listdir(tmp)) and time.monotonic() < deadline:
            time.sleep(0.1)  # polling for the root worker's private copy: the round is under way
        proc.send_signal(signal.SIGINT)
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    out, _ = _finish(proc, timeout=90)
    assert "stopped" in out, out
    _assert_no_scratch_left(str(tmp))


def test_an_env_that_raises_once_is_rebuilt_under_env_restarts_and_the_round_completes(tmp_path):
    result = run_script(4, "fault_cases.py", "env_restart", str(tmp_path), timeout=120)
    assert result.returncode == 0, result.output
    assert "CASE env_restart FINISHED" in result.output
    line = "environment rank 1 restarted copy 0: RuntimeError: EchoEnv failing once on purpose at step 40"
    assert line in result.output, result.output
    episodes = int(re.search(r"EPISODES (\d+)", result.output).group(1))
    # 2 copies x 300 steps, episodes of 10 steps, 2 policies: 120 episodes, less the dropped one of each policy.
    assert episodes == 118, result.output
