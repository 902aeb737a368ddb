"""The committed learning results: add a finished run, draw the curves, print the table the docs show.

    python benchmarks/learning_report.py add OUT [OUT ...]   # append OUT's rows and curves to benchmarks/results/
    python benchmarks/learning_report.py draw                # docs/diagrams/learning_<recipe>_*.png from the results
    python benchmarks/learning_report.py table               # the markdown table of every recorded run

``benchmarks/results/learning.csv`` holds one row per run (``learning.py``'s columns), hit or
miss, appended and never edited; ``benchmarks/results/curves/<recipe>_seed<S>_<commit>.csv``
holds that run's curve (every finished game's frames, minutes and true score). A recipe's
*final* runs are those whose settings equal the recipe's settings today: tuning runs stay in
the table, but only final runs make the mean curve.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from learning import COLUMNS  # noqa: E402 - a script folder, not a package
from recipes import RECIPES, settings_of  # noqa: E402

RESULTS = os.path.join(HERE, "results")
DIAGRAMS = os.path.join(os.path.dirname(HERE), "docs", "diagrams")


def read_rows(path: str) -> list[dict]:
    """Every row of a learning table, oldest first; none when the file is absent."""
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def curve_name(row: dict) -> str:
    """The file name of a run's curve in ``benchmarks/results/curves``."""
    return f"{row['recipe']}_seed{row['seed']}_{row['commit']}.csv"


def read_curve(path: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(frames, minutes, scores)`` of one run."""
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    return data[:, 0], data[:, 1], data[:, 2]


def add(outs: list[str], results: str = RESULTS) -> None:
    """Append each OUT's rows (once) to the results' table and copy their curves beside it."""
    table_path, curves = os.path.join(results, "learning.csv"), os.path.join(results, "curves")
    os.makedirs(curves, exist_ok=True)
    known = {(r["recipe"], r["seed"], r["commit"], r["wall_s"]) for r in read_rows(table_path)}
    for out in outs:
        for row in read_rows(os.path.join(out, "learning.csv")):
            if (row["recipe"], row["seed"], row["commit"], row["wall_s"]) in known:
                continue
            source = os.path.join(out, f"curve_{row['recipe']}_seed{row['seed']}.csv")
            if not os.path.exists(source):
                sys.exit(f"{source} is missing: every committed row keeps its curve")
            shutil.copyfile(source, os.path.join(curves, curve_name(row)))
            fresh = not os.path.exists(table_path)
            with open(table_path, "a", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=COLUMNS)
                if fresh:
                    writer.writeheader()
                writer.writerow({c: row.get(c, "") for c in COLUMNS})
            known.add((row["recipe"], row["seed"], row["commit"], row["wall_s"]))
            print(f"added {row['recipe']} seed {row['seed']} ({row['commit']}): final mean {row['final_mean']}")


def recipe_settings(name: str) -> dict:
    """The settings JSON ``learning.py`` writes for a recipe as it stands today."""
    r = RECIPES[name]
    return settings_of(r.policy, r.game, r.ranks, r.copies, r.kwargs, r.frames)


def final_rows(name: str, results: str) -> list[dict]:
    """The recorded runs of a recipe at its settings today."""
    want = recipe_settings(name)
    rows = read_rows(os.path.join(results, "learning.csv"))
    return [r for r in rows if r["recipe"] == name and json.loads(r["settings"]) == want]


def draw(results: str = RESULTS, diagrams: str = DIAGRAMS, window: int = 20) -> list[str]:
    """Each final run's curve, and the mean over seeds, against frames and minutes; the files written."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from arena.report.plots import rolling_mean

    written = []
    for name in sorted(RECIPES):
        rows = final_rows(name, results)
        if not rows:
            continue
        fig = Figure(figsize=(11, 4), dpi=100)
        FigureCanvasAgg(fig)
        axes = [fig.add_subplot(1, 2, i + 1) for i in range(2)]
        grids = (np.linspace(0, RECIPES[name].frames, 201), np.linspace(0, RECIPES[name].minutes, 201))
        means: list[list[np.ndarray]] = [[], []]
        for i, row in enumerate(rows):
            frames, minutes, scores = read_curve(os.path.join(results, "curves", curve_name(row)))
            smooth = rolling_mean(scores, window)
            for k, (ax, xs) in enumerate(zip(axes, (frames, minutes))):
                label = f"seed {row['seed']}" + ("" if row["frames_to_target"] else " (missed)")
                ax.plot(xs / 1e6 if k == 0 else xs, smooth, color=f"C{i}", alpha=0.6, lw=1, label=label)
                means[k].append(np.interp(grids[k], xs, smooth, left=np.nan, right=np.nan))
        for k, ax in enumerate(axes):
            runs = np.array(means[k])
            covered = ~np.isnan(runs).any(axis=0)  # where every seed has games
            xs = grids[k] / 1e6 if k == 0 else grids[k]
            # Runs stop at the target, so the mean ends where the first seed stopped.
            label = f"mean of {len(rows)} seed(s)" + (", until the first stopped" if len(rows) > 1 else "")
            ax.plot(xs[covered], runs[:, covered].mean(axis=0), color="black", lw=2, label=label)
            ax.axhline(RECIPES[name].target, color="grey", ls="--", lw=1)
            ax.set_xlabel("frames (millions)" if k == 0 else "minutes of wall clock")
            ax.set_ylabel(f"true score, mean of the last {window} games")
            ax.grid(alpha=0.3)
            ax.legend(loc="lower right", fontsize=8)
        fig.suptitle(f"{name}: {RECIPES[name].policy} on {RECIPES[name].game}, final settings")
        fig.tight_layout()
        path = os.path.join(diagrams, f"learning_{name}.png")
        fig.savefig(path)
        written.append(path)
    return written


def table(results: str = RESULTS) -> str:
    """Every recorded run as a markdown table (the README's and docs/performance.md's "Learning speed")."""
    head = ("recipe", "seed", "frames to +18", "minutes to +18", "final mean", "steps/s", "cores", "device", "commit")
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for r in read_rows(os.path.join(results, "learning.csv")):
        final = json.loads(r["settings"]) == recipe_settings(r["recipe"]) if r["recipe"] in RECIPES else False
        frames = f"{int(r['frames_to_target']) / 1e6:.2f}M" if r["frames_to_target"] else "missed"
        name = r["recipe"] + ("" if final else " (earlier settings)")
        cells = (name, r["seed"], frames, r["minutes_to_target"] or "-", r["final_mean"], r["steps_per_s"])
        lines.append("| " + " | ".join((*cells, r["cores"], r["device"], r["commit"])) + " |")
    return "\n".join(lines)


def main() -> None:
    """``add``, ``draw`` or ``table``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("add", "draw", "table"))
    parser.add_argument("outs", nargs="*", help="learning.py --out folders (for add)")
    parser.add_argument("--results", default=RESULTS, help="the committed results folder")
    parser.add_argument("--diagrams", default=DIAGRAMS, help="where draw writes its pictures")
    args = parser.parse_args()
    if args.action == "add":
        add(args.outs, args.results)
    elif args.action == "draw":
        for path in draw(args.results, args.diagrams):
            print(f"wrote {path}")
    else:
        print(table(args.results))


if __name__ == "__main__":
    main()
