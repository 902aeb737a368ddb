"""How fast does a policy learn an Atari game through the arena? Frames and minutes to a target score, and the curve.

    python benchmarks/learning.py --recipe pong-ppo-cpu --seed 1 --out DIR   # a named recipe (below)
    python benchmarks/learning.py --recipe pong-ppo-cpu --quick --out DIR    # tiny budget, 1 epoch (CI): a check
    python benchmarks/learning.py --ranks 9 --copies 16 --frames 4000000 --kwargs '{"learning_rate": 5e-4}'
    python benchmarks/learning.py --recipe pong-ppo-cpu --seed 1 --out DIR --resume   # finish a stopped run

One run writes a user's two files, ``make_env.py`` and ``my_main_script.py`` (``recipes.py``),
and runs them under ``mpiexec -n RANKS``: the match ``[[1]]`` copied to fill the ranks
(``scale=True``), K copies per environment rank, so (RANKS - 1) / 2 workers of one policy
average their gradients. Learners take the host's GPUs in turn (``arena.plan.placement``).
A recipe (``recipes.py``) is a complete setting; without ``--recipe`` the flags make a custom one.

It reads the run's records (true scores of whole games) and writes, into ``--out``:
  - ``learning.csv``, one row per run (appended; see COLUMNS): the recipe and its settings as
    JSON, the seed, frames played, frames and wall-clock minutes to the target (empty if never
    reached), the final mean, wall time, agent steps per second, cores, device and commit;
  - ``curve_<recipe>_seed<S>.csv``: every finished game's frames, minutes and true score;
  - ``learning_<recipe>_seed<S>.png``: the true score against frames and against minutes;
  - ``run_<recipe>_seed<S>/``: the two files that ran, their ``log_comms/`` (records,
    checkpoint, TensorBoard), and ``segments.json``: when the job ran.
A run stopped before its end (Ctrl+C, a lost machine) is finished with ``--resume``: the arena
resumes the round from the last checkpoint, and wall time and minutes count only the time the
job ran, not the gap between its runs.
``benchmarks/learning_report.py add OUT`` then appends the row and the curve to
``benchmarks/results/`` and redraws the diagrams.
It prints the row as a table. Never used to assert anything.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import numpy as np

from arena.storage.files import atomic_path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from recipes import FRAMES_PER_STEP, QUICK_KWARGS, RECIPES, run_command, settings_of, write_scripts  # noqa: E402 - a script folder, not a package

HERE = os.path.dirname(os.path.abspath(__file__))
SEGMENTS_FILE = "segments.json"  # in run_<recipe>_seed<S>/: [start, end] (epoch seconds) of each time the job ran
CURVE_COLUMNS = ("frames", "minutes", "score")  # one row per finished game, in curve_<recipe>_seed<S>.csv
COLUMNS = (
    "recipe", "settings", "policy", "game", "seed", "frames", "frames_to_target", "minutes_to_target",
    "target", "window", "final_mean", "wall_s", "steps_per_s", "cores", "device", "commit", "gpu_util_pct",
)  # fmt: skip


class GpuSampler:
    """Samples ``nvidia-smi``'s GPU utilisation once a second in a thread; nothing without nvidia-smi."""

    def __init__(self):
        self.tool = shutil.which("nvidia-smi")
        self.samples: list[float] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True) if self.tool else None

    def __enter__(self) -> GpuSampler:
        if self.thread is not None:
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        if self.thread is not None:
            self.thread.join()

    def _sample(self) -> None:
        query = [self.tool, "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits"]
        while not self.stopped.wait(1.0):
            try:
                out = subprocess.run(query, capture_output=True, text=True, timeout=5).stdout
                self.samples.append(float(np.mean([float(x) for x in out.split()])))
            except (subprocess.SubprocessError, ValueError):
                continue

    def mean(self) -> float | None:
        """The mean utilisation over every sample and GPU, or None."""
        return float(np.mean(self.samples)) if self.samples else None


def frames_to_target(frames: np.ndarray, scores: np.ndarray, target: float, window: int) -> int | None:
    """The frame count at the first game where the mean of the last ``window`` games reaches ``target``."""
    for i in range(window - 1, len(scores)):
        if scores[i - window + 1 : i + 1].mean() >= target:
            return int(frames[i])
    return None


def read_segments(folder: str) -> list[list[float]]:
    """When the run's job ran so far: [start, end] pairs in epoch seconds ([] for a new run)."""
    try:
        with open(os.path.join(folder, SEGMENTS_FILE)) as f:
            return json.load(f)
    except FileNotFoundError:
        return []


def write_segments(folder: str, segments: list[list[float]]) -> None:
    """Replace ``segments.json`` in one step, so a lost machine leaves the last good one."""
    with atomic_path(os.path.join(folder, SEGMENTS_FILE)) as tmp, open(tmp, "w") as f:
        json.dump(segments, f)


def active_seconds(segments: list[list[float]]) -> float:
    """How long the job has run, over all its runs."""
    return sum(end - start for start, end in segments)


