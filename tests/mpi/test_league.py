"""League training through the arena: roles, snapshots that stay frozen, restarts, ratings, exact re-runs."""

import csv
import json

import pytest
from helpers import assert_ok, run_script

from arena.storage.records import PolicyRecord

pytest.importorskip("pettingzoo.classic")
pytest.importorskip("openskill")

FILES = ("members.csv", "matches.csv", "win_rates.csv", "ratings.csv", "ratings.json")


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def test_a_league_freezes_restarts_exploiters_rates_everyone_and_replays_unchanged(tmp_path):
    # Tic-tac-toe, two rounds, each learner one match a round; snapshot_steps = one round's steps,
    # so every learner freezes after every round and the main exploiter restarts each time.
    result = run_script(10, "league_cases.py", "mechanics", str(tmp_path), timeout=300)
    assert_ok(result)
    assert "Illegal move" not in result.output
    league = tmp_path / "league"
    members = {int(m["id"]): m for m in rows(league / "members.csv")}
    snapshots = [m for m in members.values() if m["frozen"] == "true"]
    assert len(snapshots) == 6  # 3 learners x 2 rounds
    exploiters = [m for m in members.values() if m["role"] == "main_exploiter" and m["frozen"] == "false"]
    assert len(exploiters) == 3 and sum(m["retired_round"] != "" for m in exploiters) == 2  # restarted each round
    assert members[100]["role"] == "anchor"
    for snap in snapshots:  # a snapshot's files are the learner's at its fork, never written again
        with open(league.parent / f"policy_{snap['id']}" / "fork.json") as f:
            fork = json.load(f)
        assert fork["forked_from"] == int(snap["parent"])
        record = PolicyRecord(int(snap["id"]), str(tmp_path)).load()
        assert [len(record.episodes), record.steps_done] == fork["at"]
    matches = rows(league / "matches.csv")
    assert {r["round"] for r in matches} == {"0", "1"}
    assert all(int(r["games"]) == int(r["wins"]) + int(r["draws"]) + int(r["losses"]) > 0 for r in matches)
    main_opponents = {r["opponent"] for r in matches if r["learner"] == "1"}
    assert len(main_opponents) > 1, matches  # the anchor first, then itself or its snapshots
    # Round 1's main exploiter (born in round 1) played the main agent, which had weights by then.
    assert any(r["round"] == "1" and members[int(r["learner"])]["role"] == "main_exploiter" for r in matches)
    # Rated: the anchor, every snapshot and the learners that have played (not the ones restarted after round 1).
    rated = {int(r["member"]) for r in rows(league / "ratings.csv")}
    played = {pid for pid, m in members.items() if m["frozen"] == "false" and m["retired_round"] == ""}
    played = {pid for pid in played if int(members[pid]["born_round"]) < 2}
    assert rated == played | {int(m["id"]) for m in snapshots} and f"RATED {sorted(rated)}" in result.output
    assert (league / "ratings.png").stat().st_size > 5000
    assert (league / "tournament" / "payoff.csv").exists()
    before = {name: (league / name).read_bytes() for name in FILES}

    again = run_script(10, "league_cases.py", "mechanics", str(tmp_path), timeout=300)
    assert_ok(again)
    assert again.output.count("complete in") == 2 and "not played again" in again.output
    assert {name: (league / name).read_bytes() for name in FILES} == before
