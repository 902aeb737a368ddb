"""One arena PPO run on an Atari game, for ``learning_parity.py``: one match, K copies on one environment rank.

Args: PATH GAME TOTAL_STEPS SEED LOG_DIR [--copies K] [--serve-log FILE]
PATH is ``batched`` (``make_atari_game(num_copies=K)``, ale-py's AtariVectorEnv) or
``python`` (K copies of the tutorial's ``wrap_deepmind(make_atari(...))`` env).
Run it under ``mpiexec -n 3``. ``--serve-log`` counts, per copy, the steps spent
after a lost life before the agent's first FIRE: how long a game waits for a serve
(Breakout shows no ball until FIRE is pressed). ``--no-serve-after-lost-life`` is the
ablation that found why the batched path once failed to learn (see the README).
"""

import argparse
import json

import numpy as np

from arena import make_stem
from arena.envs.atari import atari_env_id, make_atari_game
from arena.wrappers.atari import make_atari, wrap_deepmind
from arena.wrappers.single_agent_wrappers import single_agent_wrapper

parser = argparse.ArgumentParser()
parser.add_argument("path", choices=["batched", "python"])
parser.add_argument("game")
parser.add_argument("total_steps", type=int)
parser.add_argument("seed", type=int)
parser.add_argument("log_dir")
parser.add_argument("--copies", type=int, default=8)
parser.add_argument("--serve-log", default=None)
parser.add_argument(
    "--no-serve-after-lost-life",
    action="store_true",
    help="diagnostic: skip the NOOP and FIRE steps after a lost life, as AtariBatch once did",
)
args = parser.parse_args()
if args.no_serve_after_lost_life:
    from arena.envs.atari import AtariBatch

    AtariBatch._next_life = lambda self, k, frame: frame


class ServeWaits:
    """Wraps an env batch and counts steps between a lost life and the next FIRE (action 1), per copy."""

    def __init__(self, batch, path: str):
        self.batch, self.path = batch, path
        self.num_copies = batch.num_copies
        self.observation_spaces, self.action_spaces = batch.observation_spaces, batch.action_spaces
        self.waiting = np.zeros(self.num_copies, bool)
        self.wait_steps = np.zeros(self.num_copies, np.int64)
        self.steps, self.fires, self.lives_lost = 0, 0, 0

    def reset(self, seeds):
        return self.batch.reset(seeds)

    def step(self, actions):
        fire = np.asarray(actions[0]) == 1
        self.fires += int(fire.sum())
        self.waiting &= ~fire
        self.wait_steps += self.waiting
        step = self.batch.step(actions)
        self.steps += self.num_copies
        for k, ended in step.ended.items():
            if not ended.final_infos[0].get("game_over", True):
                self.waiting[k] = True
                self.lives_lost += 1
        return step

    def render(self, copy):
        return self.batch.render(copy)

    def close(self):
        with open(self.path, "w") as f:
            json.dump(
                {
                    "steps": self.steps,
                    "wait_steps": int(self.wait_steps.sum()),
                    "fires": self.fires,
                    "lives_lost": self.lives_lost,
                },
                f,
            )
        self.batch.close()


def make_batched_env(num_copies=1):
    return make_atari_game(args.game, num_copies=num_copies)


def make_python_env():
    return single_agent_wrapper(wrap_deepmind(make_atari(atari_env_id(args.game))))


if args.path == "batched":
    make_env = make_batched_env
    if args.serve_log:

        def make_env(num_copies=1):  # noqa: F811
            env = make_batched_env(num_copies)
            return ServeWaits(env, args.serve_log) if num_copies > 1 else env
else:
    make_env = make_python_env

arena = make_stem(make_env, args.log_dir)
arena.kickoff(
    [[1]],
    {1: "ppo"},
    args.total_steps // args.copies,
    copies_per_env=args.copies,
    seed=args.seed,
    progress_interval=60.0,
)
