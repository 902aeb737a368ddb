"""Does arena PPO learn Atari like CleanRL? Side by side, one core per run, true game scores per window.

    python benchmarks/learning_parity.py                       # Breakout, 200k steps, 4 batched + 2 python seeds
    python benchmarks/learning_parity.py --cleanrl ~/cleanrl --cleanrl-python ~/crl/bin/python
    python benchmarks/learning_parity.py --quick               # tiny budgets (CI): checks the script only

Paths (8 copies on one environment rank, one PPO worker, ``mpiexec -n 3``):
  batched  ``make_atari_game(game, num_copies=8)``: ale-py's C++ preprocessing (the docs' choice for speed)
  python   8 copies of the tutorial's ``wrap_deepmind(make_atari(...))`` env
  cleanrl  CleanRL's ``cleanrl/ppo_atari.py`` from a checkout you give (never part of this project), with
           Gymnasium 1.x names patched in a temporary copy; same hyperparameters, 8 envs.
Every run gets one core (``sched_setaffinity``) and one torch thread; ``--jobs`` runs go at once.
Scores are true game scores (whole games, unclipped) by the agent step at which each game ended,
averaged over windows of ``--window`` steps. The ratio column divides each run's mean over the
last two windows (150k-200k at the defaults) by CleanRL's mean over the same windows, if CleanRL
ran, else by ``--reference``. A random policy's mean score, measured here, marks random play.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MATCH = os.path.join(HERE, "parity_match.py")
EPISODE_LINE = re.compile(r"global_step=(\d+), episodic_return=\[?([-\d.eE]+)")
SPS_LINE = re.compile(r"SPS: (\d+)")
ROUND_SPEED = re.compile(r"round done, policy 1: [\d,]+/[\d,]+ steps \(\d+%\), ([\d,]+) steps/s")


@dataclass
class Run:
    """One learning run and, once finished, its games as (agent step at the end, true score)."""

    path: str
    seed: int
    cmd: list[str]
    log: str
    env: dict = field(default_factory=dict)
    records: str | None = None
    games: list[tuple[int, float]] = field(default_factory=list)
    steps_per_s: float = float("nan")
    returncode: int | None = None
    proc: subprocess.Popen | None = None


# CleanRL's ppo_atari.py is written for Gymnasium 0.29; these are the renames 1.x needs, nothing else.
CLEANRL_PATCHES = [
    ("import gymnasium as gym\n", "import gymnasium as gym\nimport ale_py\n\ngym.register_envs(ale_py)\n"),
    ("gym.wrappers.GrayScaleObservation(env)", "gym.wrappers.GrayscaleObservation(env)"),
    ("gym.wrappers.FrameStack(env, 4)", "gym.wrappers.FrameStackObservation(env, 4)"),
    (  # 0.29's vector envs reset a finished env within the same step; 1.x needs to be asked
        "[make_env(args.env_id, i, args.capture_video, run_name) for i in range(args.num_envs)],",
        "[make_env(args.env_id, i, args.capture_video, run_name) for i in range(args.num_envs)],\n"
        "        autoreset_mode=gym.vector.AutoresetMode.SAME_STEP,",
    ),
    (  # 1.x gathers the finished envs' infos into one dict of arrays
        """            if "final_info" in infos:
                for info in infos["final_info"]:
                    if info and "episode" in info:
                        print(f"global_step={global_step}, episodic_return={info['episode']['r']}")
                        writer.add_scalar("charts/episodic_return", info["episode"]["r"], global_step)
                        writer.add_scalar("charts/episodic_length", info["episode"]["l"], global_step)""",
        """            if "final_info" in infos and "episode" in infos["final_info"]:
                episodes = infos["final_info"]["episode"]
                for i in np.flatnonzero(infos["final_info"]["_episode"]):
                    print(f"global_step={global_step}, episodic_return={episodes['r'][i]}")
                    writer.add_scalar("charts/episodic_return", episodes["r"][i], global_step)
                    writer.add_scalar("charts/episodic_length", episodes["l"][i], global_step)""",
    ),
]


def patched_cleanrl(checkout: str, out_dir: str) -> str:
    """A copy of the checkout's ppo_atari.py with the Gymnasium 1.x renames; fails loudly if CleanRL changed."""
    with open(os.path.join(checkout, "cleanrl", "ppo_atari.py")) as f:
        source = f.read()
    for old, new in CLEANRL_PATCHES:
        if old not in source:
            raise SystemExit(f"this CleanRL checkout differs from the one the patches know; missing:\n{old}")
        source = source.replace(old, new, 1)
    path = os.path.join(out_dir, "ppo_atari_gymnasium1.py")
    with open(path, "w") as f:
        f.write(source)
    return path


