"""The AI Arena tutorial's own Pong files (tutorial 02), run as the tutorial quotes them.

The files come out of ``docs/tutorials/02_atari.md`` itself (each code block after a
``<!-- file: NAME -->`` line), so the tutorial and what runs here cannot drift apart.
The one change: the budget ``5000000`` becomes a small one. ``ARENA_EVALUATION``
gives the evaluation a schedule that fits the budget, since the files set none.
"""

import csv
import os
import re
import subprocess
import sys

import cv2
import pytest
from helpers import REPO, run_mpi

from arena.evaluation.schedule import CATALOG, EVAL_LOG, read_catalog
from arena.report.mosaic import LABEL_HEIGHT, TILE_GAP
from arena.storage.records import PolicyRecord

TUTORIAL = os.path.join(REPO, "docs", "tutorials", "02_atari.md")
EXAMPLE = os.path.join(REPO, "examples", "atari")
BUDGET = "5000000"


def tutorial_files() -> dict[str, str]:
    """Every ``<!-- file: NAME -->`` code block of tutorial 02, by NAME."""
    with open(TUTORIAL) as f:
        text = f.read()
    return dict(re.findall(r"<!-- file: (.+?) -->\n```python\n(.*?)```", text, flags=re.S))


def write_tutorial(folder, main_script: str, budget: int) -> None:
    """make_env.py, my_config.py and the tutorial's ``main_script`` block as my_main_script.py, at ``budget``."""
    blocks = tutorial_files()
    folder.mkdir()
    (folder / "make_env.py").write_text(blocks["make_env.py"])
    (folder / "my_config.py").write_text(blocks["my_config.py"])
    assert blocks[main_script].count(BUDGET) == 1
    (folder / "my_main_script.py").write_text(blocks[main_script].replace(BUDGET, str(budget)))


def test_examples_atari_holds_the_files_tutorial_02_quotes():
    blocks = tutorial_files()
    assert set(blocks) == {
        "make_env.py",
        "my_config.py",
        "my_main_script.py",
        "my_main_script.py (scale=False)",
        "my_main_script.py (render=True)",
    }
    for name in ("make_env.py", "my_config.py", "my_main_script.py"):
        with open(os.path.join(EXAMPLE, name)) as f:
            assert f.read() == blocks[name], name
    # The tutorial's seeding, as AI Arena wrote it: the child that evaluates runs this line too.
    assert "workerseed = MPI.COMM_WORLD.Get_rank()*10000" in blocks["make_env.py"]


def _eval_rows(log):
    with open(log / "policy_1" / EVAL_LOG) as f:
        return list(csv.DictReader(f))


def _assert_pong_run(log, steps, output):
    assert "evaluation is off" not in output, output
    record = PolicyRecord(1, str(log)).load()
    assert record.steps_done == steps and record.episodes
    for score, length in zip(record.ep_results, record.ep_lengths):
        assert -21 <= score <= 21 and score == int(score)  # true Pong scores of whole games
        assert length > 500  # a whole game, even a 21-0 loss, lasts hundreds of steps
    for name in ("records.csv", "curve_steps.png", "curve_episodes.png", "checkpoint.pt"):
        assert (log / "policy_1" / name).stat().st_size > 0, name
    assert (log / "all_policies.png").stat().st_size > 0
    rows = _eval_rows(log)
    assert rows and all(-21 <= float(r["mean"]) <= 21 and r["games"] == "1" for r in rows), rows
    assert all(int(r["frames"]) == 4 * int(r["step"]) for r in rows)
    full = [r for r in rows if r["type"] == "full"]
    catalog = read_catalog((log / "policy_1" / CATALOG).read_bytes())
    assert full and [e["step"] for e in catalog["entries"]] == [int(r["step"]) for r in full]
    assert (log / "policy_1" / catalog["entries"][-1]["video"]).stat().st_size > 10_000


@pytest.mark.timeout(600)
def test_the_tutorial_unscaled_on_three_ranks_then_evaluate(tmp_path):
    work = tmp_path / "tutorial"
    write_tutorial(work, "my_main_script.py (scale=False)", 1000)
    evaluation = '{"light_every": 2000, "full_every": 4000, "light_games": 1, "full_games": 1}'
    result = run_mpi(3, ["my_main_script.py"], cwd=str(work), timeout=420, env={"ARENA_EVALUATION": evaluation})
    assert not result.timed_out and result.returncode == 0, result.output
    assert len(re.findall(r"\n\d+\s+environment\s", result.output)) == 1
    log = work / "log_comms"
    _assert_pong_run(log, 1000, result.output)
    assert [(r["type"], r["step"]) for r in _eval_rows(log)][-1] == ("full", "1000")  # the run's last step
    played = subprocess.run(
        [sys.executable, "-m", "arena.evaluate", str(work), "--policy", "1", "--games", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert played.returncode == 0, played.stdout + played.stderr
    assert re.search(r"1 games: mean -?\d+\.\d+ std 0\.00 min -?\d+ max -?\d+", played.stdout)
    assert (log / "policy_1" / "eval_game.mp4").stat().st_size > 10_000


@pytest.mark.timeout(600)
def test_the_tutorial_scaled_and_rendered_on_fifteen_ranks(tmp_path):
    work = tmp_path / "tutorial"
    write_tutorial(work, "my_main_script.py (render=True)", 8400)  # 7 copies of 1,200 steps: a game or more each
    evaluation = '{"light_every": 12000, "full_every": 24000, "light_games": 1, "full_games": 1}'
    result = run_mpi(15, ["my_main_script.py"], cwd=str(work), timeout=540, env={"ARENA_EVALUATION": evaluation})
    assert not result.timed_out and result.returncode == 0, result.output
    assert "scaling: 7 copies" in result.output
    log = work / "log_comms"
    _assert_pong_run(log, 8400, result.output)
    assert len(PolicyRecord(1, str(log)).load().episodes) >= 5
    mosaic = cv2.imread(str(log / "render" / "mosaic.png"))
    assert mosaic.shape[:2] == (3 * (210 + LABEL_HEIGHT + TILE_GAP) - TILE_GAP, 3 * (160 + TILE_GAP) - TILE_GAP)
    tiles = [
        mosaic[r * 230 + LABEL_HEIGHT : r * 230 + 228, c * 162 : c * 162 + 160] for r in range(3) for c in range(3)
    ]
    assert [tile.max() > 0 for tile in tiles] == [True] * 7 + [False] * 2  # one Pong per copy
    assert (log / "render" / "round_0.mp4").stat().st_size > 10_000
