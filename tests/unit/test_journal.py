"""The journal of rounds and the replayed view of records (no mpiexec): what a re-run of a script reads."""

import json
import os

import pytest

from arena.ranks.worker.rank import _policy_kwargs
from arena.storage.journal import Journal, RoundEntry, canonical, kickoff_args, worker_steps_left
from arena.storage.records import PolicyRecord, RoundView, load_records, show_round


def _record(log, pid, returns):
    record = PolicyRecord(pid, str(log))
    for ret in returns:
        record.add_result(ret, 10)
    record.save()
    return record


@pytest.fixture
def replaying(tmp_path):
    yield tmp_path
    show_round(str(tmp_path), None)


def test_steps_left_end_every_policy_at_its_planned_count():
    # 2 copies a policy, 600 steps each: 1,200 planned. Killed with policy 1's checkpoint at 1,600
    # and policy 2's at 1,500 (the round started both at 1,200): their workers owe 400 and 450 steps.
    entry = RoundEntry(1, {}, 600, {"1": 1200, "2": 1200}, {"1": [14, 1200], "2": [14, 1200]})
    assert worker_steps_left(entry, {1: 1600, 2: 1500}) == {1: 400, 2: 450}
    assert worker_steps_left(entry, {1: 1200, 2: 2400}) == {1: 600, 2: 0}  # a new round; a policy done


def test_the_journal_keeps_rounds_and_names_the_arguments_that_changed(tmp_path):
    journal = Journal(str(tmp_path))
    args = kickoff_args(match_list=[[1, 2]], steps_per_match=600, policy_kwargs={1: {"lr": 1e-3}})
    entry = RoundEntry(0, args, 600, {"1": 600}, {"1": [0, 0]})
    journal.begin(entry)
    journal.finish(entry, {"1": [3, 600]}, {"steps": 600})
    again = Journal(str(tmp_path)).entry(0)
    assert again.complete and again.end == {"1": [3, 600]} and again.result == {"steps": 600}
    assert again.changed_args(args) == []
    changed = kickoff_args(match_list=[[1, 2]], steps_per_match=900, policy_kwargs={1: {"lr": 1e-3}})
    assert again.changed_args(changed) == ["steps_per_match"]
    assert canonical({"f": print, "x": object()}) == canonical({"x": object(), "f": print})  # no addresses
    journal.drop_from(0)
    assert json.loads((tmp_path / "rounds.json").read_text()) == {"rounds": []}


def test_a_replayed_round_shows_records_as_at_its_end_and_read_only(replaying):
    log = str(replaying)
    _record(log, 1, [1.0, 2.0, 3.0, 4.0, 5.0])
    _record(log, 2, [0.0])
    show_round(log, RoundView(0, {1: (3, 30)}))  # at the end of round 0, policy 1 had 3 episodes; 2 did not exist
    shown = PolicyRecord(1, log).load()
    assert shown.ep_results == [1.0, 2.0, 3.0] and shown.steps_done == 30
    assert list(load_records(log)) == [1]
    with pytest.raises(RuntimeError, match="read-only"):
        shown.save()
    show_round(log, None)
    assert PolicyRecord(1, log).load().ep_results == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_a_fork_the_earlier_run_made_is_recognised_and_not_repeated(replaying, capsys):
    log = str(replaying)
    parent = _record(log, 1, [1.0, 2.0, 3.0])
    child = parent.fork(3)  # the earlier run forked at 3 episodes
    child.add_result(9.0, 10)
    child.save()  # ...and the child played on
    show_round(log, RoundView(0, {1: (3, 30)}))
    again = PolicyRecord(1, log).load().fork(3)
    assert "forked from policy 1 by an earlier run; not repeated" in capsys.readouterr().out
    assert again.ep_results == [1.0, 2.0, 3.0] and set(load_records(log)) == {1, 3}
    show_round(log, RoundView(0, {1: (2, 20)}))  # the script now forks at another point: not the same run
    with pytest.raises(RuntimeError, match="did not make this fork here"):
        PolicyRecord(1, log).load().fork(3)


def test_a_fork_the_earlier_run_never_made_after_its_last_round_is_made_now(replaying, capsys):
    log = str(replaying)
    _record(log, 1, [1.0, 2.0, 3.0])  # the earlier run was killed after round 0, before it forked policy 1
    show_round(log, RoundView(0, {1: (3, 30)}))  # a later round is journaled: that run went on, so it never forked
    with pytest.raises(RuntimeError, match="did not make this fork here"):
        PolicyRecord(1, log).load().fork(3)
    show_round(log, RoundView(0, {1: (3, 30)}, last=True))  # round 0 is the journal's last: the fork is due now
    child = PolicyRecord(1, log).load().fork(3)
    assert "ended before forking it from policy 1; forking now" in capsys.readouterr().out
    assert child.ep_results == [1.0, 2.0, 3.0] and child.steps_done == 30
    with open(os.path.join(log, "policy_3", "fork.json")) as f:
        assert json.load(f) == {"policy_id": 3, "forked_from": 1, "at": [3, 30]}
    again = PolicyRecord(1, log).load().fork(3)  # a third run recognises it
    assert "forked from policy 1 by an earlier run; not repeated" in capsys.readouterr().out
    assert again.ep_results == [1.0, 2.0, 3.0]


def test_the_arena_gives_a_policy_its_round_budget_as_schedule_horizon_unless_the_user_did():
    class Learner:
        def __init__(self, env, comm, seed=None, device=None, schedule_steps=None):
            pass

    assert _policy_kwargs(Learner, {}, 5, None, 1200)["schedule_steps"] == 1200
    assert _policy_kwargs(Learner, {"schedule_steps": 99}, 5, None, 1200)["schedule_steps"] == 99
    assert "schedule_steps" not in _policy_kwargs(lambda env, comm, seed=None: None, {}, 5, None, 1200)