def plan_runs(args: argparse.Namespace, out: str) -> list[Run]:
    """Every run of the comparison, arena paths first."""
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    runs = []
    for path, seeds in (("batched", args.batched_seeds), ("python", args.python_seeds)):
        for seed in seeds:
            logs = os.path.join(out, f"{path}_{seed}")
            cmd = [mpiexec, "-n", "3", sys.executable, MATCH, path, args.game, str(args.steps), str(seed), logs]
            runs.append(Run(path, seed, cmd, logs + ".log", records=os.path.join(logs, "policy_1", "records.csv")))
    if args.cleanrl:
        script = patched_cleanrl(args.cleanrl, out)
        env_id = f"{args.game}NoFrameskip-v4"
        for seed in args.cleanrl_seeds:
            cmd = [args.cleanrl_python, script, "--env-id", env_id, "--total-timesteps", str(args.steps)]
            cmd += ["--seed", str(seed), "--no-cuda"]
            pythonpath = os.pathsep.join([args.cleanrl, os.environ.get("PYTHONPATH", "")])
            runs.append(Run("cleanrl", seed, cmd, os.path.join(out, f"cleanrl_{seed}.log"), {"PYTHONPATH": pythonpath}))
    return runs


DONE_LINE = "[learning_parity] exit 0"


def finished(run: Run) -> bool:
    """True when an earlier invocation saw this run exit 0 (it marks the log then)."""
    if not os.path.exists(run.log):
        return False
    with open(run.log) as f:
        return DONE_LINE in f.read()


def run_all(runs: list[Run], jobs: int, cwd: str, resume: bool) -> None:
    """Run ``jobs`` at a time, each pinned to the core with the fewest runs; with ``resume``, skip finished runs."""
    cores = sorted(os.sched_getaffinity(0))
    waiting, running = [], {}
    for run in runs:
        if resume and finished(run):
            run.returncode = 0
            read_results(run)
            print(f"kept the finished run {run.path} seed {run.seed}: {len(run.games)} games", flush=True)
        else:
            waiting.append(run)
    while waiting or running:
        while waiting and len(running) < jobs:
            run = waiting.pop(0)
            core = min(cores, key=lambda c: sum(1 for used in running.values() if used == c))
            env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1", **run.env}
            with open(run.log, "w") as log:
                proc = subprocess.Popen(
                    run.cmd,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=cwd,
                    preexec_fn=lambda core=core: os.sched_setaffinity(0, {core}),
                )
            running[proc] = core
            run.proc = proc
            print(f"started {run.path} seed {run.seed} on core {core}", flush=True)
        time.sleep(2.0)
        for proc in [p for p in running if p.poll() is not None]:
            del running[proc]
            run = next(r for r in runs if r.proc is proc)
            run.returncode = proc.returncode
            if run.returncode == 0:
                with open(run.log, "a") as log:
                    log.write(f"\n{DONE_LINE}\n")
            read_results(run)
            print(f"finished {run.path} seed {run.seed}: rc {run.returncode}, {len(run.games)} games", flush=True)


def read_results(run: Run) -> None:
    """Games and speed from the run's records (arena) or its printed lines (CleanRL)."""
    with open(run.log) as f:
        text = f.read()
    if run.records is not None:
        if os.path.exists(run.records):
            with open(run.records, newline="") as f:
                run.games = [(int(r["steps"]), float(r["return"])) for r in csv.DictReader(f)]
        speeds = ROUND_SPEED.findall(text)
        run.steps_per_s = float(speeds[-1].replace(",", "")) if speeds else float("nan")
    else:
        run.games = [(int(s), float(r)) for s, r in EPISODE_LINE.findall(text)]
        speeds = SPS_LINE.findall(text)
        run.steps_per_s = float(speeds[-1]) if speeds else float("nan")


def window_means(games: list[tuple[int, float]], steps: int, window: int) -> list[float]:
    """Mean score of the games that ended in each window of agent steps (nan where none ended)."""
    edges = range(0, steps, window)
    means = []
    for start in edges:
        scores = [score for step, score in games if start < step <= start + window]
        means.append(float(np.mean(scores)) if scores else float("nan"))
    return means