def active_minutes(times: np.ndarray, segments: list[list[float]]) -> np.ndarray:
    """Minutes the job had run at each time: the gap between a stopped run and its resumption does not count."""
    total = np.zeros(len(times))
    for start, end in segments:
        total += np.clip(np.minimum(times, end) - start, 0.0, None)
    return total / 60.0


def run_once(args: argparse.Namespace, folder: str) -> tuple[list[list[float]], int, str]:
    """Write the run's two files into ``folder`` (unless resuming) and run them: segments, exit code, why it ended.

    A thread reads the run's records from ``folder/log_comms`` every ``--watch-every`` seconds,
    keeps ``segments.json`` current, and asks the job to stop (SIGINT: every policy saves, then
    the job ends) once the target is reached or the recipe's minutes are spent, unless ``--full``
    plays the whole frame budget.
    """
    if not args.resume:
        title = f"{args.recipe or 'A custom setting'}, seed {args.seed}: {args.policy} learns {args.game}"
        kwargs, steps = json.loads(args.kwargs), args.frames // FRAMES_PER_STEP
        write_scripts(folder, title, args.game, args.ranks, args.policy, kwargs, args.copies, steps, args.seed)
    segments = read_segments(folder) + [[time.time(), time.time()]]
    write_segments(folder, segments)
    job = subprocess.Popen(run_command(args.ranks), cwd=folder, env={**os.environ, "OMP_NUM_THREADS": "1"})
    ended = threading.Event()
    why = ["the frame budget"]
    watcher = threading.Thread(target=watch, args=(args, folder, job, ended, segments, why), daemon=True)
    watcher.start()
    code = job.wait()
    ended.set()
    watcher.join()
    segments[-1][1] = time.time()
    write_segments(folder, segments)
    return segments, code, why[0]


def watch(
    args: argparse.Namespace, folder: str, job: subprocess.Popen, ended: threading.Event, segments: list, why: list
) -> None:
    """Every ``--watch-every`` seconds: note the time in ``segments.json``; stop the job at the target or time limit."""
    from arena.storage.records import PolicyRecord

    log_dir = os.path.join(folder, "log_comms")
    while not ended.wait(args.watch_every):
        segments[-1][1] = time.time()
        write_segments(folder, segments)
        if args.full:
            continue
        if active_seconds(segments) / 60.0 > args.minutes:
            why[0] = f"the time limit ({args.minutes:g} minutes)"
        else:
            try:
                episodes = PolicyRecord(1, log_dir).load().episodes
            except (OSError, ValueError):
                continue  # not written yet, or caught mid-write
            scores = np.array([e.ret for e in episodes])
            frames = np.array([e.steps * FRAMES_PER_STEP for e in episodes], dtype=np.int64)
            if frames_to_target(frames, scores, args.target, args.window) is None:
                continue
            why[0] = "the target"
        print(f"learning.py: stopping the run at {why[0]}", flush=True)
        job.send_signal(signal.SIGINT)
        return


