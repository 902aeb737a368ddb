"""Tournaments: the pure parts (pairs, rounds, payoffs, ratings, checks), and one played through MPI."""

import csv
import json

from helpers import run_script


def test_a_tournament_of_scripted_touchdown_players_ranks_them_by_strength(tmp_path):
    result = run_script(7, "tournament_cases.py", str(tmp_path), "4", timeout=240)
    assert not result.timed_out, result.output
    assert result.returncode == 0, result.output
    with open(tmp_path / "summary.json") as f:
        summary = json.load(f)
    assert summary["games"] == 12 * 4  # 12 ordered pairs, 4 games each
    ranking = summary["ranking"]
    assert ranking[:2] == [1, 2], ranking  # runner, then stroller
    payoff = {int(a): {int(b): v for b, v in row.items()} for a, row in summary["payoff"].items()}
    assert payoff[1][2] == payoff[1][3] == payoff[1][4] == 1.0  # the runner wins every game
    assert payoff[2][3] == 1.0  # the stroller scores on step 20; still never moves
    for a in payoff:
        for b in payoff[a]:
            assert payoff[a][b] == -payoff[b][a]  # Touchdown is zero-sum
    folder = tmp_path / "tournament"
    with open(folder / "ratings.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["policy"]) for r in rows] == ranking
    assert all(int(r["games"]) == 24 for r in rows)  # 3 opponents x 2 sides x 4 games
    with open(folder / "payoff.csv") as f:
        table = list(csv.reader(f))
    assert table[0] == ["", "3", "1", "4", "2"] and table[2][0] == "1"
    assert (folder / "payoff.png").stat().st_size > 5000
    assert "[tournament] ratings (OpenSkill Plackett-Luce):" in result.output
    # The players' own folders are untouched: everything went under tournament/.
    assert not (tmp_path / "policy_1").exists()