def late_mean(games: list[tuple[int, float]], steps: int, window: int) -> float:
    """Mean score of the games that ended in the last two windows."""
    scores = [score for step, score in games if steps - 2 * window < step <= steps]
    return float(np.mean(scores)) if scores else float("nan")


def random_play_score(game: str, games: int) -> float:
    """Mean true score of a uniformly random policy over ``games`` whole games."""
    from arena.envs.atari import make_atari_game

    env = make_atari_game(game, episode_life=False, clip_rewards=False)
    rng = np.random.default_rng(0)
    scores = []
    env.reset(seed=0)
    score = 0.0
    while len(scores) < games:
        _, rewards, terminated, truncated, _ = env.step([int(rng.integers(env.action_spaces[0].n))])
        score += rewards[0]
        if terminated[0] or truncated[0]:
            scores.append(score)
            score = 0.0
            env.reset()
    return float(np.mean(scores))


def report(runs: list[Run], args: argparse.Namespace, random_score: float) -> dict:
    """Print the table; returns it as a dict."""
    reference_runs = [late_mean(r.games, args.steps, args.window) for r in runs if r.path == "cleanrl"]
    reference = float(np.mean(reference_runs)) if reference_runs else args.reference
    ends = [f"{(i + 1) * args.window // 1000}k" for i in range(-(-args.steps // args.window))]
    late = f"mean {max(0, args.steps - 2 * args.window) // 1000}k-{args.steps // 1000}k"
    print(f"\n{args.game}, {args.steps:,} agent steps, true game scores by window end; random play: {random_score:.2f}")
    print(f"{'run':<14}" + "".join(f"{e:>7}" for e in ends) + f"{late:>16}{'x ref':>7}{'games':>7}{'steps/s':>9}")
    table = {"game": args.game, "steps": args.steps, "random_play": random_score, "reference": reference, "runs": []}
    for r in runs:
        means = window_means(r.games, args.steps, args.window)
        mean = late_mean(r.games, args.steps, args.window)
        ratio = mean / reference if reference and reference > 0 else float("nan")
        cells = "".join(f"{m:>7.2f}" for m in means)
        print(
            f"{r.path + ' ' + str(r.seed):<14}{cells}{mean:>16.2f}{ratio:>7.2f}{len(r.games):>7}{r.steps_per_s:>9.0f}"
        )
        table["runs"].append(
            {
                "path": r.path,
                "seed": r.seed,
                "windows": means,
                "late_mean": mean,
                "ratio": ratio,
                "games": len(r.games),
                "steps_per_s": r.steps_per_s,
                "returncode": r.returncode,
            }
        )
    if reference is not None:
        source = "CleanRL's runs above" if reference_runs else "--reference"
        print(f"reference ({source}): {reference:.2f}")
    return table


def main() -> None:
    """Run the comparison and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--game", default="Breakout")
    parser.add_argument("--steps", type=int, default=200_000, help="agent steps per run (all 8 copies together)")
    parser.add_argument("--window", type=int, default=25_000)
    parser.add_argument("--batched-seeds", type=int, nargs="*", default=[1, 2, 3, 4])
    parser.add_argument("--python-seeds", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--cleanrl", default=None, help="a CleanRL checkout (the folder holding cleanrl/)")
    parser.add_argument("--cleanrl-python", default=sys.executable, help="a Python with CleanRL's requirements")
    parser.add_argument("--cleanrl-seeds", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--reference", type=float, default=None, help="CleanRL's late mean, when it does not run")
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)), help="runs at once, a core each")
    parser.add_argument("--out", default=None, help="keep logs and records here (default: a temporary folder)")
    parser.add_argument("--resume", action="store_true", help="keep runs in --out that finished before")
    parser.add_argument("--quick", action="store_true", help="one tiny run per arena path: checks the script only")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.window, args.batched_seeds, args.python_seeds = 2_048, 1_024, [1], [1]
    out = args.out or tempfile.mkdtemp(prefix="arena_parity_")
    os.makedirs(out, exist_ok=True)
    runs = plan_runs(args, out)
    start = time.perf_counter()
    run_all(runs, args.jobs, out, args.resume)
    random_score = random_play_score(args.game, 4 if args.quick else 50)
    table = report(runs, args, random_score)
    print(f"{len(runs)} runs in {time.perf_counter() - start:.0f} s; logs and records in {out}")
    with open(os.path.join(out, "parity.json"), "w") as f:
        json.dump(table, f, indent=1)
    if any(r.returncode != 0 for r in runs):
        raise SystemExit("some runs failed; see their logs")


if __name__ == "__main__":
    main()
