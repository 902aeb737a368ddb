"""The evaluation protocol during training: a policy's root worker scores its policy on a schedule in frames.

Light evaluations (10 games) every 500k frames and full ones (30 games) every 2M
frames, by default, each with epsilon 0.05, whole games (a lost life is not a game
over), true unclipped scores, up to 30 no-op starts and a cap of 18,000 frames per
game (108,000 with sticky actions). The games run in a child process
(``arena.core.eval_process``) on the root worker's host, so the policy's matches
never wait for them: the root worker hands the child the weights and goes on
playing; between steps it looks (without waiting) for the scores.

What a full evaluation leaves in the policy's folder, written through the arena:
  - ``checkpoints/step_<N>.pt``: the checkpoint it scored (the one checkpoint format);
  - ``videos/step_<N>.mp4``: its first game;
  - ``checkpoints/catalog.json``: every scored checkpoint with its scores, and
    ``best`` and ``latest``, also as real copies ``checkpoints/best.pt`` and
    ``checkpoints/latest.pt`` (no symlinks: they work on any file system);
and every evaluation, light or full, a row of ``eval_log.csv`` (type, step, frames,
mean, std, min, max, games, seconds) and ``eval/*`` metrics. A resumed run reads the
catalog back, so ``best`` stays the best of the whole run.
"""

from __future__ import annotations

import dataclasses
import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from arena.core.eval_process import read_frame, write_frame
from arena.evaluate import summarize

CATALOG = "checkpoints/catalog.json"
EVAL_LOG = "eval_log.csv"
EVAL_LOG_HEADER = "type,step,frames,mean,std,min,max,games,seconds\n"
# The child imports torch and builds the env while the match waits for this worker's first action:
# well under an environment rank's silence limit (120 s by default).
START_TIMEOUT_S = 60.0
# Launcher variables that would make the child try to join the MPI job.
MPI_ENV_PREFIXES = ("PMI_", "PMIX_", "HYDRA_", "MPIR_", "MPICH_", "OMPI_", "I_MPI_")


@dataclass
class EvalOptions:
    """The protocol's settings, the policy option ``evaluation`` (a dict of these, True for the defaults, or False)."""

    light_every: int = 500_000  # emulator frames between light evaluations (agent steps x frame skip)
    full_every: int = 2_000_000  # frames between full evaluations (each saves a checkpoint and a video)
    light_games: int = 10
    full_games: int = 30
    epsilon: float = 0.05  # probability of a random action (the papers' evaluation epsilon)
    max_frames: int | None = None  # per game; None: 18,000 for Atari (108,000 with sticky actions), else no cap
    video: bool = True  # film the first game of each full evaluation


def evaluation_options(value: bool | dict | None, image_obs: bool) -> EvalOptions | None:
    """The options for the policy option ``evaluation``; None (the default) evaluates image-observation policies."""
    if value is None:
        value = image_obs
    if value is False:
        return None
    if value is True:
        return EvalOptions()
    if not isinstance(value, dict):
        raise TypeError(f"evaluation must be True, False, None or a dict of {_option_names()}, not {value!r}")
    unknown = set(value) - set(_option_names())
    if unknown:
        raise TypeError(f"unknown evaluation options {sorted(unknown)}; the options are {_option_names()}")
    options = EvalOptions(**value)
    counts = (options.light_every, options.full_every, options.light_games, options.full_games)
    if min(counts) < 1 or not 0 <= options.epsilon <= 1 or (options.max_frames or 1) < 1:
        raise ValueError(f"evaluation: the intervals and game counts must be positive, epsilon in [0, 1]: {value}")
    return options


def _option_names() -> list[str]:
    return [f.name for f in dataclasses.fields(EvalOptions)]


@dataclass
class EvalGame:
    """What the child needs to build the policy's game: ``make_env``'s source, the match's kwargs, the entities."""

    source: tuple | str  # arena.core.env_api.make_env_source: a tuple, or why the child cannot load it
    env_kwargs: dict
    entities: tuple[int, ...]
    sys_path: list[str]


