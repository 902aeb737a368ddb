"""What render=True costs: Pong at -n 15 (7 copies), render off and on, alternated, side by side.

Usage: python benchmarks/render_overhead.py [--policy random|ppo] [--steps-per-copy N] [--repeats R]
Prints each run, the medians and the ratio on/off; the target is at least 0.8.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from helpers import run_mpi  # noqa: E402

MATCH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pong_match.py")


def run_once(policy: str, ranks: int, total_steps: int, render: bool) -> tuple[float, int]:
    """One run in a scratch folder: the root's round rate, and the mosaic frames written."""
    with tempfile.TemporaryDirectory() as tmp:
        result = run_mpi(ranks, [MATCH, policy, str(total_steps), tmp] + (["--render"] if render else []), timeout=600)
    if result.returncode != 0:
        raise RuntimeError(result.output)
    rate = float(re.search(r"round 0 done: .* \(([\d,]+) steps/s\)", result.output).group(1).replace(",", ""))
    frames = re.search(r"render: (\d+) mosaic frames", result.output)
    return rate, int(frames.group(1)) if frames else 0


def main() -> None:
    """Alternate off and on so drift in the machine hits both alike."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--policy", default="random")
    parser.add_argument("--ranks", type=int, default=15)
    parser.add_argument("--steps-per-copy", type=int, default=4_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    copies = (args.ranks - 1) // 2
    rates: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(args.repeats):
        for render in (False, True):
            rate, frames = run_once(args.policy, args.ranks, args.steps_per_copy * copies, render)
            rates[render].append(rate)
            shown = f", {frames} mosaic frames" if render else ""
            print(f"render={render!s:5}: {rate:8,.0f} steps/s{shown}", flush=True)
    off, on = statistics.median(rates[False]), statistics.median(rates[True])
    print(
        f"{args.policy}, -n {args.ranks} ({copies} copies): median off {off:,.0f}  on {on:,.0f}  ratio {on / off:.2f}"
    )


if __name__ == "__main__":
    main()
