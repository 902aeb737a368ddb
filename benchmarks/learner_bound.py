"""The CPU recipe's speed against its bound: a bare PyTorch loop doing the recipe's network work, and the arena.

    python benchmarks/learner_bound.py                      # pong-ppo-cpu: 12 rollouts of each, side by side
    python benchmarks/learner_bound.py --quick              # CI: checks the script only (1 epoch, 2 rollouts)

The bare loop is what one of the recipe's workers must compute and nothing else: for each rollout,
``n_steps`` forward passes on a batch of K frames (acting), then ``n_epochs`` x ``n_minibatches``
forward and backward passes with PPO's Adam (learning), with the preset's sizes as the recipe overrides
them, the same network (``arena.algos.networks.ActorCritic``), the same losses and the recipe's
torch threads, on random frames. No emulator, no MPI. With W workers (one per match copy) the
bound is W such loops running at once on the same cores, their rates summed. The arena runs the
recipe itself (its two files, as ``learning.py`` runs them) for as many rollouts. Both count
agent steps per second of wall clock in steady state: the first rollout is a warm-up on both sides
(the bare loop times from the end of its first rollout; the arena from the end of its first update,
read off the update times in ``metrics.csv``), so starting Python, torch, MPI and the emulators is
not counted. The ratio arena / bare says what the arena's layout (stepping the emulators,
messages, records) costs while it runs.
Alternate order, twice each unless ``--quick``; medians. Never used to assert anything.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from recipes import QUICK_KWARGS, RECIPES, run_command, write_scripts  # noqa: E402 - the recipes live beside this script

from arena.storage.metrics import METRICS_FILE, parse_metrics  # noqa: E402


def bare_loop(kwargs: dict, copies: int, threads: int, rollouts: int, start: Any = None) -> float:
    """Agent steps per second of the recipe's network work alone (timed from ``start.wait()``, if given)."""
    import torch
    from gymnasium import spaces

    from arena.algos.networks import ActorCritic
    from arena.algos.optim import Adam
    from arena.algos.ppo import PPO, clipped_policy_loss, clipped_value_loss, normalize

    torch.set_num_threads(threads)
    obs_space, act_space = spaces.Box(0, 255, (4, 84, 84), np.uint8), spaces.Discrete(6)
    cfg = PPO.config_for(obs_space, kwargs)  # the preset with the recipe's overrides (4 epochs, not 3)
    agent = ActorCritic(obs_space, act_space)
    optimizer = Adam(agent.parameters(), lr=cfg.learning_rate, eps=1e-5)  # PPO's: torch.optim.Adam's arithmetic
    frames = torch.randint(0, 256, (cfg.n_steps, copies, 4, 84, 84), dtype=torch.uint8)
    batch = cfg.n_steps * copies
    if start is not None:
        start.wait()  # every worker's loop starts together, with torch loaded
    began = time.perf_counter()
    for rollout in range(rollouts):
        if rollout == 1:  # the first rollout warms up, as the arena's first update does
            began = time.perf_counter()
        with torch.no_grad():
            acted = [agent.act_and_value(frames[t]) for t in range(cfg.n_steps)]
        actions = torch.cat([a[0] for a in acted])
        old_logprob, old_value = torch.cat([a[1] for a in acted]), torch.cat([a[3] for a in acted])
        flat, returns = frames.reshape(batch, 4, 84, 84), old_value + torch.randn(batch)
        for _ in range(cfg.n_epochs):
            for idx in np.array_split(np.random.permutation(batch), cfg.n_minibatches):
                idx = torch.as_tensor(idx)
                _, logprob, entropy, value = agent.act_and_value(flat[idx], actions[idx])
                ratio = (logprob - old_logprob[idx]).exp()
                adv = normalize(returns[idx] - old_value[idx])
                loss = clipped_policy_loss(adv, ratio, cfg.clip_coef) - cfg.ent_coef * entropy.mean()
                loss = loss + cfg.vf_coef * clipped_value_loss(value, old_value[idx], returns[idx], cfg.clip_coef)
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(agent.parameters(), cfg.max_grad_norm)
                optimizer.step()
    return (rollouts - 1) * batch / (time.perf_counter() - began)


def _bare_worker(kwargs: dict, copies: int, threads: int, rollouts: int, start: Any, rates: Any) -> None:
    rates.put(bare_loop(kwargs, copies, threads, rollouts, start))


