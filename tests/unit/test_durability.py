"""What a crash, a kill or a bad file leaves behind (no mpiexec): versions, fall-backs, forks, scratch, locks."""

import errno
import fcntl
import json
import os
import subprocess
import sys
import time

import gymnasium as gym
import numpy as np
import pytest
import torch
from helpers import ScriptedVector, hang_guard

from arena.algos.learner import all_finite
from arena.algos.ppo import PPO
from arena.algos.torch_sync import state_from_bytes, state_to_bytes
from arena.envs.api import episode_dropped
from arena.envs.batch import build_batch
from arena.envs.step_checks import value_problem
from arena.evaluate import main as evaluate_main
from arena.mpi import comm as mpi
from arena.storage.file_service import folder_files, open_round
from arena.storage.files import (
    CATALOG,
    CHECKPOINT,
    CorruptFileError,
    FolderLock,
    LocalFiles,
    read_versions,
    stays_home,
    writable_problem,
)
from arena.storage.journal import Journal, RoundEntry
from arena.storage.records import PolicyRecord


def test_a_checkpoint_keeps_the_version_before_and_a_bad_one_falls_back(tmp_path, capsys):
    files = LocalFiles(str(tmp_path))
    for step in (100, 200, 300):
        files.write(CHECKPOINT, state_to_bytes({"global_step": step}))
    assert sorted(os.listdir(tmp_path)) == ["checkpoint.1.pt", "checkpoint.pt"]
    assert PPO.saved_steps(str(tmp_path)) == 300
    (tmp_path / CHECKPOINT).write_bytes(state_to_bytes({"global_step": 400})[:100])  # a write cut short
    assert LocalFiles(str(tmp_path)).read_parsed(CHECKPOINT, state_from_bytes)["global_step"] == 200
    assert (tmp_path / CHECKPOINT).stat().st_size == 100  # reading alone changes nothing
    assert PPO.saved_steps(str(tmp_path)) == 200  # rank 0 at kickoff: restores the last good version
    out = capsys.readouterr().out
    assert f"{tmp_path / CHECKPOINT} is unreadable" in out and "restored from" in out
    assert PPO.saved_steps(str(tmp_path)) == 200 and (tmp_path / "checkpoint.pt.corrupt").stat().st_size == 100
    assert "checkpoint.pt.corrupt" not in folder_files(str(tmp_path))  # set aside: it stays home
    files.write("notes.txt", b"a")
    files.write("notes.txt", b"b")
    assert not (tmp_path / "notes.1.txt").exists()  # only checkpoints and catalogs keep versions


def test_an_older_checkpoint_restored_after_a_finished_round_takes_the_records_back_to_it(tmp_path, capsys):
    record = PolicyRecord(1, str(tmp_path))
    for _ in range(3):
        record.add_result(1.0, 100)  # episodes ending at steps 100, 200, 300
    record.round_open = False  # the round finished
    record.save()
    files = LocalFiles(record.data_dir)
    for step in (200, 300):
        files.write(CHECKPOINT, state_to_bytes({"global_step": step}))
    opened = open_round(PPO.saved_steps, str(tmp_path), 1, None)  # a good checkpoint: nothing moves
    assert opened.steps_done == 300 and "continue from" not in capsys.readouterr().out
    opened.round_open = False
    opened.save()
    (tmp_path / "policy_1" / CHECKPOINT).write_bytes(b"torn")
    opened = open_round(PPO.saved_steps, str(tmp_path), 1, None)
    assert opened.steps_done == 200 and len(opened.episodes) == 2
    out = capsys.readouterr().out
    assert (
        "policy 1: its weights are older than its records; its records continue from its checkpoint at step 200" in out
    )
    assert "(its checkpoint was restored from an older version; 1 episodes recorded after it were dropped)" in out
    opened.round_open = False
    opened.save()
    assert open_round(PPO.saved_steps, str(tmp_path), 1, None).steps_done == 200  # once: the next round starts there


def test_every_version_unreadable_is_an_error_that_names_the_files(tmp_path):
    (tmp_path / CHECKPOINT).write_bytes(b"")
    (tmp_path / "checkpoint.1.pt").write_bytes(b"junk")
    with pytest.raises(CorruptFileError, match=r"every saved version of .*checkpoint.pt is unreadable"):
        PPO.saved_steps(str(tmp_path))
    assert read_versions(str(tmp_path / "absent.json"), json.loads) is None


