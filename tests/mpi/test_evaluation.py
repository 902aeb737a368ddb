"""The evaluation protocol: whole games with true scores, epsilon, the frame cap, the schedule, the catalog,
the child process, and (MPI) DQN and PPO evaluating while they learn Breakout."""

import csv
import os
import subprocess
import sys

from helpers import SCRIPTS, run_script

from arena.evaluation.schedule import (
    CATALOG,
    EVAL_LOG,
    read_catalog,
)
from arena.storage.metrics import read_metrics

BREAKOUT_ENV = os.path.join(SCRIPTS, "breakout_env.py")


def test_a_make_env_that_imports_mpi4py_evaluates_under_ppo_dqn_and_sac(tmp_path):
    result = run_script(7, "mpi4py_env_case.py", str(tmp_path), timeout=300)
    assert not result.timed_out and result.returncode == 0, result.output
    assert "evaluation is off" not in result.output, result.output
    for policy in (1, 2, 3):
        with open(tmp_path / f"policy_{policy}" / EVAL_LOG) as f:
            rows = list(csv.DictReader(f))
        assert rows and rows[-1]["type"] == "full" and rows[-1]["games"] == "2", (policy, rows)
        catalog = read_catalog((tmp_path / f"policy_{policy}" / CATALOG).read_bytes())
        assert (tmp_path / f"policy_{policy}" / catalog["best"]["file"]).is_file()


def test_dqn_and_ppo_evaluate_while_they_learn(tmp_path):
    result = run_script(5, "eval_case.py", str(tmp_path), timeout=420)
    assert not result.timed_out and result.returncode == 0, result.output
    for policy, full_games in ((1, 30), (2, 3)):
        folder = tmp_path / f"policy_{policy}"
        with open(folder / EVAL_LOG) as f:
            rows = list(csv.DictReader(f))
        light = [r for r in rows if r["type"] == "light"]
        full = [r for r in rows if r["type"] == "full"]
        assert light and all(r["games"] == "2" for r in light), rows
        assert full and all(r["games"] == str(full_games) for r in full), rows
        assert all(int(r["frames"]) == 4 * int(r["step"]) for r in rows)
        catalog = read_catalog((folder / CATALOG).read_bytes())
        assert [e["step"] for e in catalog["entries"]] == [int(r["step"]) for r in full]
        assert (folder / catalog["best"]["file"]).is_file() and (folder / catalog["entries"][0]["video"]).is_file()
        fractions = [v for _, v in read_metrics(str(folder))["eval/random_action_fraction"]]
        assert all(0 < f < 0.2 for f in fractions)
    # DQN's 30 games: whole numbers (Breakout's true scores), epsilon 0.05 over thousands of actions.
    with open(tmp_path / "policy_1" / EVAL_LOG) as f:
        full = [r for r in csv.DictReader(f) if r["type"] == "full"][0]
    assert float(full["min"]).is_integer() and float(full["max"]).is_integer()
    fractions = dict(read_metrics(str(tmp_path / "policy_1"))["eval/random_action_fraction"])
    assert 0.035 < fractions[int(full["step"])] < 0.065
    listing = subprocess.run(
        [sys.executable, "-m", "arena.evaluate", BREAKOUT_ENV, "--policy", "1", "--log-dir", str(tmp_path), "--list"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listing.returncode == 0 and "(best)" in listing.stdout, listing.stdout + listing.stderr
    played = subprocess.run(
        [sys.executable, "-m", "arena.evaluate", BREAKOUT_ENV, "--policy", "1", "--log-dir", str(tmp_path)]
        + ["--checkpoint", "best", "--games", "1", "--no-video", "--epsilon", "0.05"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert played.returncode == 0 and "1 games: mean" in played.stdout, played.stdout + played.stderr
