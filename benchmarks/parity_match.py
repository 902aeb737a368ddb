"""One arena PPO run on an Atari game, for ``learning_parity.py``: one match, K copies on one environment rank.

Args: PATH GAME TOTAL_STEPS SEED LOG_DIR [--copies K] [--no-serve-after-lost-life]
PATH is ``batched`` (``make_atari_game(num_copies=K)``, an AtariBatch) or
``python`` (K copies of the tutorial's ``wrap_deepmind(make_atari(...))`` env).
Run it under ``mpiexec -n 3``. ``--no-serve-after-lost-life`` is the ablation
that tested why the batched path once failed to learn (see docs/performance.md).
"""

import argparse

from arena import make_stem
from arena.envs.atari import atari_env_id, make_atari_game
from arena.wrappers.deepmind import make_atari, wrap_deepmind
from arena.wrappers.single_agent_wrappers import single_agent_wrapper

parser = argparse.ArgumentParser()
parser.add_argument("path", choices=["batched", "python"])
parser.add_argument("game")
parser.add_argument("total_steps", type=int)
parser.add_argument("seed", type=int)
parser.add_argument("log_dir")
parser.add_argument("--copies", type=int, default=8)
parser.add_argument(
    "--no-serve-after-lost-life",
    action="store_true",
    help="diagnostic: skip the NOOP and FIRE steps after a lost life, as AtariBatch once did",
)
args = parser.parse_args()
if args.no_serve_after_lost_life:
    from arena.envs.atari import AtariBatch

    AtariBatch._next_life = lambda self, k, frame: frame


def make_batched_env(num_copies=1):
    return make_atari_game(args.game, num_copies=num_copies)


def make_python_env():
    return single_agent_wrapper(wrap_deepmind(make_atari(atari_env_id(args.game))))


make_env = make_batched_env if args.path == "batched" else make_python_env

arena = make_stem(make_env, args.log_dir)
arena.kickoff(
    [[1]],
    {1: "ppo"},
    args.total_steps // args.copies,
    copies_per_env=args.copies,
    seed=args.seed,
    progress_interval=60.0,
)