def test_the_journal_and_a_record_fall_back_to_the_version_before(tmp_path, capsys):
    journal = Journal(str(tmp_path))
    first = RoundEntry(0, {"seed": "1"}, 600, {"1": 600}, {"1": [0, 0]})
    journal.begin(first)
    journal.finish(first, {"1": [3, 600]}, {"steps": 600})
    (tmp_path / "rounds.json").write_text('{"rounds": [')  # torn by a crash
    again = Journal(str(tmp_path))
    assert again.entry(0) is not None and again.entry(0).status != "complete"  # the version before finish
    record = PolicyRecord(1, str(tmp_path))
    record.add_result(1.0, 10)
    record.save()
    record.add_result(2.0, 10)
    record.save()
    (tmp_path / "policy_1" / "record.json").write_text("")
    assert PolicyRecord(1, str(tmp_path)).steps_done == 20
    assert "record.json is unreadable" in capsys.readouterr().out


def test_the_round_package_leaves_evaluated_checkpoints_and_videos_home(tmp_path):
    files = LocalFiles(str(tmp_path))
    files.write(CHECKPOINT, b"w" * 1000)
    files.write(CATALOG, b"{}")
    for step in range(1, 21):
        files.write(f"checkpoints/step_{step * 1000}.pt", b"x" * 100_000)
    files.write("checkpoints/best.pt", b"x" * 100_000)
    files.write("videos/step_1000.mp4", b"v" * 100_000)
    files.write("checkpoints/my_own.pt", b"m")  # a policy's own file under checkpoints/ still travels
    package = folder_files(str(tmp_path))
    files.write(CHECKPOINT, b"w" * 1000)  # checkpoint.1.pt now exists too, and stays home
    assert sorted(package) == [CHECKPOINT, CATALOG, "checkpoints/my_own.pt"]
    assert sorted(folder_files(str(tmp_path))) == sorted(package)
    assert sum(len(v) for v in package.values()) < 2_000
    assert stays_home("checkpoints/latest.pt") and stays_home("checkpoints/catalog.1.json")
    assert not stays_home("checkpoints/catalog.json")


def test_a_fork_cut_short_is_done_again_and_a_finished_one_is_recognised(tmp_path, capsys):
    parent = PolicyRecord(1, str(tmp_path))
    parent.add_result(1.0, 10)
    parent.save()
    (tmp_path / "policy_2.forking").mkdir()  # a kill during the copy left half of it
    (tmp_path / "policy_2.forking" / "half").write_text("x")
    child = parent.fork(2)
    assert child.steps_done == 10 and not (tmp_path / "policy_2.forking").exists()
    assert not (tmp_path / "policy_2" / "half").exists()
    again = PolicyRecord(1, str(tmp_path)).fork(2)  # a re-run of a script killed after the fork
    assert again.steps_done == 10
    assert "already (a re-run); not repeated" in capsys.readouterr().out
    parent.add_result(1.0, 10)
    parent.save()
    with pytest.raises(FileExistsError):  # another fork at other counts is not this one
        parent.fork(2)


def _scratch_child(how: str) -> str:
    """A Python process that makes a scratch folder, prints it and ends ``how``; the folder's path."""
    code = (
        "import os, signal, sys\n"
        "from arena.storage.scratch import scratch_folder\n"
        "path = scratch_folder('arena_test_')\n"
        "print(path, flush=True)\n"
        f"how = {how!r}\n"
        "if how == 'kill': os.kill(os.getpid(), signal.SIGKILL)\n"
        "if how == 'abort': os.abort()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    return out.stdout.strip()


@pytest.mark.parametrize("how", ["exit", "kill", "abort"])
def test_a_scratch_folder_is_gone_however_its_process_ends(how):
    path = _scratch_child(how)
    assert os.path.basename(path).startswith("arena_test_")
    deadline = time.monotonic() + hang_guard(30)  # the watcher removes it once it sees the pipe close
    while os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.05)  # polling the folder itself, not waiting a fixed time
    assert not os.path.exists(path)


