"""Watch and score a trained policy (PPO, DQN, SAC, TD3 or DDPG), without MPI: ``python -m arena.evaluate``.

    python -m arena.evaluate examples/pong_batched --policy 1 --games 10 --epsilon 0.05
    python -m arena.evaluate examples/pong_dqn --policy 1 --checkpoint best    # a catalog entry
    python -m arena.evaluate examples/pong_dqn --policy 1 --list               # the catalog

loads ``<log_dir>/policy_<id>/checkpoint.pt`` (or an entry of ``checkpoints/catalog.json``:
``best``, ``latest`` or a step), builds the env from ``make_env.py``, plays whole games
with ``arena.evaluation.games``, prints mean, std, min and max, and writes a video of the
first game.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from arena.evaluation.games import evaluate
from arena.evaluation.schedule import read_catalog
from arena.storage.files import CATALOG, CHECKPOINT, FolderLock, atomic_path, check_file_name, read_versions
from arena.storage.records import policy_dir


def catalog_checkpoint(folder: str, which: str) -> str:
    """The file of a catalog entry: ``best``, ``latest``, or a step (``2000000`` or ``step_2000000``)."""
    catalog = read_versions(os.path.join(folder, CATALOG), json.loads)
    if catalog is None:
        raise FileNotFoundError(f"no checkpoint catalog in {folder}: the policy was trained without evaluation")
    if which in ("best", "latest"):
        name = catalog.get(which) and catalog[which]["file"]
    else:
        step = int(which.removeprefix("step_").removesuffix(".pt"))
        name = next((e["file"] for e in catalog["entries"] if e["step"] == step), None)
    if not name:
        steps = [e["step"] for e in catalog["entries"]]
        raise ValueError(f"no catalog entry {which!r} in {folder}; entries at steps {steps} (and best, latest)")
    return os.path.join(folder, check_file_name(name))  # a catalog never points outside its folder


def print_catalog(folder: str) -> None:
    """The catalog as a table: step, frames, games, mean, std, min, max, file."""
    catalog = read_versions(os.path.join(folder, CATALOG), json.loads) or read_catalog(None)
    print(f"{'step':>12} {'frames':>12} {'games':>5} {'mean':>8} {'std':>7} {'min':>7} {'max':>7}  file")
    for e in catalog["entries"]:
        mark = " (best)" if catalog.get("best", {}).get("step") == e["step"] else ""
        print(
            f"{e['step']:>12,} {e['frames']:>12,} {e['games']:>5} {e['mean']:>8.2f} {e['std']:>7.2f} "
            f"{e['min']:>7g} {e['max']:>7g}  {e['file']}{mark}"
        )


def main(argv: list[str] | None = None) -> int:
    """The command line."""
    p = argparse.ArgumentParser(prog="python -m arena.evaluate", description=__doc__.split("\n\n")[0])
    p.add_argument("make_env", help="directory holding make_env.py, or the file itself")
    p.add_argument("--policy", type=int, required=True, help="policy id whose checkpoint to play")
    p.add_argument("--log-dir", default=None, help="the run's log_comms_dir (default: <make_env dir>/log_comms)")
    p.add_argument("--checkpoint", default=None, help="a catalog entry: best, latest or a step (default: the last)")
    p.add_argument("--list", action="store_true", help="print the policy's checkpoint catalog and exit")
    p.add_argument("--games", type=int, default=10, help="number of whole games (default 10)")
    p.add_argument("--epsilon", type=float, default=0.0, help="probability of a random action (default 0)")
    p.add_argument("--sample", action="store_true", help="sample actions instead of taking the most likely")
    p.add_argument("--entity", type=int, default=0, help="the entity the policy plays (others act randomly)")
    p.add_argument("--video", default=None, help="MP4 path for game 1 (default: eval_game.mp4 in the policy folder)")
    p.add_argument("--no-video", action="store_true", help="write no video")
    p.add_argument("--max-frames", type=int, default=None, help="cut games at this many frames (Atari default 18,000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--env-kwargs", default="{}", help="JSON keyword arguments for make_env")
    args = p.parse_args(argv)
    base = args.make_env if os.path.isdir(args.make_env) else os.path.dirname(os.path.abspath(args.make_env))
    log_dir = args.log_dir or os.path.join(base, "log_comms")
    folder = policy_dir(log_dir, args.policy)
    try:
        if args.list:
            print_catalog(folder)
            return 0
        checkpoint = catalog_checkpoint(folder, args.checkpoint) if args.checkpoint else None
        checkpoint = checkpoint or os.path.join(folder, CHECKPOINT)
        if not os.path.isfile(checkpoint):
            raise FileNotFoundError(f"no checkpoint at {checkpoint}; train policy {args.policy} first")
        lock = FolderLock(log_dir).acquire()  # it writes eval.json and a video into the policy's folder
    except (OSError, ValueError, RuntimeError) as exc:  # FolderLockedError and CorruptFileError are RuntimeErrors
        print(f"[evaluate] {exc}", file=sys.stderr)
        return 2
    video = None if args.no_video else args.video or os.path.join(folder, "eval_game.mp4")
    try:
        summary = evaluate(
            args.make_env,
            checkpoint,
            args.games,
            args.epsilon,
            args.sample,
            args.entity,
            video,
            args.seed,
            json.loads(args.env_kwargs),
            args.max_frames,
        )
        with atomic_path(os.path.join(folder, "eval.json")) as tmp, open(tmp, "w") as f:
            json.dump(summary, f, indent=1)
    except ValueError as exc:  # a checkpoint of a type it cannot play, an entity out of range, an env without frames
        print(f"[evaluate] {exc}", file=sys.stderr)
        return 2
    finally:
        lock.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
