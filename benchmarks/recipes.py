"""The learning recipes, and the user's script files that run one: make_env.py and my_main_script.py.

A recipe is a complete setting: policy type, keyword arguments (a preset and threads), ranks,
copies, frames, and the target (the mean of the last ``window`` true game scores). Its
``tested`` says whether a run of it on its machine has been recorded in
``benchmarks/results/learning.csv``.

``write_scripts`` writes the two files in the tutorial's shape (``make_env.py`` and
``my_main_script.py`` with ``scale=True``), so that every committed curve was made by files a
user could have written; ``benchmarks/learning.py`` runs them under ``mpiexec -n RANKS``
and keeps them beside the results. Tutorial 02 quotes the ones of ``pong-ppo-cpu``.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass

FRAMES_PER_STEP = 4


@dataclass(frozen=True)
class Recipe:
    """A complete learning setting, run as ``--recipe NAME``."""

    policy: str
    game: str
    ranks: int  # mpiexec -n
    copies: int  # copies per environment rank
    kwargs: dict  # the policy's keyword arguments
    frames: int = 10_000_000  # the budget (4 frames an agent step)
    target: float = 18.0  # the mean of the last ``window`` true game scores to reach
    window: int = 20
    minutes: float = 120.0  # the wall-clock limit the recipe is meant to meet
    tested: bool = False  # a run on its machine is in benchmarks/results/learning.csv


RECIPES = {
    # Two CPU cores, no GPU: two copies of the match, each an environment rank stepping 8 Pongs and a
    # worker (one torch thread) acting for them; the two workers learn together, averaging gradients, so
    # a minibatch is still 256 rows of a 2,048-row rollout. Against one environment rank of 16 Pongs and
    # one worker with two threads this steps the emulators on both cores at once: 305 against 285 agent
    # steps/s in a 2-minute probe (seed 9).
    # Learning rate 2.5e-4 (the preset's), annealed to 0 at 10M frames: of the three earlier runs the one
    # at 2.5e-4 (seed 1, 16.95 when its 120 minutes ran out at 7.7M frames, at 268 steps/s) did best;
    # 4e-4 swung more (seed 2: 14.25 at 7.6M) and 4e-4 annealed to 0 at 8M frames stopped rising with
    # the rate (seed 3: 11.35). With 3 epochs seed 1 played 10M frames in 95 minutes (437 steps/s),
    # peaked at 17.6 and ended at 10.75, its games split between 21-0 wins in 2,000 steps and close ones
    # of 4,000: still learning when the rate ran out. So 4 epochs (SB3's and CleanRL's count: 16 gradient
    # steps per 1,024 samples, against 12), paid for with the 25 minutes the last run left unused.
    # Seed 2 at 4 epochs (459 steps/s, 91 minutes): +10 after 3.5M frames, then stuck below 15 and ended
    # at 8.60, 42 of its last 100 games lost 20-21; that is the next thing to understand.
    # From 3M frames its games split in two: 19-21 wins and 20-21 losses, as if one kind of serve was
    # never returned (points alternate), while the linearly annealed rate fell towards 0. So the rate
    # adapts to the KL instead (rl_games' "adaptive", threshold 0.01, as its Pong setting), at most 1e-3:
    # uncapped, a 32k-frame probe took it to rl_games' ceiling of 1e-2 within 8 updates. Seed 1: +18 after
    # 3.48M frames in 31.7 minutes (458 steps/s); the rate sat at 1e-3 for 200k steps, then 2e-4 to 4.4e-4.
    "pong-ppo-cpu": Recipe(
        "ppo",
        "Pong",
        ranks=5,
        copies=8,
        kwargs={
            "preset": "atari-fast",
            "n_epochs": 4,
            "adaptive_kl": 0.01,
            "max_learning_rate": 1e-3,
            "torch_threads": 1,
            "evaluation": False,
        },
        frames=10_000_000,
        tested=True,
    ),
    # Two CPU cores, no GPU: one environment rank steps 10 Pongs, the worker acts for them and takes one
    # gradient step (a batch of 32) after every step of the 10: Tianshou's ratio of updates to play.
    # Seed 1: +18 after 7.03M frames in 113.7 minutes (257 steps/s), close to the 120-minute limit.
    "pong-dqn-cpu": Recipe(
        "dqn",
        "Pong",
        ranks=3,
        copies=10,
        kwargs={"preset": "atari-fast", "torch_threads": 2, "evaluation": False},
        tested=True,
    ),
    # One GPU machine: the same preset, 64 Pongs over 4 environment ranks, learners on the GPU.
    "pong-ppo-gpu": Recipe(
        "ppo", "Pong", ranks=9, copies=16, kwargs={"preset": "atari-fast", "evaluation": False}, minutes=15.0
    ),
}

# What --quick changes in a recipe's keyword arguments, beside its budget: the quick runs check the
# scripts (CI), and PPO's later epochs over each rollout were most of their CPU.
QUICK_KWARGS = {"ppo": {"n_epochs": 1}}


def settings_of(policy: str, game: str, ranks: int, copies: int, kwargs: dict, frames: int) -> dict:
    """A run's full setting, as the ``settings`` column holds it (JSON): what tells tuning runs apart."""
    return {"policy": policy, "game": game, "ranks": ranks, "copies": copies, "kwargs": kwargs, "frames": frames}