def test_lock_errors_say_what_failed(tmp_path, monkeypatch):
    held = FolderLock(str(tmp_path)).acquire()
    with pytest.raises(RuntimeError, match="another arena run"):
        FolderLock(str(tmp_path)).acquire()
    held.release()

    def no_locks(handle, how):
        raise OSError(errno.ENOLCK, "no locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    with pytest.raises(OSError, match="cannot lock the log folder .* network disks"):
        FolderLock(str(tmp_path)).acquire()


def test_a_log_folder_that_cannot_be_written_is_named(tmp_path):
    (tmp_path / "a_file").write_text("x")
    assert "is a file, not a folder" in writable_problem(str(tmp_path / "a_file" / "log_comms"))
    assert writable_problem(str(tmp_path / "new" / "log_comms")) is None


def test_evaluate_refuses_a_catalog_path_outside_its_folder_and_a_locked_folder(tmp_path, capsys):
    folder = tmp_path / "log_comms" / "policy_1"
    (folder / "checkpoints").mkdir(parents=True)
    (folder / CHECKPOINT).write_bytes(b"w")
    entry = {"step": 1, "file": "../../../outside.pt"}
    (folder / CATALOG).write_text(json.dumps({"entries": [entry], "best": entry, "latest": entry}))
    assert evaluate_main([str(tmp_path), "--policy", "1", "--checkpoint", "best"]) == 2
    assert "must be a relative path inside its folder" in capsys.readouterr().err
    held = FolderLock(str(tmp_path / "log_comms")).acquire()
    assert evaluate_main([str(tmp_path), "--policy", "1"]) == 2
    assert "another arena run" in capsys.readouterr().err
    held.release()


class _NaNFromStep5(ScriptedVector):
    """ScriptedVector whose observations turn NaN at its fifth step (what data_checks="warn" lets through)."""

    def step(self, actions):
        obs, rewards, terminated, truncated, infos = super().step(actions)
        if self.step_count >= 5:
            obs = np.full_like(obs, np.nan)
        return obs, rewards, terminated, truncated, infos


def test_ppo_fed_nan_observations_stops_and_keeps_its_last_good_checkpoint(tmp_path):
    record = PolicyRecord(1, str(tmp_path))
    PPO(ScriptedVector(), mpi.world(), seed=0, n_steps=4).run(8, record.data_dir, record)
    good = (tmp_path / "policy_1" / CHECKPOINT).read_bytes()
    with pytest.raises(FloatingPointError, match=r"NaN or infinite observations or rewards before global step 24"):
        PPO(_NaNFromStep5(), mpi.world(), seed=0, n_steps=4).run(16, record.data_dir, record)
    assert (tmp_path / "policy_1" / CHECKPOINT).read_bytes() == good
    assert all_finite(state_from_bytes(good))


def test_a_checkpoint_with_nan_weights_is_refused(tmp_path):
    record = PolicyRecord(1, str(tmp_path))
    ppo = PPO(ScriptedVector(), mpi.world(), seed=0, n_steps=4)
    ppo.run(4, record.data_dir, record)
    with torch.no_grad():
        next(ppo.agent.parameters()).fill_(float("nan"))
    with pytest.raises(FloatingPointError, match=r"NaN or infinite weights in \['model'\].*keeps the last good one"):
        ppo.save_checkpoint()
    assert all_finite(state_from_bytes((tmp_path / "policy_1" / CHECKPOINT).read_bytes()))


def test_nan_observations_are_caught_even_without_bounds_checks():
    space = gym.spaces.Box(-1, 1, (2,), np.float32)
    bad = np.array([[0.0, np.nan]], np.float32)
    assert value_problem(bad, space, "observation", check_bounds=False) == "observation holds NaN or infinity"
    assert value_problem(np.array([[5.0, 0.0]], np.float32), space, "observation", check_bounds=False) is None


class _Flaky:
    """A one-entity env whose first instance raises at its third step."""

    built = 0

    def __init__(self):
        _Flaky.built += 1
        self.instance, self.t = _Flaky.built, 0
        self.observation_spaces = [gym.spaces.Box(-10, 10, (1,), np.float32)]
        self.action_spaces = [gym.spaces.Discrete(2)]

    def reset(self, seed=None):
        self.t = 0
        return [np.zeros(1, np.float32)], [{}]

    def step(self, actions):
        self.t += 1
        if self.instance == 1 and self.t == 3:
            raise RuntimeError("emulator crashed")
        return [np.full(1, self.t, np.float32)], [1.0], False, False, [{}]


def test_a_copy_that_raises_is_rebuilt_within_its_restarts_and_its_episode_dropped(capsys):
    _Flaky.built = 0
    batch = build_batch(_Flaky, 2, {}, restarts=1)
    batch.reset([1, 2])
    for _ in range(2):
        batch.step([[0, 0]])
    step = batch.step([[0, 0]])  # copy 0 raises here
    assert list(step.truncated[:, 0]) == [True, False] and step.rewards[0, 0] == 0.0
    assert episode_dropped(step.ended[0].final_infos) and step.ended[0].final_obs[0][0] == 2.0
    assert step.obs[0][0][0] == 0.0  # the rebuilt copy's first observation
    assert batch.restarts == ["copy 0: RuntimeError: emulator crashed"]
    assert "rebuilt it, its episode dropped (0 restarts left)" in capsys.readouterr().err
    _Flaky.built = 0
    strict = build_batch(_Flaky, 1, {})  # the default: fail-stop
    strict.reset([1])
    with pytest.raises(RuntimeError, match="emulator crashed"):
        for _ in range(3):
            strict.step([[0]])