def bare_loops(kwargs: dict, copies: int, threads: int, rollouts: int, workers: int) -> float:
    """The recipe's W workers as W bare loops running at once on the same cores: their summed steps/s.

    At once, not one after the other times W: the loops share the caches and the memory bus as the
    arena's workers do, and the emulators' share of the cores is what the ratio is left to show.
    """
    ctx = multiprocessing.get_context("spawn")
    start, rates = ctx.Barrier(workers), ctx.Queue()
    args = (kwargs, copies, threads, rollouts, start, rates)
    procs = [ctx.Process(target=_bare_worker, args=args) for _ in range(workers)]
    for proc in procs:
        proc.start()
    total = sum(rates.get(timeout=3600) for _ in procs)
    for proc in procs:
        proc.join()
    return total


def arena_run(recipe: str, kwargs: dict, rollouts: int) -> tuple[float, float]:
    """Agent steps per second of the recipe run through the arena: in steady state (from the end of its first
    update to the end of its last, by the times ``metrics.csv`` keeps) and over its whole round."""
    r = RECIPES[recipe]
    from gymnasium import spaces

    from arena.algos.ppo import PPO

    workers = (r.ranks - 1) // 2
    n_steps = PPO.config_for(spaces.Box(0, 255, (4, 84, 84), np.uint8), kwargs).n_steps
    steps = rollouts * n_steps * r.copies * workers
    with tempfile.TemporaryDirectory() as tmp:
        write_scripts(tmp, recipe, r.game, r.ranks, r.policy, kwargs, r.copies, steps, seed=0)
        cmd = run_command(r.ranks)
        out = subprocess.run(
            cmd, cwd=tmp, env={**os.environ, "OMP_NUM_THREADS": "1"}, check=True, capture_output=True, text=True
        )
        with open(os.path.join(tmp, "log_comms", "policy_1", METRICS_FILE)) as f:
            updates = [(step, t) for tag, _, step, t in parse_metrics(f.read()) if tag == "losses/policy_loss"]
    # Each update's global step (every worker's steps) and the root worker's clock when it ended.
    (first_step, first_t), (last_step, last_t) = updates[0], updates[-1]
    # The round's own clock: from kickoff to the last step, emulators' start-up and first resets included.
    done = re.search(r"round 0 done: ([\d,]+) environment steps in ([\d.]+) s", out.stdout)
    return (last_step - first_step) / (last_t - first_t), int(done.group(1).replace(",", "")) / float(done.group(2))


def main() -> None:
    """Bare loop and arena, alternately; prints each measurement, the medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipe", default="pong-ppo-cpu", choices=sorted(RECIPES))
    parser.add_argument("--rollouts", type=int, default=12)
    parser.add_argument("--quick", action="store_true", help="one measurement of each, 2 rollouts, PPO's epochs 1")
    args = parser.parse_args()
    if args.rollouts < 2:  # the first rollout is the warm-up on both sides; the rate needs one after it
        parser.error("--rollouts must be at least 2")
    r = RECIPES[args.recipe]
    repeats, rollouts = (1, 2) if args.quick else (2, args.rollouts)
    kwargs = {**r.kwargs, **QUICK_KWARGS.get(r.policy, {})} if args.quick else r.kwargs  # both sides alike
    threads = int(kwargs.get("torch_threads", 1))
    workers = (r.ranks - 1) // 2  # every copy of the match: an environment rank and a worker
    bare, arena = [], []
    for i in range(repeats):
        order = ("bare", "arena") if i % 2 == 0 else ("arena", "bare")
        for which in order:
            if which == "bare":
                bare.append(bare_loops(kwargs, r.copies, threads, rollouts, workers))
                print(f"bare: {bare[-1]:.0f} agent steps/s", flush=True)
            else:
                steady, whole_round = arena_run(args.recipe, kwargs, rollouts)
                arena.append(steady)
                print(f"arena: {steady:.0f} agent steps/s ({whole_round:.0f} over its whole round)", flush=True)
    b, a = statistics.median(bare), statistics.median(arena)
    print(f"recipe {args.recipe}: bare loop {b:.0f} steps/s, arena {a:.0f} steps/s (medians of {repeats})")
    print(f"ratio arena / bare: {a / b:.2f}")


if __name__ == "__main__":
    main()
