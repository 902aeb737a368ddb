"""Joint steps per second of two-player Pong through the arena, against raw joint stepping, in one run.

    python benchmarks/two_player_pong.py            # the table (about 3 minutes on 2 cores)
    python benchmarks/two_player_pong.py --quick    # each kind of row once, on tiny budgets (CI)

A joint step is one step of the game in which both players act (4 frames, DeepMind
preprocessing: ``arena.envs.atari.make_two_player("pong")``). Rows:
  (a) raw: the same env stepped with random joint actions in plain Python, no MPI,
      one process per core; measured before the first arena row and after every
      row, and each row's ratio uses the mean of the raws around it;
  (b) the arena, two "random" policies (policy 1 against policy 2), mpiexec -n 4
      (one environment rank, one worker per player) and -n 7 (scale=True: two
      match copies), with K copies per environment rank;
  (c) the same with two PPO learners at -n 4.
Speeds are the environment ranks' steady rates (the first tenth left out), summed.
``--quick`` checks the script only: one row of each kind (-n 4 K=1, -n 7 K=8, PPO),
with raw measured before the first row and after the last. Never used to assert anything.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from helpers import run_mpi  # noqa: E402

MATCH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "two_player_match.py")


def raw_joint_steps(seconds: float) -> float:
    """Random joint actions on one two-player Pong for ``seconds``: joint steps per second."""
    from arena.envs.atari import make_two_player

    env = make_two_player("pong")
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        _, _, terminated, truncated, _ = env.step(list(rng.integers(0, 6, 2)))
        steps += 1
        if np.all(terminated | truncated):
            env.reset()
    return steps / (time.perf_counter() - start)


def raw_all_cores(seconds: float) -> float:
    """``raw_joint_steps`` in one process per core at once, summed."""
    cores = os.cpu_count() or 1
    with ProcessPoolExecutor(cores) as pool:
        return float(sum(pool.map(raw_joint_steps, [seconds] * cores)))


def arena_run(ranks: int, total_steps: int, copies: int, policy: str) -> float:
    """One arena run in a scratch folder: the environment ranks' summed steady joint steps per second."""
    with tempfile.TemporaryDirectory() as tmp:
        summary_path = os.path.join(tmp, "summary.json")
        args = [MATCH, str(total_steps), os.path.join(tmp, "logs"), "--copies", str(copies), "--policy", policy]
        result = run_mpi(ranks, [*args, "--summary", summary_path], timeout=600)
        if result.returncode != 0:
            raise RuntimeError(f"arena run failed:\n{result.output}")
        with open(summary_path) as f:
            summary = json.load(f)
    return sum(r["steady_steps_per_s"] or 0.0 for r in summary["ranks"] if r["role"] == "env")


def main() -> None:
    """Run every row and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny budgets, for CI: correctness only")
    args = parser.parse_args()
    raw_seconds, shrink = (1.0, 20) if args.quick else (5.0, 1)
    raws = [raw_all_cores(raw_seconds)]
    print(f"(a) raw, {os.cpu_count()} processes: {raws[0]:,.0f} joint steps/s", flush=True)
    # (label, ranks, total joint steps, copies per environment rank, policy): 20-40 s a run on 2 cores.
    layouts = [
        ("(b) random", 4, 20_000, 1, "random"),
        ("(b) random", 4, 40_000, 8, "random"),
        ("(b) random", 7, 20_000, 1, "random"),
        ("(b) random", 7, 40_000, 8, "random"),
        ("(c) ppo", 4, 4_000, 8, "ppo"),
    ]
    if args.quick:  # each launch costs seconds of imports whatever its budget: one of each kind
        layouts = [layouts[0], layouts[3], layouts[4]]
    rows = []
    for i, (label, ranks, steps, k, policy) in enumerate(layouts):
        rate = arena_run(ranks, max(steps // shrink, 8 * k), k, policy)
        after = ""
        if not args.quick or i == len(layouts) - 1:
            raws.append(raw_all_cores(raw_seconds))
            after = f"; raw after it {raws[-1]:,.0f}"
        rows.append((f"{label}, -n {ranks}, K={k}", rate, float(np.mean(raws[-2:]))))
        print(f"{rows[-1][0]}: {rate:,.0f} joint steps/s{after}", flush=True)
    print()
    print(f"{'row':<26} {'joint steps/s':>14} {'raw around':>11} {'x raw':>6}")
    print(f"{'(a) raw, ' + f'{min(raws):,.0f} to {max(raws):,.0f}':<26} {np.mean(raws):>14,.0f}")
    for name, rate, raw in rows:
        print(f"{name:<26} {rate:>14,.0f} {raw:>11,.0f} {rate / raw:>6.2f}")


if __name__ == "__main__":
    main()