def next_mark(frames: int, every: int) -> int:
    """The first multiple of ``every`` after ``frames``."""
    return (frames // every + 1) * every


def read_catalog(data: bytes | None) -> dict:
    """The catalog from its bytes (an empty one for None)."""
    return json.loads(data) if data else {"entries": [], "best": None, "latest": None}


def add_to_catalog(catalog: dict, entry: dict) -> bool:
    """Add a full evaluation's entry as ``latest``, and as ``best`` if no entry scored a higher mean (then True)."""
    catalog["entries"] = [e for e in catalog["entries"] if e["step"] != entry["step"]] + [entry]
    catalog["latest"] = entry | {"file": "checkpoints/latest.pt", "source": entry["file"]}
    best = catalog.get("best")
    if best is None or entry["mean"] >= best["mean"]:
        catalog["best"] = entry | {"file": "checkpoints/best.pt", "source": entry["file"]}
        return True
    return False


def child_environment() -> dict:
    """This process's environment without the MPI launcher's variables, and MPI left uninitialised."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(MPI_ENV_PREFIXES)}
    return env | {"MPI4PY_RC_INITIALIZE": "false", "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}


class Evaluator:
    """The root worker's side: starts the child, sends weights when an evaluation is due, saves what comes back."""

    def __init__(self, game: EvalGame, options: EvalOptions, files: Any, metrics: Any, who: str, seed: int):
        self.options, self.files, self.metrics, self.who = options, files, metrics, who
        self.catalog = read_catalog(files.read(CATALOG))
        self.log_started = files.read(EVAL_LOG) is not None
        self.pending: dict | None = None  # the evaluation the child is playing: kind, step, frames, state
        self.child = subprocess.Popen(
            [sys.executable, "-m", "arena.core.eval_process"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=child_environment(),
        )
        start = ("start", game.source, game.env_kwargs, game.entities, game.sys_path, seed, options.max_frames)
        write_frame(self.child.stdin, start)
        reply = self._receive(START_TIMEOUT_S)
        if reply[0] == "timeout":
            print(f"[eval] {who}: no evaluation during training: {reply[1]}", flush=True)
            self.child.kill()
            self.child = None
            return
        if reply[0] != "ready":
            self.close()
            raise RuntimeError(f"{who}: the evaluation process could not build the game:\n{reply[1]}")
        self.frame_skip = reply[1]["frame_skip"]
        self.next_light = self.next_full = None

    def describe(self) -> str:
        """The schedule, for the start-up line."""
        o = self.options
        return (
            f"{o.light_games} games every {o.light_every:,} frames, {o.full_games} (checkpoint, video) every "
            f"{o.full_every:,}; epsilon {o.epsilon:g}; {self.frame_skip} frames per step"
        )

    def tick(self, global_step: int, snapshot: Callable[[], bytes]) -> None:
        """Between steps: take in finished results, and start the evaluation that is due (weights from ``snapshot``)."""
        if self.child is None:
            return
        if self.pending is not None:
            if not self._ready():
                return
            self._finish(self._receive(None))
        frames = global_step * self.frame_skip
        if self.next_light is None:  # the first tick: a resumed run goes on from its step
            self.next_light = next_mark(frames, self.options.light_every)
            self.next_full = next_mark(frames, self.options.full_every)
        if frames >= self.next_full or frames >= self.next_light:
            self._start(global_step, frames, "full" if frames >= self.next_full else "light", snapshot())

    def finish(self, global_step: int, snapshot: Callable[[], bytes]) -> None:
        """At the run's end: wait for the evaluation under way, play the one due at the last step, stop the child.

        So a run whose budget ends on a mark (1M steps: 4M frames) ends with its full evaluation.
        """
        for _ in range(2):
            if self.child is not None and self.pending is not None:
                print(f"[eval] {self.who}: waiting for the {self.pending['kind']} evaluation under way", flush=True)
                self._finish(self._receive(None))
            self.tick(global_step, snapshot)
        self.close()

    def close(self) -> None:
        """Stop the child: an idle one ends when its stdin closes; one still playing (a stop) is killed."""
        if self.child is None:
            return
        if self.pending is not None:
            self.child.kill()
        self.child.stdin.close()
        try:
            self.child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.child.kill()
        self.child = None

    # ------------------------------------------------------------ inside
    def _start(self, global_step: int, frames: int, kind: str, state: bytes) -> None:
        """Send the weights and the request; move the marks past ``frames``."""
        games = self.options.full_games if kind == "full" else self.options.light_games
        request = {"kind": kind, "step": global_step, "state": state, "games": games}
        request |= {"epsilon": self.options.epsilon, "video": kind == "full" and self.options.video}
        write_frame(self.child.stdin, ("evaluate", request))
        self.pending = {"kind": kind, "step": global_step, "frames": frames, "state": state}
        self.next_light = next_mark(frames, self.options.light_every)
        if kind == "full":
            self.next_full = next_mark(frames, self.options.full_every)

    def _ready(self) -> bool:
        """True when the child has written something (a look, no wait)."""
        return bool(select.select([self.child.stdout], [], [], 0)[0])

    def _receive(self, timeout: float | None) -> tuple:
        """The child's next message; ("error", why) if it died or stayed silent past ``timeout``."""
        if timeout is not None and not select.select([self.child.stdout], [], [], timeout)[0]:
            return ("timeout", f"the evaluation process did not start within {timeout:g} s")
        try:
            return read_frame(self.child.stdout)
        except (EOFError, OSError) as exc:
            return ("error", f"the evaluation process ended (exit code {self.child.poll()}): {exc}")

    def _finish(self, reply: tuple) -> None:
        """Save and report a finished evaluation; after an error, say why and evaluate no more."""
        pending, self.pending = self.pending, None
        if reply[0] != "result":
            print(f"[eval] {self.who}: evaluation failed; training goes on without it:\n{reply[1]}", flush=True)
            self.close()
            return
        result = reply[1]
        stats = {k: float(v) for k, v in summarize(result["scores"]).items()} | {"games": len(result["scores"])}
        self._log(pending, stats, result)
        best = self._save_full(pending, stats, result) if pending["kind"] == "full" else False
        capped = f", {result['capped']} cut at the frame cap" if result["capped"] else ""
        print(
            f"[eval] {self.who}: {pending['kind']} evaluation at step {pending['step']:,} "
            f"({pending['frames']:,} frames): {stats['games']} games, mean {stats['mean']:.2f} "
            f"std {stats['std']:.2f} (min {stats['min']:g}, max {stats['max']:g}){capped}, "
            f"{result['seconds']:.0f} s" + (", best so far" if best else ""),
            flush=True,
        )

    def _log(self, pending: dict, stats: dict, result: dict) -> None:
        """A row of eval_log.csv and the eval/* metrics, at the step whose weights played."""
        if not self.log_started:
            self.files.write(EVAL_LOG, EVAL_LOG_HEADER.encode())
            self.log_started = True
        row = [pending["kind"], pending["step"], pending["frames"]] + [f"{stats[k]:g}" for k in ("mean", "std")]
        row += [f"{stats['min']:g}", f"{stats['max']:g}", stats["games"], f"{result['seconds']:.1f}"]
        self.files.append(EVAL_LOG, (",".join(map(str, row)) + "\n").encode())
        if self.metrics is not None:
            values = {"eval/episodic_return": stats["mean"], "eval/episodic_return_std": stats["std"]}
            values |= {"eval/random_action_fraction": result["random_actions"]}
            self.metrics.log(values, pending["step"])

    def _save_full(self, pending: dict, stats: dict, result: dict) -> bool:
        """The checkpoint, the video, and the catalog with best and latest; True if this is the best so far."""
        step = pending["step"]
        entry = {"step": step, "frames": pending["frames"], "file": f"checkpoints/step_{step}.pt"}
        entry |= {k: stats[k] for k in ("games", "mean", "std", "min", "max")}
        entry |= {"epsilon": self.options.epsilon, "time": time.strftime("%Y-%m-%d %H:%M:%S")}
        self.files.write(entry["file"], pending["state"])
        if result["video"]:
            entry["video"] = f"videos/step_{step}.mp4"
            self.files.write(entry["video"], result["video"])
        best = add_to_catalog(self.catalog, entry)
        self.files.write("checkpoints/latest.pt", pending["state"])
        if best:
            self.files.write("checkpoints/best.pt", pending["state"])
        self.files.write(CATALOG, json.dumps(self.catalog, indent=1).encode())
        return best


def start_evaluator(
    game: EvalGame | None, options: EvalOptions | None, asked: bool, files: Any, metrics: Any, who: str, seed: int
) -> Evaluator | None:
    """The root worker's evaluator, or None where the protocol cannot run: an error if the user ``asked`` for it."""
    if options is None or game is None or files is None:
        return None
    if isinstance(game.source, str):
        if asked:
            raise ValueError(f"{who}: evaluation was asked for, but {game.source}")
        print(f"[eval] {who}: no evaluation during training: {game.source}", flush=True)
        return None
    evaluator = Evaluator(game, options, files, metrics, who, seed)
    if evaluator.child is None:
        return None
    print(f"[eval] {who}: {evaluator.describe()}", flush=True)
    return evaluator


__all__ = ["CATALOG", "EVAL_LOG", "EvalGame", "EvalOptions", "Evaluator", "evaluation_options", "start_evaluator"]
