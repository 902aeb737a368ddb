"""Total steps/s of Touchdown at -n 7 (2 copies) and -n 15 (4 copies on 2 cores), side by side.

Usage: python benchmarks/oversubscription.py [--policy random|ppo] [--steps-per-copy N] [--repeats R]
Prints each run and the ratio of -n 15 to -n 7; the target is at least 0.8.
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

MATCH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "touchdown_match.py")


def steps_per_second(policy: str, ranks: int, steps_per_copy: int, copies: int) -> float:
    """Run the benchmark match once with a scratch log folder; the root's round rate."""
    with tempfile.TemporaryDirectory() as tmp:
        args = [MATCH, policy, str(steps_per_copy * copies), tmp]
        result = run_mpi(ranks, args, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(result.output)
    match = re.search(r"round 0 done: .* \(([\d,]+) steps/s\)", result.output)
    return float(match.group(1).replace(",", ""))


def main() -> None:
    """Alternate the two layouts so drift in the machine hits both alike."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--policy", default="random", help="policy 1's type; policy 2 is random")
    parser.add_argument("--steps-per-copy", type=int, default=15_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rates: dict[int, list[float]] = {7: [], 15: []}
    for _ in range(args.repeats):
        for ranks, copies in ((7, 2), (15, 4)):
            rate = steps_per_second(args.policy, ranks, args.steps_per_copy, copies)
            rates[ranks].append(rate)
            print(f"-n {ranks:2d} ({copies} copies): {rate:8,.0f} steps/s", flush=True)
    m7, m15 = statistics.median(rates[7]), statistics.median(rates[15])
    print(f"policy 1 = {args.policy}: median -n 7: {m7:,.0f} steps/s   median -n 15: {m15:,.0f} steps/s", end="")
    print(f"   ratio: {m15 / m7:.2f}")


if __name__ == "__main__":
    main()
