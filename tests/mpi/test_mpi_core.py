"""Real multi-rank runs under mpiexec, each with an outer timeout so a hang fails."""

import json
import os

import pytest
from helpers import assert_ok, run_script

from arena.storage.records import PolicyRecord, load_records


def test_rounds_persist_records_and_add_policies(tmp_path):
    result = run_script(7, "core_cases.py", "rounds", str(tmp_path), timeout=90)
    assert_ok(result)
    assert "CASE rounds FINISHED" in result.output
    assert "round 0: 2 match copies on 7 ranks" in result.output
    # Round 0: policy 1 plays 2 matches x 100 steps of 7-step episodes; round 1 adds 50 steps of 5.
    p1 = PolicyRecord(1, str(tmp_path)).load()
    assert len(p1.episodes) == 2 * (100 // 7) + 50 // 5
    # Round 1 counts on from every step of round 0 (200), not from its last finished episode.
    assert p1.total_steps == p1.steps_done == 2 * 100 + 50
    assert p1.ep_cumlens == sorted(p1.ep_cumlens)
    assert {round(r, 6) for r in p1.ep_results[:28]} == {0.0, 7.0}  # entity 0 or 1, reward = index per step
    p3 = PolicyRecord(3, str(tmp_path)).load()
    assert len(p3.episodes) == 10 and set(p3.ep_results) == {5.0}
    for pid in (1, 2, 3):
        assert os.path.exists(tmp_path / f"policy_{pid}" / "curve_steps.png")
    assert os.path.exists(tmp_path / "all_policies.png")


def test_workers_see_only_their_entities_through_blocks_and_remaps(tmp_path):
    result = run_script(5, "core_cases.py", "entities", str(tmp_path), timeout=90)
    assert_ok(result)
    rows = [line.split() for line in result.output.splitlines() if " worker " in f" {line} "]
    assert [r[4] for r in rows] == ["3,1", "0", "2"]
    assert len(PolicyRecord(1, str(tmp_path)).load().episodes) == 4


def test_scaled_policy_comm_joins_every_copy(tmp_path):
    result = run_script(15, "core_cases.py", "scale", str(tmp_path), timeout=120)
    assert_ok(result)
    assert "4 copies" in result.output and "2 unused" in result.output
    with open(tmp_path / "policy_1" / "ran.json") as f:
        assert json.load(f) == {"workers": 4}


@pytest.mark.parametrize("mode, expected", [("spin", "poll"), ("sleep", "sleep")])
def test_every_busy_rank_waits_as_told(tmp_path, mode, expected):
    result = run_script(4, "core_cases.py", "waits", str(tmp_path), timeout=90, env={"ARENA_WAITS": mode})
    assert_ok(result)
    waits = [line.split()[-1] for line in result.output.splitlines() if line.startswith("WAITS rank")]
    assert waits == [expected] * 3


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs a core for each of the two busy ranks")
@pytest.mark.parametrize("mode, expected", [("auto", ["poll", "sleep"]), ("spin", ["poll", "poll"])])
def test_workers_of_an_env_stepping_on_threads_leave_it_their_cores(tmp_path, mode, expected):
    # -n 3, one match of one entity: the env rank and its worker have a core each, so both would poll;
    # the env says it steps on two threads, so its worker sleeps, unless ARENA_WAITS=spin says otherwise.
    result = run_script(3, "core_cases.py", "waits_threaded_env", str(tmp_path), timeout=90, env={"ARENA_WAITS": mode})
    assert_ok(result)
    waits = [line.split()[-1] for line in result.output.splitlines() if line.startswith("WAITS rank")]
    assert waits == expected


def test_random_ppo_and_dqn_players_of_a_masked_game_claim_only_free_cells(tmp_path):
    result = run_script(4, "core_cases.py", "masks", str(tmp_path))
    assert_ok(result)  # the env raises on an illegal claim, which would end the job
    records = load_records(str(tmp_path))
    assert records[1].steps_done == 300 + 4 * 300 and records[3].steps_done == 300
    assert records[4].steps_done == 4 * 320 + 320 and records[5].steps_done == 320  # PPO learned, then played
    assert records[6].steps_done == 4 * 300  # DQN: random moves, then greedy ones past its warm-up
    assert min(len(records[p].episodes) for p in (1, 2, 3, 4, 5, 6)) > 40  # games of at most 7 steps


def test_legacy_step_interface(tmp_path):
    result = run_script(4, "core_cases.py", "legacy", str(tmp_path), timeout=90)
    assert_ok(result)
    assert len(PolicyRecord(2, str(tmp_path)).load().episodes) == 10


@pytest.mark.parametrize(
    "case, where, error",
    [
        ("fail_make_env", "rank 1, environment of match 0 copy 0", "make_env failing on purpose"),
        ("fail_reset", "rank 1, environment of match 0 copy 0", "EchoEnv failing on purpose in reset"),
        ("fail_step", "rank 1, environment of match 0 copy 0", "failing on purpose at step 50"),
        ("fail_policy", "rank 3, worker of policy 2", "policy failing on purpose"),
        ("fail_root", "rank 0, the root script", "root script failing on purpose"),
    ],
)
def test_a_failure_on_any_rank_ends_the_job(tmp_path, case, where, error):
    result = run_script(4, "core_cases.py", case, str(tmp_path), timeout=60)  # the timeout catches a hang
    assert not result.timed_out, result.output
    assert result.returncode != 0
    assert where in result.output and error in result.output


@pytest.mark.parametrize(
    "case, ranks, message",
    [
        ("bad_too_few", 5, "needs at least 7 MPI ranks"),
    ],
)
def test_bad_kickoff_exits_fast_with_a_message(tmp_path, case, ranks, message):
    result = run_script(ranks, "core_cases.py", case, str(tmp_path), timeout=60)  # the timeout catches a hang
    assert not result.timed_out, result.output
    assert result.returncode != 0
    assert "kickoff error" in result.output and message in result.output
    assert not (tmp_path / "policy_1").exists()  # nothing started
