"""The benchmarks run (quick mode): every kind of row completes. No timing is asserted."""

import json
import os
import subprocess
import sys

import pytest
from helpers import REPO

pytestmark = pytest.mark.mpi


def run_quick(script: str, *args: str, timeout: float = 280) -> str:
    """Run ``benchmarks/<script> --quick``; its stdout, once it has exited cleanly."""
    command = [sys.executable, os.path.join(REPO, "benchmarks", script), "--quick", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.timeout(400)
def test_throughput_quick_prints_every_row():
    stdout = run_quick("throughput.py", timeout=380)
    table = stdout.split("\n\n")[-1]
    for row in ("(a) raw", "(b) random, -n 3, K=1", "(b) random, -n 3, K=32", "(c) ppo, -n 3, K=16"):
        assert row in table
    assert "(d) ppo, pickled, -n 3, K=1" in table


@pytest.mark.timeout(300)
def test_learning_parity_quick_reports_both_arena_paths(tmp_path):
    stdout = run_quick("learning_parity.py", "--out", str(tmp_path))
    assert "random play:" in stdout
    for row in ("batched 1", "python 1"):
        assert row in stdout
    runs = json.loads((tmp_path / "parity.json").read_text())["runs"]
    assert [(r["path"], r["returncode"]) for r in runs] == [("batched", 0), ("python", 0)]
    assert all(r["games"] >= 5 for r in runs)  # 4,096 steps of near-random Breakout end dozens of games


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    "script, ratio", [("waits.py", "ratio auto / sleep:"), ("record_overhead.py", "ratio long / empty:")]
)
def test_side_by_side_benchmarks_quick_print_their_ratio(script, ratio):
    stdout = run_quick(script)
    assert ratio in stdout


@pytest.mark.timeout(300)
def test_two_player_pong_quick_prints_every_row():
    pytest.importorskip("pettingzoo")
    stdout = run_quick("two_player_pong.py")
    table = stdout.split("\n\n")[-1]
    for row in ("(a) raw", "(b) random, -n 4, K=1", "(b) random, -n 7, K=8", "(c) ppo, -n 4, K=8"):
        assert row in table


@pytest.mark.timeout(300)
def test_many_games_quick_prints_every_row():
    stdout = run_quick("many_games.py")
    table = stdout.split("\n\n")[-1]
    for row in ("(a) raw, 8 games", "(b) random, not paced", "(c) random, paced 15", "(c) random, paced 60"):
        assert row in table
    assert "(d) ppo, paced 15: 15 steps/s per copy asked" in table