def plot(frames: np.ndarray, minutes: np.ndarray, scores: np.ndarray, window: int, title: str, path: str) -> None:
    """True score against frames and against wall-clock minutes, raw and as a rolling mean."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from arena.report.plots import rolling_mean

    fig = Figure(figsize=(11, 4), dpi=100)
    FigureCanvasAgg(fig)
    for i, (xs, label) in enumerate(((frames / 1e6, "frames (millions)"), (minutes, "minutes of wall clock"))):
        ax = fig.add_subplot(1, 2, i + 1)
        ax.plot(xs, scores, alpha=0.25, color="C0")
        ax.plot(xs, rolling_mean(scores, window), color="C0", label=f"mean of the last {window} games")
        ax.set_xlabel(label)
        ax.set_ylabel("true game score")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path)


def this_commit() -> str:
    """The repository's commit, with "-dirty" when the tree has changes."""

    def git(*a: str) -> str:
        return subprocess.run(["git", *a], cwd=HERE, capture_output=True, text=True).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("-dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def parse_args() -> argparse.Namespace:
    """The flags; a recipe fills policy, game, ranks, copies, kwargs, frames, target and window."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipe", choices=sorted(RECIPES), help="a named setting (the flags below then are ignored)")
    parser.add_argument("--policy", default="ppo")
    parser.add_argument("--game", default="Pong")
    parser.add_argument("--frames", type=int, default=10_000_000)
    parser.add_argument("--ranks", type=int, default=17)
    parser.add_argument("--copies", type=int, default=8, help="copies per environment rank")
    parser.add_argument("--kwargs", default="{}", help="the policy's keyword arguments, as JSON")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--target", type=float, default=18.0)
    parser.add_argument("--window", type=int, default=20)
    parser.add_argument("--out", default="learning_results")
    parser.add_argument("--quick", action="store_true", help="tiny budget, PPO at 1 epoch (CI)")
    parser.add_argument("--minutes", type=float, default=120.0, help="stop the run after this wall-clock time")
    parser.add_argument("--full", action="store_true", help="play the whole frame budget (no stop at the target)")
    parser.add_argument("--watch-every", type=float, default=60.0, help="seconds between looks at the records")
    parser.add_argument("--resume", action="store_true", help="finish a stopped run of this recipe and seed in --out")
    args = parser.parse_args()
    if args.recipe:
        r = RECIPES[args.recipe]
        args.policy, args.game, args.ranks, args.copies, args.frames = r.policy, r.game, r.ranks, r.copies, r.frames
        args.kwargs, args.target, args.window, args.minutes = json.dumps(r.kwargs), r.target, r.window, r.minutes
    if args.quick:  # 1,024 steps a copy on 3 ranks: a lost game of Pong or more each
        args.ranks = min(args.ranks, 3)
        args.frames = FRAMES_PER_STEP * 1024 * args.copies
        args.kwargs = json.dumps({**json.loads(args.kwargs), **QUICK_KWARGS.get(args.policy, {})})
    return args


def result_row(
    args: argparse.Namespace, record: object, segments: list[list[float]], gpu: GpuSampler, commit: str
) -> tuple[dict, tuple]:
    """The CSV row of a finished run, and its curve's (frames, minutes, scores)."""
    episodes = record.episodes
    frames = np.array([e.steps * FRAMES_PER_STEP for e in episodes], dtype=np.int64)
    scores = np.array([e.ret for e in episodes])
    minutes = active_minutes(np.array([e.time for e in episodes]), segments)
    wall = active_seconds(segments)
    reached = frames_to_target(frames, scores, args.target, args.window)
    at = int(np.searchsorted(frames, reached)) if reached is not None else None
    settings = settings_of(args.policy, args.game, args.ranks, args.copies, json.loads(args.kwargs), args.frames)
    row = {
        "recipe": (args.recipe or "custom") + ("-quick" if args.quick else ""),
        "settings": json.dumps(settings, sort_keys=True),
        "policy": args.policy,
        "game": args.game,
        "seed": args.seed,
        "frames": record.steps_done * FRAMES_PER_STEP,
        "frames_to_target": "" if reached is None else reached,
        "minutes_to_target": "" if at is None else f"{minutes[at]:.1f}",
        "target": args.target,
        "window": args.window,
        "final_mean": f"{scores[-args.window :].mean():.2f}" if len(scores) else "",
        "wall_s": f"{wall:.0f}",
        "steps_per_s": f"{record.steps_done / wall:.0f}",
        "cores": len(os.sched_getaffinity(0)),
        "device": "gpu" if gpu.tool else "cpu",
        "commit": commit,
        "gpu_util_pct": "" if gpu.mean() is None else f"{gpu.mean():.0f}",
    }
    return row, (frames, minutes, scores)


def main() -> None:
    """Run once, then write the row, the table and the curve."""
    args = parse_args()
    os.makedirs(args.out, exist_ok=True)
    name = f"{args.recipe or 'custom'}{'-quick' if args.quick else ''}_seed{args.seed}"
    folder = os.path.join(args.out, f"run_{name}")  # kept: the two files, and log_comms/ with the records
    if os.path.exists(folder) and not args.resume:
        sys.exit(f"{folder} exists: a run of this recipe and seed is there already; --resume finishes it")
    if args.resume and not os.path.exists(os.path.join(folder, "my_main_script.py")):
        sys.exit(f"--resume: {folder} holds no run to finish")
    commit = this_commit()  # the code that runs, whatever the tree holds when the run ends
    with GpuSampler() as gpu:
        segments, code, why = run_once(args, folder)
    if code != 0 and why == "the frame budget":  # a stop we asked for ends with the signal's code
        sys.exit(f"the arena run failed with exit code {code}")
    from arena.storage.records import PolicyRecord

    record = PolicyRecord(1, os.path.join(folder, "log_comms")).load()
    row, (frames, minutes, scores) = result_row(args, record, segments, gpu, commit)
    runs = f" over {len(segments)} runs of the job" if len(segments) > 1 else ""
    print(f"learning.py: the run ended at {why} after {float(row['wall_s']) / 60:.1f} minutes{runs}")
    table = os.path.join(args.out, "learning.csv")
    fresh = not os.path.exists(table)
    with open(table, "a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        if fresh:
            writer.writeheader()
        writer.writerow(row)
    with open(os.path.join(args.out, f"curve_{name}.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CURVE_COLUMNS)
        writer.writerows(zip(frames.tolist(), np.round(minutes, 3).tolist(), scores.tolist()))
    if len(scores):
        title = (
            f"{row['recipe']}, seed {args.seed}: {args.policy} on {args.game}, -n {args.ranks}, {args.copies} copies"
        )
        plot(frames, minutes, scores, args.window, title, os.path.join(args.out, f"learning_{name}.png"))
    print("\n| " + " | ".join(COLUMNS) + " |\n|" + " --- |" * len(COLUMNS))
    print("| " + " | ".join(str(row[c]) for c in COLUMNS) + " |")


if __name__ == "__main__":
    main()
