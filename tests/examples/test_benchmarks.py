"""The benchmarks run (quick mode): every kind of row completes. No timing is asserted."""

import csv
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from helpers import REPO, hang_guard


def run_quick(script: str, *args: str, timeout: float = 280) -> str:
    """Run ``benchmarks/<script> --quick``; its stdout, once it has exited cleanly."""
    command = [sys.executable, os.path.join(REPO, "benchmarks", script), "--quick", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=hang_guard(timeout))
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.timeout(400)
def test_throughput_quick_prints_each_kind_of_row():
    stdout = run_quick("throughput.py", timeout=380)
    table = stdout.split("\n\n")[-1]
    for row in ("(a) raw", "(b) random, -n 3, K=1", "(b) random, -n 3, K=32", "(c) ppo, -n 3, K=16"):
        assert row in table


@pytest.mark.timeout(300)
def test_learning_parity_quick_reports_both_arena_paths(tmp_path):
    stdout = run_quick("learning_parity.py", "--out", str(tmp_path))
    assert "random play:" in stdout
    for row in ("batched 1", "python 1"):
        assert row in stdout
    runs = json.loads((tmp_path / "parity.json").read_text())["runs"]
    assert [(r["path"], r["returncode"]) for r in runs] == [("batched", 0), ("python", 0)]
    assert all(r["games"] >= 5 for r in runs)  # 2,048 steps of near-random Breakout end a dozen games or more


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    "script, ratio", [("waits.py", "ratio auto / sleep:"), ("record_overhead.py", "ratio long / empty:")]
)
def test_side_by_side_benchmarks_quick_print_their_ratio(script, ratio):
    stdout = run_quick(script)
    assert ratio in stdout


@pytest.mark.timeout(300)
def test_two_player_pong_quick_prints_each_kind_of_row():
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


@pytest.mark.timeout(300)
@pytest.mark.parametrize("recipe, copies", [("pong-ppo-cpu", 8), ("pong-dqn-cpu", 10)])
def test_learning_quick_runs_each_cpu_recipe_and_writes_its_row_curve_and_logs(tmp_path, recipe, copies):
    stdout = run_quick("learning.py", "--recipe", recipe, "--out", str(tmp_path))
    assert "| recipe | settings | policy |" in stdout and "the run ended at the frame budget" in stdout
    with open(tmp_path / "learning.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1 and rows[0]["recipe"] == f"{recipe}-quick" and rows[0]["game"] == "Pong"
    settings = json.loads(rows[0]["settings"])
    assert settings["kwargs"]["preset"] == "atari-fast" and settings["copies"] == copies
    assert settings["kwargs"].get("n_epochs") == (1 if recipe == "pong-ppo-cpu" else None)  # --quick's one epoch
    assert int(rows[0]["frames"]) == 4 * 1024 * copies and float(rows[0]["steps_per_s"]) > 0
    assert rows[0]["cores"] and rows[0]["device"] in ("cpu", "gpu") and rows[0]["commit"]
    assert (tmp_path / f"learning_{recipe}-quick_seed0.png").stat().st_size > 10_000
    with open(tmp_path / f"curve_{recipe}-quick_seed0.csv") as f:
        curve = list(csv.DictReader(f))
    assert len(curve) >= copies // 2 and all(-21 <= float(c["score"]) <= 21 for c in curve)  # whole games
    ran = tmp_path / f"run_{recipe}-quick_seed0"  # the user's two files that ran, and their log folder
    assert "copies_per_env=copies" in (ran / "my_main_script.py").read_text()
    assert "make_atari_game" in (ran / "make_env.py").read_text()
    assert os.path.isdir(ran / "log_comms" / "policy_1")


@pytest.mark.timeout(300)
def test_learning_stops_the_run_once_the_target_is_reached(tmp_path):
    kwargs = '{"preset": "atari-fast", "n_epochs": 1, "torch_threads": 1, "evaluation": false}'
    args = ["--ranks", "3", "--copies", "4", "--frames", "40000000", "--kwargs", kwargs, "--target", "-21"]
    command = [sys.executable, os.path.join(REPO, "benchmarks", "learning.py"), *args]
    command += ["--window", "1", "--watch-every", "2", "--out", str(tmp_path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=hang_guard(280))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "stopping the run at the target" in result.stdout
    with open(tmp_path / "learning.csv") as f:
        row = next(csv.DictReader(f))
    assert 0 < int(row["frames_to_target"]) <= int(row["frames"]) < 40_000_000  # stopped long before the budget


def test_frames_to_target_is_the_first_game_where_the_window_mean_reaches_it():
    sys.path.insert(0, os.path.join(REPO, "benchmarks"))
    from learning import frames_to_target

    frames = np.array([100, 200, 300, 400, 500])
    scores = np.array([10.0, 20.0, 14.0, 20.0, 21.0])
    assert frames_to_target(frames, scores, 18.0, 2) == 500  # pairs: 15, 17, 17, then 20.5 at the 5th game
    assert frames_to_target(frames, scores, 17.0, 2) == 300
    assert frames_to_target(frames, scores, 18.0, 1) == 200
    assert frames_to_target(frames, scores, 30.0, 2) is None


def test_minutes_of_a_resumed_run_skip_the_gap_between_its_runs():
    sys.path.insert(0, os.path.join(REPO, "benchmarks"))
    from learning import active_minutes

    segments = [[1000.0, 1600.0], [5000.0, 5300.0]]  # 10 minutes, a gap of 56.7, then 5 more
    times = np.array([1300.0, 1600.0, 3000.0, 5060.0, 5300.0])
    assert active_minutes(times, segments).tolist() == [5.0, 10.0, 10.0, 11.0, 15.0]


@pytest.mark.timeout(400)
def test_learner_bound_quick_prints_the_ratio():
    stdout = run_quick("learner_bound.py")
    assert re.search(r"bare loop \d+ steps/s, arena \d+ steps/s", stdout) and "ratio arena / bare:" in stdout
