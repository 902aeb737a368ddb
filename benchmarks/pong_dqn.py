"""DQN ("modern" preset) learning Pong through the arena, and DQN's speed against PPO's on the same set-up.

    python benchmarks/pong_dqn.py learn --out DIR     # examples/pong_dqn at -n 3 for 1M agent steps (4M frames)
    python benchmarks/pong_dqn.py report --out DIR    # the curve and numbers so far (safe while it runs)
    python benchmarks/pong_dqn.py speed               # DQN against PPO steps/s, side by side, -n 3, K=1

``learn`` runs the example exactly as a user would (``mpiexec -n 3 python my_main_script.py``
in a copy of ``examples/pong_dqn`` under DIR). Run it again to continue: the example resumes
from its checkpoint (the replay is not saved and refills first), and every invocation's wall
time and steps are kept in ``DIR/invocations.json``. Scores are true game scores (whole
games, unclipped), as ``records.csv`` holds them. ``report`` writes ``DIR/pong_dqn.png`` and
``DIR/summary.json``: games, the mean of the last 20 games, wall time, agent steps per second.

``speed`` runs ``pong_match.py`` for DQN and then PPO with the same ranks (-n 3: one
environment rank, one worker) and one copy, and prints each one's steady steps/s and the ratio.
DQN's warm-up is cut to 1,000 steps so that its rate includes its updates.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, "..", "examples", "pong_dqn")
MATCH = os.path.join(HERE, "pong_match.py")
ROUND_LINE = re.compile(r"round done, policy 1: ([\d,]+)/[\d,]+ steps \(\d+%\), ([\d,]+) steps/s")
AIM = 18.0  # the aim: a mean of +18 over the last 20 games within 1M agent steps


def mpiexec() -> str:
    """The venv's mpiexec (pip's MPICH)."""
    return os.path.join(os.path.dirname(sys.executable), "mpiexec")


def learn(out: str, total_steps: int) -> None:
    """Run (or continue) the example in ``out``, appending this invocation's wall time and steps."""
    work = os.path.join(out, "pong_dqn")
    if not os.path.exists(work):
        shutil.copytree(EXAMPLE, work, ignore=shutil.ignore_patterns("log_comms", "__pycache__"))
    steps_before = len(read_games(out)) and read_games(out)[-1][0]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "ARENA_TOTAL_STEPS": str(total_steps)}
    start = time.time()
    with open(os.path.join(out, "learn.log"), "a") as log:
        print(f"[pong_dqn] started {time.ctime(start)}; log: {log.name}", flush=True)
        cmd = [mpiexec(), "-n", "3", sys.executable, "my_main_script.py"]
        returncode = subprocess.call(cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    invocation = {"start": start, "seconds": time.time() - start, "returncode": returncode}
    invocation |= {"steps_before": steps_before, "total_steps": total_steps}
    path = os.path.join(out, "invocations.json")
    invocations = read_invocations(out)
    with open(path, "w") as f:
        json.dump(invocations + [invocation], f, indent=1)
    print(f"[pong_dqn] exit {returncode} after {invocation['seconds']:.0f} s", flush=True)
    report(out)


def read_invocations(out: str) -> list[dict]:
    """Every finished ``learn`` invocation: start, seconds, return code, steps before it."""
    path = os.path.join(out, "invocations.json")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return json.load(f)


def read_games(out: str) -> list[tuple[int, float]]:
    """(agent step at the game's end, true score) of every game so far."""
    path = os.path.join(out, "pong_dqn", "log_comms", "policy_1", "records.csv")
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return [(int(r["steps"]), float(r["return"])) for r in csv.DictReader(f)]


def report(out: str) -> dict:
    """The curve (pong_dqn.png) and summary.json from the records and the invocations so far."""
    games = read_games(out)
    invocations = read_invocations(out)
    seconds = sum(i["seconds"] for i in invocations)
    steps = games[-1][0] if games else 0
    last = [score for _, score in games[-20:]]
    summary = {
        "games": len(games),
        "agent_steps": steps,
        "frames": 4 * steps,
        "last_20_mean": float(np.mean(last)) if last else None,
        "best_20_mean": best_window(games, 20),
        "wall_seconds": round(seconds),
        "invocations": len(invocations),
        "steps_per_s": round(steps / seconds, 1) if seconds else None,
        "first_game_at_or_above_aim": next((s for s, _ in rolling(games, 20) if _ >= AIM), None),
    }
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    if games:
        plot(games, invocations, os.path.join(out, "pong_dqn.png"))
    print(json.dumps(summary, indent=1))
    return summary


def rolling(games: list[tuple[int, float]], n: int) -> list[tuple[int, float]]:
    """(step, mean of the last n games) at every game from the n-th on."""
    scores = np.array([score for _, score in games])
    return [(games[i][0], float(scores[i + 1 - n : i + 1].mean())) for i in range(n - 1, len(games))]


def best_window(games: list[tuple[int, float]], n: int) -> float | None:
    """The best mean of n consecutive games."""
    means = [mean for _, mean in rolling(games, n)]
    return max(means) if means else None


def plot(games: list[tuple[int, float]], invocations: list[dict], path: str) -> None:
    """True scores per game and their 20-game mean against agent steps, with the aim and any resumes marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.scatter([s for s, _ in games], [g for _, g in games], s=4, alpha=0.35, label="game (true score)")
    if len(games) >= 20:
        ax.plot(*zip(*rolling(games, 20), strict=True), color="C1", label="mean of the last 20 games")
    ax.axhline(AIM, color="C2", linestyle="--", linewidth=1, label=f"aim (+{AIM:.0f})")
    for i in invocations[1:]:
        ax.axvline(i["steps_before"], color="grey", linestyle=":", linewidth=1)
    ax.set(xlabel="agent steps (x4 frames)", ylabel="Pong score", ylim=(-21.5, 21.5))
    ax.set_title('arena DQN, "modern" preset, Pong, mpiexec -n 3 on 2 CPU cores')
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"[pong_dqn] wrote {path}", flush=True)


def speed(steps: int) -> None:
    """DQN then PPO through pong_match.py at -n 3, K=1; each one's steps/s and DQN/PPO."""
    rates = {}
    with tempfile.TemporaryDirectory() as tmp:
        for policy, kwargs in (("dqn", {"learning_starts": 1_000, "replay_size": 50_000}), ("ppo", {})):
            cmd = [mpiexec(), "-n", "3", sys.executable, MATCH, policy, str(steps), os.path.join(tmp, policy)]
            cmd += ["--no-scale", "--kwargs", json.dumps(kwargs)]
            start = time.perf_counter()
            text = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            found = ROUND_LINE.findall(text)
            rates[policy] = float(found[-1][1].replace(",", "")) if found else steps / (time.perf_counter() - start)
            print(f"{policy}: {rates[policy]:,.0f} steps/s over {steps:,} steps", flush=True)
    print(f"DQN/PPO: {rates['dqn'] / rates['ppo']:.2f}")


def main() -> None:
    """Parse the mode and run it."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["learn", "report", "speed"])
    parser.add_argument("--out", default="pong_dqn_benchmark", help="the run's folder (learn, report)")
    parser.add_argument("--steps", type=int, default=1_000_000, help="agent steps (learn) or per policy (speed)")
    args = parser.parse_args()
    if args.mode == "speed":
        speed(args.steps if args.steps != 1_000_000 else 6_000)
        return
    os.makedirs(args.out, exist_ok=True)
    learn(args.out, args.steps) if args.mode == "learn" else report(args.out)


if __name__ == "__main__":
    main()
