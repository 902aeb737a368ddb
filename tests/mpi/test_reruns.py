"""Kill a script mid-run, run it again: it finishes the same work (the journal of rounds, on rank 0's disk).

When this machine can give every rank but 0 a private disk (tests/private_disks.sh),
the story runs that way, as on a cluster without a shared disk.
"""

import json
import os
import re
import subprocess
import sys

from helpers import LAUNCHER, SCRIPTS, can_give_private_disks, hang_guard, mpiexec_path

from arena.storage.metrics import read_metrics, tensorboard_available
from arena.storage.records import load_records

if tensorboard_available():
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

CLEANRL_TAGS = {"charts/episodic_return", "charts/episodic_length", "charts/SPS", "charts/learning_rate"}
CLEANRL_TAGS |= {"losses/policy_loss", "losses/value_loss", "losses/entropy", "losses/approx_kl"}
PLANNED = {1: 2400, 2: 3600, 3: 2400}  # 1,200 steps a round (2 copies x 600): 1 plays 2 rounds, 2 three, 3 one + fork


def _run(log, *args, ranks=7, private=False):
    prefix = [LAUNCHER] if private else []
    argv = [mpiexec_path(), "-n", str(ranks), *prefix, sys.executable, "rerun_cases.py", log, *args]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "ARENA_PRIVATE_DIR": log}
    proc = subprocess.run(argv, cwd=SCRIPTS, env=env, capture_output=True, text=True, timeout=hang_guard(300))
    return proc.returncode, proc.stdout + proc.stderr


def _choice(out):
    return re.search(r"\[script\] after round 0: .*", out).group(0)


def _check_end_state(log):
    records = load_records(log)
    assert {pid: r.steps_done for pid, r in records.items()} == PLANNED
    for pid, record in records.items():
        ends = [e.steps for e in record.episodes]
        assert [e.episode for e in record.episodes] == list(range(len(ends))), f"policy {pid}: numbering breaks"
        assert ends == sorted(set(ends)) and ends[-1] <= PLANNED[pid], f"policy {pid}: steps repeat or overrun"
        assert not record.round_open
        rates = read_metrics(record.data_dir)["charts/learning_rate"]
        steps = [s for s, _ in rates]
        assert steps == sorted(set(steps)) and steps[-1] == PLANNED[pid], f"policy {pid}: updates repeat"
        assert all(b <= a for (_, a), (_, b) in zip(rates, rates[1:])), f"policy {pid}: the learning rate rose"
        if tensorboard_available():  # the event files on rank 0's disk, read with TensorBoard's own reader
            events = EventAccumulator(os.path.join(log, "tb", f"policy_{pid}"))
            events.Reload()
            assert set(events.Tags()["scalars"]) >= CLEANRL_TAGS
            tb_steps = [e.step for e in events.Scalars("charts/learning_rate")]
            assert tb_steps == sorted(set(tb_steps)) and tb_steps[-1] == PLANNED[pid], "TensorBoard repeats steps"


def test_a_rerun_after_a_kill_in_round_2_of_3_finishes_exactly_the_planned_work(tmp_path):
    log, private = str(tmp_path / "log"), can_give_private_disks()
    os.makedirs(log)
    code, killed = _run(log, "story", "1800", private=private)
    assert code != 0 and "[script] after round 0" in killed, killed[-3000:]
    journal = json.loads((tmp_path / "log" / "rounds.json").read_text())["rounds"]
    assert [r["status"] for r in journal] == ["complete", "started"]

    code, rerun = _run(log, "story", private=private)
    assert code == 0, rerun[-3000:]
    assert "round 0: complete in" in rerun and "round 1 was cut short; resuming it (resume 1)" in rerun
    assert "policy 3: forked from policy" in rerun and "by an earlier run; not repeated" in rerun
    assert _choice(rerun) == _choice(killed), "the replayed round 0 read other records than the first run"
    _check_end_state(log)

    code, again = _run(log, "story", private=private)  # everything is done: every round returns at once
    assert code == 0 and "round 2: complete in" in again and "[ppo] resuming" not in again, again[-3000:]
    _check_end_state(log)


def test_changed_kickoff_arguments_are_named_and_the_round_runs_in_full(tmp_path):
    log = str(tmp_path)
    assert _run(log, "random", "300", ranks=4)[0] == 0
    code, out = _run(log, "random", "200", ranks=4)
    assert code == 0, out
    assert "round 0: kickoff arguments differ from those" in out and "(budgets, steps_per_match)" in out
    assert {pid: r.steps_done for pid, r in load_records(log).items()} == {1: 500, 2: 500}
