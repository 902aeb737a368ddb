"""Does a long record slow a policy down? Touchdown PPO with an empty record and with 100k episodes, side by side.

    python benchmarks/record_overhead.py               # 2 runs of each, alternating (about 6 minutes on 2 cores)
    python benchmarks/record_overhead.py --quick       # tiny runs (CI): checks the script only

Policy 1 (PPO) plays random at Touchdown, ``mpiexec -n 4``. One log folder starts
empty; the other starts with a record of ``--episodes`` finished episodes for
policy 1. Its root worker receives the record at round start, and rank 0 redraws
its curves (100k episodes each time) once a minute in a thread of its own. Runs
last over a minute so that every run redraws at least once. Prints each run's
steady steps/s (the environment rank's rate after the round's first tenth: the
policy learning) and its round rate (all steps over the round's wall time, which
also counts sending the record at start), the medians and their ratios. Never
used to assert anything.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
from helpers import run_mpi  # noqa: E402

MATCH = os.path.join(HERE, "touchdown_match.py")
ROUND_LINE = re.compile(r"round 0 done: [\d,]+ environment steps in [\d.]+ s \(([\d,]+) steps/s\)")
STEADY_LINE = re.compile(r"steady: ([\d.]+) steps/s")


def write_long_record(log_dir: str, episodes: int) -> None:
    """Policy 1's folder with ``episodes`` finished episodes, as a finished earlier run leaves it."""
    from arena.storage.records import Episode, PolicyRecord

    rng = np.random.default_rng(0)
    record = PolicyRecord(1, log_dir)
    returns = rng.choice([-1.0, 0.0, 1.0], size=episodes)
    record.episodes = [Episode(i, float(returns[i]), 50, 50 * (i + 1), 0.0) for i in range(episodes)]
    record.steps_done = 50 * episodes
    record.save()


def one_run(steps: int, episodes: int) -> tuple[float, float]:
    """Steady and round steps per second, in a fresh log folder holding ``episodes`` earlier episodes."""
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "logs")
        if episodes:
            write_long_record(log, episodes)
        result = run_mpi(4, [MATCH, "ppo", str(steps), log], timeout=900, env={"OMP_NUM_THREADS": "1"})
        found, steady = ROUND_LINE.search(result.output), STEADY_LINE.search(result.output)
        if result.returncode != 0 or not found or not steady:
            raise RuntimeError(f"run failed:\n{result.output[-3000:]}")
        return float(steady.group(1)), float(found.group(1).replace(",", ""))


def main() -> None:
    """Alternate empty and long records; print each run, the medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30_000, help="environment steps per run")
    parser.add_argument("--episodes", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    steps, episodes, repeats = (400, 1000, 1) if args.quick else (args.steps, args.episodes, args.repeats)
    rates: dict[int, list[tuple[float, float]]] = {0: [], episodes: []}
    for i in range(repeats):
        for n in (0, episodes):
            rates[n].append(one_run(steps, n))
            steady, whole = rates[n][-1]
            print(f"run {i + 1}/{repeats}, {n:,} episodes: {steady:,.0f} steady, {whole:,.0f} round", flush=True)
    empty, long = np.median(rates[0], axis=0), np.median(rates[episodes], axis=0)
    print(f"\nTouchdown PPO v random, -n 4, {steps:,} steps per run, medians of {repeats} (steps/s):")
    print("| record at start | steady | round |\n| --- | --- | --- |")
    print(f"| empty | {empty[0]:,.0f} | {empty[1]:,.0f} |\n| {episodes:,} episodes | {long[0]:,.0f} | {long[1]:,.0f} |")
    print(f"ratio long / empty: steady {long[0] / empty[0]:.2f}, round {long[1] / empty[1]:.2f}")


if __name__ == "__main__":
    main()
