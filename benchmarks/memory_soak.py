"""Does any rank's memory grow over a long run? PPO learning Pong at -n 15, K copies per env rank.

    python benchmarks/memory_soak.py                 # about 10 minutes on 2 cores
    python benchmarks/memory_soak.py --steps 20000   # a shorter look

Every rank samples its resident memory from a tenth of the round on (by then the
networks, optimizer state, buffers and emulators exist) and keeps one sample per
further tenth. The table shows, per role, the largest growth of any rank from its
first sample to its last, and the trace of the rank that grew most. Never used to
assert anything.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from helpers import run_mpi  # noqa: E402

MATCH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pong_match.py")


def main() -> None:
    """Run one long PPO round and print memory growth per role."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=110_000, help="environment steps over all copies")
    parser.add_argument("--ranks", type=int, default=15)
    parser.add_argument("--copies", type=int, default=8)
    parser.add_argument("--policy", default="ppo")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        summary_path = os.path.join(tmp, "summary.json")
        cmd = [MATCH, args.policy, str(args.steps), os.path.join(tmp, "logs"), "--summary", summary_path]
        start = time.perf_counter()
        result = run_mpi(args.ranks, cmd + ["--copies", str(args.copies)], timeout=3600)
        if result.returncode != 0:
            raise SystemExit(f"run failed:\n{result.output}")
        with open(summary_path) as f:
            ranks = json.load(f)["ranks"]
    minutes = (time.perf_counter() - start) / 60
    print(f"{args.policy}, -n {args.ranks}, K={args.copies}, {args.steps:,} steps: {minutes:.1f} minutes")
    print(
        f"{'role':<8} {'ranks':>5} {'peak MiB':>9} {'max growth MiB':>15} {'trend MiB/tenth':>16}"
        "  trace of the rank that grew most (MiB, one sample per tenth of the run)"
    )
    for role in ("env", "worker"):
        group = [r for r in ranks if r["role"] == role and r["growth_mb"] is not None]
        worst = max(group, key=lambda r: r["growth_mb"])
        trace = worst["trace_mb"]
        # A leak climbs steadily; allocator noise goes up and down. The fitted slope tells them apart.
        trend = float(np.polyfit(np.arange(len(trace)), trace, 1)[0]) if len(trace) > 2 else float("nan")
        peak = max(r["peak_mb"] for r in group)
        samples = " ".join(f"{m:.0f}" for m in trace)
        print(f"{role:<8} {len(group):>5} {peak:>9.0f} {worst['growth_mb']:>15.1f} {trend:>16.1f}  {samples}")


if __name__ == "__main__":
    main()
