"""AtariBatch (one emulator per copy, wrap_deepmind's game) against one K-game AtariVectorEnv, on one core.

    python benchmarks/atari_batch_speed.py [--game Breakout] [--copies 8] [--rounds 5] [--seconds 5]

The AtariVectorEnv row is what AtariBatch wrapped before it matched wrap_deepmind
step for step (it never served after a lost life and kept stacks across lives).
Random actions, no MPI, no learning: the emulator side of an environment rank.
Rounds alternate between the two so that drift in the machine's speed hits both;
the ratio is of the medians. Never used to assert anything.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from arena.envs.atari import AtariBatch, rom_id


def vector_env_stepper(game: str, copies: int):
    """One AtariVectorEnv of ``copies`` games, stepped as the earlier AtariBatch did."""
    from ale_py.vector_env import AtariVectorEnv

    env = AtariVectorEnv(
        rom_id(game), copies, num_threads=1, autoreset_mode="SameStep", episodic_life=False, reward_clipping=False
    )
    env.reset(seed=np.arange(copies))
    return lambda actions: env.step(actions), env.single_action_space.n


def atari_batch_stepper(game: str, copies: int):
    """The current AtariBatch: an emulator per copy, all stepping at once."""
    batch = AtariBatch(game, copies)
    batch.reset(list(range(copies)))
    return lambda actions: batch.step([actions]), batch.action_spaces[0].n


def rate(step, n_actions: int, copies: int, seconds: float, rng: np.random.Generator) -> float:
    """Agent steps per second (all copies together) over ``seconds``."""
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step(rng.integers(0, n_actions, copies))
        steps += copies
    return steps / (time.perf_counter() - start)


def main() -> None:
    """Alternate the two for a few rounds and print the medians and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--game", default="Breakout")
    parser.add_argument("--copies", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as an environment rank gets
    rng = np.random.default_rng(0)
    steppers = {
        "AtariVectorEnv (before)": vector_env_stepper(args.game, args.copies),
        "AtariBatch": atari_batch_stepper(args.game, args.copies),
    }
    rates: dict[str, list[float]] = {name: [] for name in steppers}
    for round_ in range(args.rounds):
        for name, (step, n) in steppers.items():
            rates[name].append(rate(step, n, args.copies, args.seconds, rng))
        print(f"round {round_ + 1}: " + ", ".join(f"{k} {v[-1]:,.0f}" for k, v in rates.items()), flush=True)
    medians = {name: float(np.median(v)) for name, v in rates.items()}
    print(f"\n{args.game}, {args.copies} copies, one core, random actions (agent steps/s, median of {args.rounds}):")
    for name, value in medians.items():
        print(f"  {name:<26} {value:>8,.0f}")
    print(f"  ratio AtariBatch / before  {medians['AtariBatch'] / medians['AtariVectorEnv (before)']:>8.2f}")


if __name__ == "__main__":
    main()
