"""benchmarks/learning_report.py: rows and curves accumulate once each, the table marks misses, the mean is drawn."""

import csv
import json
import os
import re
import sys

from helpers import REPO

sys.path.insert(0, os.path.join(REPO, "benchmarks"))
import learning  # noqa: E402 - a script folder, not a package
import learning_report  # noqa: E402
import recipes  # noqa: E402


def fake_run(out, seed: int, reached: bool, settings: dict) -> None:
    """A learning.py --out folder for one pong-ppo-cpu run: its row and its curve."""
    os.makedirs(out, exist_ok=True)
    frames = [400_000 * (i + 1) for i in range(30)]
    scores = [-21 + (39 if reached else 10) * i / 29 for i in range(30)]
    row = {c: "" for c in learning.COLUMNS}
    row |= {"recipe": "pong-ppo-cpu", "settings": json.dumps(settings, sort_keys=True), "seed": seed}
    row |= {"frames_to_target": 11_600_000 if reached else "", "minutes_to_target": "90.0" if reached else ""}
    row |= {"final_mean": scores[-1], "wall_s": 100 + seed, "steps_per_s": 260, "cores": 2, "device": "cpu"}
    row |= {"commit": "abc1234"}
    with open(os.path.join(out, "learning.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=learning.COLUMNS)
        writer.writeheader()
        writer.writerow(row)
    with open(os.path.join(out, f"curve_pong-ppo-cpu_seed{seed}.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(learning.CURVE_COLUMNS)
        writer.writerows((fr, 3.0 * i, s) for i, (fr, s) in enumerate(zip(frames, scores)))


def test_add_draw_and_table(tmp_path):
    final = learning_report.recipe_settings("pong-ppo-cpu")
    fake_run(tmp_path / "a", 1, True, final)
    fake_run(tmp_path / "b", 2, False, final)
    fake_run(tmp_path / "c", 3, True, final | {"copies": 4})  # a tuning run: in the table, not in the mean
    results = str(tmp_path / "results")
    learning_report.add([str(tmp_path / d) for d in "abc"], results)
    learning_report.add([str(tmp_path / "a")], results)  # again: nothing new
    rows = learning_report.read_rows(os.path.join(results, "learning.csv"))
    assert [r["seed"] for r in rows] == ["1", "2", "3"]
    assert len(os.listdir(os.path.join(results, "curves"))) == 3
    assert [r["seed"] for r in learning_report.final_rows("pong-ppo-cpu", results)] == ["1", "2"]
    lines = learning_report.table(results).splitlines()
    assert "| pong-ppo-cpu | 1 | 11.60M | 90.0 |" in lines[2]
    assert "| pong-ppo-cpu | 2 | missed | - |" in lines[3]
    assert lines[4].startswith("| pong-ppo-cpu (earlier settings) | 3 |")
    written = learning_report.draw(results, str(tmp_path))
    assert written == [str(tmp_path / "learning_pong-ppo-cpu.png")]
    assert os.path.getsize(written[0]) > 10_000


def test_tutorial_02_quotes_the_files_that_run_the_cpu_recipe():
    with open(os.path.join(REPO, "docs", "tutorials", "02_atari.md")) as f:
        blocks = dict(re.findall(r"<!-- recipe file: (.+?) -->\n```python\n(.*?)```", f.read(), flags=re.S))
    r = recipes.RECIPES["pong-ppo-cpu"]
    title = "pong-ppo-cpu, seed 1: ppo learns Pong"  # as benchmarks/learning.py titles the run
    main = recipes.main_script_source(title, r.ranks, r.policy, r.kwargs, r.copies, r.frames // 4, 1)
    assert blocks == {"make_env.py": recipes.make_env_source(r.game), "my_main_script.py": main}
