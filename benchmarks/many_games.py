"""One policy on 8 Atari games at once: the multi-game batch's speed, and how well real-time pacing holds.

    python benchmarks/many_games.py            # the table (about 4 minutes on 2 cores)
    python benchmarks/many_games.py --quick    # every row once on tiny budgets (CI)

Rows, all with 8 copies on one environment rank (mpiexec -n 3: root, env rank, worker):
  (a) raw: ``make_atari_games`` of 8 different games, and ``make_atari_game("Pong")``
      with 8 copies, stepped with random actions in plain Python, no MPI;
  (b) the arena, a "random" policy on the 8 games, not paced: steady steps/s
      against (a)'s 8-game batch, measured in the same run;
  (c) the same paced at 15 and 60 steps a second per copy (the console's real time
      and 4 times it): the rate each copy kept and the share of late actions;
  (d) a PPO learner on the 8 games paced at 15 steps a second: its updates pause acting,
      so some actions come late; the rate kept and the late share.
Never used to assert anything.
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

MATCH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "many_games_match.py")
GAMES = ["Pong", "Breakout", "SpaceInvaders", "Seaquest", "Qbert", "BeamRider", "Enduro", "MsPacman"]


def raw_steps(batch_of_games: bool, seconds: float) -> float:
    """Random actions on one batch of 8 copies for ``seconds``: steps per second (all copies)."""
    from arena.envs.atari import make_atari_game, make_atari_games

    batch = make_atari_games(GAMES) if batch_of_games else make_atari_game("Pong", num_copies=8)
    batch.reset(list(range(8)))
    n = batch.action_spaces[0].n
    rng = np.random.default_rng(0)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        batch.step([rng.integers(0, n, 8)])
        steps += 8
    batch.close()
    return steps / (time.perf_counter() - start)


def arena_run(steps: int, policy: str, fps: float | None) -> dict:
    """One arena run in a scratch folder: the environment rank's summary."""
    with tempfile.TemporaryDirectory() as tmp:
        summary_path = os.path.join(tmp, "summary.json")
        args = [MATCH, str(steps), os.path.join(tmp, "logs"), "--policy", policy, "--summary", summary_path]
        result = run_mpi(3, args + (["--fps", str(fps)] if fps else []), timeout=900)
        if result.returncode != 0:
            raise RuntimeError(f"arena run failed:\n{result.output}")
        with open(summary_path) as f:
            summary = json.load(f)
    return next(r for r in summary["ranks"] if r["role"] == "env")


def paced_row(label: str, env: dict) -> str:
    """A paced row: the rate asked and kept, and the late share."""
    paced = env["realtime"]
    ((late, ticks),) = paced["late"].values()
    kept = paced["measured_fps"] or 0.0
    return (
        f"{label}: {paced['fps']:g} steps/s per copy asked, {kept:.2f} kept over {paced['ticks']} ticks, "
        f"late actions {100.0 * late / max(1, ticks):.1f}%, {paced['merged_episodes']} episodes merged"
    )


def main() -> None:
    """Run every row and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny budgets, for CI: correctness only")
    args = parser.parse_args()
    seconds, unpaced, paced15, paced60, ppo = (1.0, 100, 20, 40, 40) if args.quick else (10.0, 3000, 600, 2400, 1200)
    rows = []
    games, pong = raw_steps(True, seconds), raw_steps(False, seconds)
    rows.append(f"(a) raw, 8 games: {games:,.0f} steps/s; 8 copies of Pong: {pong:,.0f} steps/s ({games / pong:.2f}x)")
    print(rows[-1], flush=True)
    env = arena_run(unpaced, "random", None)
    rate = env["steady_steps_per_s"] or 0.0
    rows.append(f"(b) random, not paced: {rate:,.0f} steps/s, {rate / games:.2f}x raw 8 games")
    print(rows[-1], flush=True)
    for fps, steps in ((15, paced15), (60, paced60)):
        rows.append(paced_row(f"(c) random, paced {fps}", arena_run(steps, "random", fps)))
        print(rows[-1], flush=True)
    rows.append(paced_row("(d) ppo, paced 15", arena_run(ppo, "ppo", 15)))
    print(rows[-1], flush=True)
    print("\n" + "\n".join(rows))


if __name__ == "__main__":
    main()
