"""Agent steps per second of Pong through the arena, against the raw emulator, in one run.

    python benchmarks/throughput.py            # the full table (about 9 minutes on 2 cores)
    python benchmarks/throughput.py --quick    # one row of each kind, -n 3 only, tiny budgets (CI)

Rows:
  (a) raw: ale-py's AtariVectorEnv with DeepMind preprocessing, random actions, on
      every core, no MPI: the fastest plain way to step this game here. It is
      measured before the first arena row and after every row, and each row's ratio
      uses the mean of the raw rates just before and just after it (this machine's
      speed drifts by half within minutes);
  (b) the arena with a random policy, mpiexec -n 3 (one match) and -n 15 (scale=True),
      with one copy per environment rank (K=1, Gymnasium wrappers) and with K copies
      in ale-py's AtariVectorEnv (kickoff(copies_per_env=K));
  (c) the arena with PPO learning, the same layouts.
(Rows (d), every per-step message pickled as a naive design sends it, ran while the arena
carried that protocol; it left the package in the layout change, and docs/performance.md keeps
their last measurements.)
At -n 3 with K > 1 the one environment rank's AtariVectorEnv gets a thread per
core. Speeds are the environment ranks' steady rates (the first tenth of each run is
left out) summed over ranks. Memory: the largest peak resident size of any
rank of each role, and the largest growth of any rank between its first sample
(about 1 s in) and the end of the run. ``--quick`` checks the script only: random
K=1 and K=32 and PPO K=16, with raw measured before the first row and after the
last. Never used to assert anything.
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


def raw_steps_per_second(seconds: float, num_envs: int) -> float:
    """Random-action Pong in AtariVectorEnv on every core, with the arena's preprocessing settings."""
    from ale_py.vector_env import AtariVectorEnv

    threads = os.cpu_count() or 1
    env = AtariVectorEnv("pong", num_envs, num_threads=threads, reward_clipping=True, episodic_life=False)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        env.step(rng.integers(0, env.single_action_space.n, num_envs))
        steps += num_envs
    rate = steps / (time.perf_counter() - start)
    env.close()
    return rate


def arena_run(
    policy: str,
    ranks: int,
    total_steps: int,
    copies: int,
    threads: int = 1,
    env: dict | None = None,
    scale: bool = True,
) -> dict:
    """One arena run in a scratch folder: its summed steady speed and memory by role."""
    with tempfile.TemporaryDirectory() as tmp:
        summary_path = os.path.join(tmp, "summary.json")
        args = [MATCH, policy, str(total_steps), os.path.join(tmp, "logs"), "--summary", summary_path]
        args += ["--copies", str(copies), "--threads", str(threads)]
        args += [] if scale else ["--no-scale"]
        result = run_mpi(ranks, args, timeout=600, env=env)
        if result.returncode != 0:
            raise RuntimeError(f"arena run failed:\n{result.output}")
        with open(summary_path) as f:
            summary = json.load(f)
    envs = [r for r in summary["ranks"] if r["role"] == "env"]
    workers = [r for r in summary["ranks"] if r["role"] == "worker"]
    growth = [r["growth_mb"] for r in summary["ranks"] if r["growth_mb"] is not None]
    return {
        "steps_per_s": sum(r["steady_steps_per_s"] or 0.0 for r in envs),
        "env_peak_mb": max(r["peak_mb"] for r in envs),
        "worker_peak_mb": max(r["peak_mb"] for r in workers),
        "growth_mb": max(growth) if growth else float("nan"),
    }


def main() -> None:
    """Run every row and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny budgets, for CI: correctness only")
    args = parser.parse_args()
    raw_seconds, shrink, layouts_n = (1.0, 50, (3,)) if args.quick else (4.0, 1, (3, 15))

    raws = [raw_steps_per_second(raw_seconds, num_envs=8)]
    print(f"(a) raw AtariVectorEnv, {os.cpu_count()} threads: {raws[0]:,.0f} steps/s", flush=True)
    # (label, policy, total steps of a run, copies per environment rank at -n 3 and at -n 15):
    # budgets aim at 20-40 s a run on 2 cores.
    layouts = [
        ("(b) random", "random", 15_000, (1, 1)),
        ("(b) random", "random", 50_000, (32, 8)),
        ("(c) ppo", "ppo", 2_000, (1, 1)),
        ("(c) ppo", "ppo", 10_000, (16, 8)),
    ]
    if args.quick:  # each launch costs seconds of imports whatever its budget: one of each kind
        layouts = [layouts[0], layouts[1], layouts[3]]
    runs = [
        (label, policy, steps, ranks, k)
        for label, policy, steps, copies in layouts
        for ranks, k in zip(layouts_n, copies)
    ]
    rows = []
    for i, (label, policy, steps, ranks, k) in enumerate(runs):
        # One environment rank (-n 3) may use every core for its AtariVectorEnv; at -n 15 ranks share them.
        threads = os.cpu_count() if ranks == 3 and k > 1 else 1
        row = arena_run(policy, ranks, max(steps // shrink, 4 * k * (ranks - 1) // 2), k, threads)
        after = ""
        if not args.quick or i == len(runs) - 1:  # quick: raw before the first run and after the last only
            raws.append(raw_steps_per_second(raw_seconds, num_envs=8))
            after = f"; raw after it {raws[-1]:,.0f}"
        row["raw"] = float(np.mean(raws[-2:]))
        rows.append((f"{label}, -n {ranks}, K={k}", row))
        print(f"{rows[-1][0]}: {row['steps_per_s']:,.0f} steps/s{after}", flush=True)

    print()
    print(
        f"{'row':<34} {'steps/s':>9} {'raw around':>11} {'x raw':>6} {'env peak MiB':>13} "
        f"{'worker peak MiB':>16} {'growth MiB':>11}"
    )
    print(f"{'(a) raw, ' + f'{min(raws):,.0f} to {max(raws):,.0f}':<34} {np.mean(raws):>9,.0f}")
    for name, r in rows:
        print(
            f"{name:<34} {r['steps_per_s']:>9,.0f} {r['raw']:>11,.0f} {r['steps_per_s'] / r['raw']:>6.2f} "
            f"{r['env_peak_mb']:>13.0f} {r['worker_peak_mb']:>16.0f} {r['growth_mb']:>11.1f}"
        )


if __name__ == "__main__":
    main()
