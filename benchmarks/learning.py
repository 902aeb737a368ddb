"""How fast does a policy learn an Atari game through the arena? Frames to a target score, and the curve.

    python benchmarks/learning.py                                  # PPO on Pong, 10M frames, -n 17, K=8
    python benchmarks/learning.py --ranks 9 --copies 16 --frames 4000000 --kwargs '{"learning_rate": 5e-4}'
    python benchmarks/learning.py --quick                          # tiny budget (CI): checks the script only

One run of ``learning_match.py`` under ``mpiexec -n RANKS``: the match ``[[1]]`` copied to fill
the ranks (``scale=True``), K copies per environment rank, so (RANKS - 1) / 2 workers of one
policy average their gradients. Learners take the host's GPUs in turn (``arena.core.placement``).
It reads the run's records (true scores of whole games) and writes, into ``--out``:
  - ``learning.csv``, one row per run (appended): policy, game, frames, ranks, copies, kwargs,
    frames to the target (the first game at which the mean of the last ``--window`` games reaches
    ``--target``; empty if never), the final mean, wall time, agent steps per second, and the GPU
    utilisation (mean of ``nvidia-smi`` samples each second; empty without a GPU);
  - ``learning_<game>.png``: the true score against frames and against minutes.
It prints the row as a table. Never used to assert anything.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MATCH = os.path.join(HERE, "learning_match.py")
FRAMES_PER_STEP = 4
COLUMNS = (
    "policy", "game", "frames", "ranks", "copies", "kwargs", "frames_to_target", "target",
    "final_mean", "window", "wall_s", "steps_per_s", "gpu_util_pct",
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


def run_once(args: argparse.Namespace, log_dir: str) -> tuple[float, int]:
    """The arena run: its wall time and exit code (its output goes to ours)."""
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    steps = args.frames // FRAMES_PER_STEP
    cmd = [mpiexec if os.path.exists(mpiexec) else "mpiexec", "-n", str(args.ranks), sys.executable, MATCH]
    cmd += [args.policy, args.game, str(steps), log_dir, "--copies", str(args.copies), "--seed", str(args.seed)]
    cmd += ["--kwargs", args.kwargs]
    start = time.perf_counter()
    code = subprocess.run(cmd, env={**os.environ, "OMP_NUM_THREADS": "1"}).returncode
    return time.perf_counter() - start, code


def plot(frames: np.ndarray, minutes: np.ndarray, scores: np.ndarray, window: int, title: str, path: str) -> None:
    """True score against frames and against wall-clock minutes, raw and as a rolling mean."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from arena.plots import rolling_mean

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


def main() -> None:
    """Run once, then write the row, the table and the curve."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
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
    parser.add_argument("--quick", action="store_true", help="tiny budget, for CI: checks the script only")
    args = parser.parse_args()
    if args.quick:
        args.frames, args.ranks, args.copies, args.kwargs = 16_000, 3, 4, '{"n_steps": 32}'
    os.makedirs(args.out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, GpuSampler() as gpu:
        log_dir = os.path.join(tmp, "logs")
        wall, code = run_once(args, log_dir)
        if code != 0:
            sys.exit(f"the arena run failed with exit code {code}")
        from arena.records import PolicyRecord

        record = PolicyRecord(1, log_dir).load()
    episodes = record.episodes
    frames = np.array([e.steps * FRAMES_PER_STEP for e in episodes], dtype=np.int64)
    scores = np.array([e.ret for e in episodes])
    minutes = (np.array([e.time for e in episodes]) - (time.time() - wall)) / 60.0 if episodes else np.array([])
    reached = frames_to_target(frames, scores, args.target, args.window)
    row = {
        "policy": args.policy,
        "game": args.game,
        "frames": record.steps_done * FRAMES_PER_STEP,
        "ranks": args.ranks,
        "copies": args.copies,
        "kwargs": args.kwargs,
        "frames_to_target": "" if reached is None else reached,
        "target": args.target,
        "final_mean": f"{scores[-args.window :].mean():.2f}" if len(scores) else "",
        "window": args.window,
        "wall_s": f"{wall:.0f}",
        "steps_per_s": f"{record.steps_done / wall:.0f}",
        "gpu_util_pct": "" if gpu.mean() is None else f"{gpu.mean():.0f}",
    }
    table = os.path.join(args.out, "learning.csv")
    fresh = not os.path.exists(table)
    with open(table, "a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        if fresh:
            writer.writeheader()
        writer.writerow(row)
    if len(scores):
        title = f"{args.policy} on {args.game}: -n {args.ranks}, {args.copies} copies per environment rank"
        plot(frames, minutes, scores, args.window, title, os.path.join(args.out, f"learning_{args.game}.png"))
    print("\n| " + " | ".join(COLUMNS) + " |\n|" + " --- |" * len(COLUMNS))
    print("| " + " | ".join(str(row[c]) for c in COLUMNS) + " |")


if __name__ == "__main__":
    main()
