"""Waits that fit the cores, side by side: the tutorial's one-copy Pong at ``-n 3``.

    python benchmarks/waits.py                 # PPO, 3 runs of each kind, alternating (about 4 minutes)
    python benchmarks/waits.py --quick         # one tiny run of each (CI): checks the script only

With ``-n 3`` on 2 cores, rank 0 idles and the environment rank and the worker have
a core each, so the arena lets their per-step waits poll without sleeping. The
same runs with ``ARENA_WAITS=sleep`` wait as on an oversubscribed host (sleep
with back-off; before the arena knew the cores, 50 yields came first). Speeds are the environment rank's steady
agent steps per second; the ratio divides the medians. Never used to assert anything.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from throughput import arena_run  # noqa: E402


def main() -> None:
    """Alternate the two wait modes and print the medians and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policy", default="ppo")
    parser.add_argument("--steps", type=int, default=6000, help="agent steps per run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    steps, repeats = (300, 1) if args.quick else (args.steps, args.repeats)
    speeds: dict[str, list[float]] = {"sleep": [], "auto": []}
    for i in range(repeats):
        for mode in ("sleep", "auto"):
            env = {"ARENA_WAITS": mode, "OMP_NUM_THREADS": "1"}
            rate = arena_run(args.policy, 3, steps, 1, env=env, scale=False)["steps_per_s"]
            speeds[mode].append(rate)
            print(f"run {i + 1}/{repeats}, ARENA_WAITS={mode}: {rate:,.0f} steps/s", flush=True)
    sleep, auto = float(np.median(speeds["sleep"])), float(np.median(speeds["auto"]))
    print(f"\none-copy Pong, {args.policy}, -n 3, {steps:,} steps per run, medians of {repeats}:")
    print("| waits | steps/s |\n| --- | --- |")
    print(f"| sleep (back-off) | {sleep:,.0f} |\n| auto (poll: a core per working rank) | {auto:,.0f} |")
    print(f"ratio auto / sleep: {auto / sleep:.2f}")


if __name__ == "__main__":
    main()