def python_literal(value: object) -> str:
    """``value`` (from JSON) as Python source with double quotes, as ruff formats it."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {python_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(v) for v in value) + "]"
    return json.dumps(value) if isinstance(value, str) else repr(value)


def make_env_source(game: str) -> str:
    """make_env.py: the game with DeepMind's preprocessing, K copies stepped together in ale-py's C++ code."""
    return f'''"""{game} with DeepMind's preprocessing; the arena asks for K copies at once (an AtariBatch)."""

from arena.envs.atari import make_atari_game


def make_env(num_copies=1):
    return make_atari_game({json.dumps(game)}, num_copies=num_copies)
'''


def main_script_source(title: str, ranks: int, policy: str, kwargs: dict, copies: int, steps: int, seed: int) -> str:
    """my_main_script.py: one policy's match, copied to fill the ranks, ``copies`` games per environment rank."""
    return f'''"""{title}. Run it from this folder: mpiexec -n {ranks} python my_main_script.py"""

from arena.core.stems import *

arena = make_stem(".", "log_comms/")

# --- only the root process will get beyond this point ---

match_list = [[1]]
policy_types = {{1: {json.dumps(policy)}}}
policy_kwargs = {{1: {python_literal(kwargs)}}}
copies = {copies}  # games on each environment rank, stepped together
steps_per_match = total_steps_to_match_steps(match_list, {steps:_}, copies_per_env=copies)
arena.kickoff(
    match_list,
    policy_types,
    steps_per_match,
    scale=True,
    copies_per_env=copies,
    policy_kwargs=policy_kwargs,
    seed={seed},
)
'''


def write_scripts(folder: str, title: str, game: str, ranks: int, policy: str, kwargs: dict, copies: int,
                  steps: int, seed: int) -> None:  # fmt: skip
    """Write make_env.py and my_main_script.py into ``folder`` (made if needed)."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "make_env.py"), "w") as f:
        f.write(make_env_source(game))
    with open(os.path.join(folder, "my_main_script.py"), "w") as f:
        f.write(main_script_source(title, ranks, policy, kwargs, copies, steps, seed))


def run_command(ranks: int) -> list[str]:
    """``mpiexec -n RANKS python my_main_script.py``, with the mpiexec beside this Python if there is one."""
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return [mpiexec if os.path.exists(mpiexec) else "mpiexec", "-n", str(ranks), sys.executable, "my_main_script.py"]
