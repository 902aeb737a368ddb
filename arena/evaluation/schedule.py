"""The evaluation protocol during training: a policy's root worker scores its policy on a schedule in frames.

Light evaluations (10 games) every 500k frames and full ones (30 games) every 2M
frames, by default, each with epsilon 0.05, whole games (a lost life is not a game
over), true unclipped scores, up to 30 no-op starts and a cap of 18,000 frames per
game (108,000 with sticky actions). The games run in a child process
(``arena.evaluation.process``) on the root worker's host, so the policy's matches
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

import contextlib
import dataclasses
import json
import os
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from arena.evaluation.pipe import read_frame, write_frame
from arena.evaluation.summary import summarize
from arena.storage.files import CATALOG

EVAL_LOG = "eval_log.csv"
EVAL_LOG_HEADER = "type,step,frames,mean,std,min,max,games,seconds\n"
# The child imports torch and builds the env while the policy plays on; past this it is given up.
START_DEADLINE_S = 600.0
# Launcher variables that would make the child take itself for one of the job's ranks. Without them,
# a make_env.py that imports mpi4py initialises MPI in the child as a world of its own (singleton).
MPI_ENV_PREFIXES = ("PMI_", "PMIX_", "HYDRA_", "MPIR_", "MPICH_", "OMPI_", "PRTE_", "I_MPI_")
ENV_VARIABLE = "ARENA_EVALUATION"  # read on rank 0 at kickoff: the option ``evaluation`` for every learner
STDERR_TAIL_BYTES = 6_000  # of the child's stderr, shown when it fails


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
    deadline_s: float = 1800.0  # an evaluation still playing after this is killed, and evaluation turns off


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
    if min(counts) < 1 or not 0 <= options.epsilon <= 1 or (options.max_frames or 1) < 1 or options.deadline_s <= 0:
        raise ValueError(f"evaluation: the intervals and game counts must be positive, epsilon in [0, 1]: {value}")
    return options


def evaluation_from_environment(text: str) -> bool | dict:
    """The option ``evaluation`` that ``ARENA_EVALUATION`` gives: 0/off, 1/on, or a JSON dict of EvalOptions' fields.

    It lets a script that cannot be edited (arena5's examples, the tutorial's files) choose the
    schedule: ``ARENA_EVALUATION='{"light_every": 4000, "light_games": 2}'``.
    """
    word = text.strip().lower()
    if word in ("0", "off", "false", "no"):
        return False
    if word in ("1", "on", "true", "yes"):
        return True
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise ValueError(f"{ENV_VARIABLE} must be 0, 1 or a JSON dict of {_option_names()}, not {text!r}")
    evaluation_options(value, image_obs=True)  # the same checks as the policy option
    return value


def _option_names() -> list[str]:
    return [f.name for f in dataclasses.fields(EvalOptions)]


@dataclass
class EvalGame:
    """What the child needs to build the policy's game: ``make_env``'s source, the match's kwargs, the entities."""

    source: tuple | str  # arena.envs.api.make_env_source: a tuple, or why the child cannot load it
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
    """This process's environment without the MPI launcher's variables: MPI, if the child uses it, is a world of one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(MPI_ENV_PREFIXES)}
    # PYTHONFAULTHANDLER: a crash in C (an MPI library's abort, a segfault) still prints the Python stack.
    return env | {"OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1", "PYTHONFAULTHANDLER": "1"}


class Evaluator:
    """The root worker's side: starts the child, sends weights when an evaluation is due, saves what comes back.

    Nothing here waits on the child while the policy plays: the child starts in the background
    (``tick`` looks for its "ready"), and any failure of the child turns evaluation off with one
    warning carrying the child's own words (its error, or the tail of its stderr).
    """

    def __init__(self, game: EvalGame, options: EvalOptions, files: Any, metrics: Any, who: str, seed: int):
        self.options, self.files, self.metrics, self.who = options, files, metrics, who
        self.catalog = files.read_parsed(CATALOG, json.loads) or read_catalog(None)  # a bad one falls back
        self.log_started = files.read(EVAL_LOG) is not None
        self.pending: dict | None = None  # the evaluation the child is playing: kind, step, frames, state
        self.frame_skip: int | None = None  # known once the child is ready
        self.next_light = self.next_full = None
        self.first_step: int | None = None  # the global step of the run's first tick
        # The child's stderr, shown only if it fails: a file, so a chatty child never fills a pipe nobody reads.
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self.child: subprocess.Popen | None = subprocess.Popen(
            [sys.executable, "-m", "arena.evaluation.process"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env=child_environment(),
        )
        self.started_at = time.monotonic()
        start = ("start", game.source, game.env_kwargs, game.entities, game.sys_path, seed, options.max_frames)
        self._send(start)

    @property
    def ready(self) -> bool:
        """True once the child has built the game."""
        return self.frame_skip is not None

    def describe(self) -> str:
        """The schedule, for the start-up line."""
        o = self.options
        return (
            f"{o.light_games} games every {o.light_every:,} frames, {o.full_games} (checkpoint, video) every "
            f"{o.full_every:,}; epsilon {o.epsilon:g}; {self.frame_skip} frames per step"
        )

    def wait_started(self, timeout: float = START_DEADLINE_S) -> bool:
        """Wait up to ``timeout`` s (and no later than the start deadline) for the child; True if it is ready."""
        if self.child is not None and not self.ready:
            left = min(timeout, START_DEADLINE_S - (time.monotonic() - self.started_at))
            self._take_start(max(left, 0.0))
        return self.child is not None and self.ready

    def tick(self, global_step: int, snapshot: Callable[[], bytes]) -> None:
        """Between steps: take in finished results, and start the evaluation that is due (weights from ``snapshot``)."""
        if self.first_step is None:  # the run's first step: a resumed run's marks go on from it
            self.first_step = global_step
        if self.child is None or (not self.ready and not self._take_start(0.0)):
            return
        if self.pending is not None:
            if not self._has_output():
                if time.monotonic() - self.pending["sent"] > self.options.deadline_s:
                    self._overdue()
                return
            self._finish(self._receive())
            if self.child is None:
                return
        frames = global_step * self.frame_skip
        if self.next_light is None:  # the child is ready: marks past the run's first step, some may be due
            self.next_light = next_mark(self.first_step * self.frame_skip, self.options.light_every)
            self.next_full = next_mark(self.first_step * self.frame_skip, self.options.full_every)
        if frames >= self.next_full or frames >= self.next_light:
            self._start(global_step, frames, "full" if frames >= self.next_full else "light", snapshot())

    def finish(self, global_step: int, snapshot: Callable[[], bytes]) -> None:
        """At the run's end: wait for the evaluation under way, play the one due at the last step, stop the child.

        So a run whose budget ends on a mark (1M steps: 4M frames) ends with its full evaluation.
        """
        if self.child is not None and not self.ready:
            print(f"[eval] {self.who}: waiting for the evaluation process to start", flush=True)
            self.wait_started()
        for _ in range(2):
            if self.child is not None and self.pending is not None:
                print(f"[eval] {self.who}: waiting for the {self.pending['kind']} evaluation under way", flush=True)
                left = self.options.deadline_s - (time.monotonic() - self.pending["sent"])
                if self._has_output(max(left, 0.0)):
                    self._finish(self._receive())
                else:
                    self._overdue()
            self.tick(global_step, snapshot)
        self.close()

    def close(self) -> None:
        """Stop the child: an idle one ends when its stdin closes; one still playing (a stop) is killed."""
        if self.child is None:
            return
        if self.pending is not None or not self.ready:
            self.child.kill()
        with contextlib.suppress(OSError):  # a child that died leaves a broken pipe
            self.child.stdin.close()
        try:
            self.child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.child.kill()
            self.child.wait()
        self.child = None
        self.stderr.close()

    # ------------------------------------------------------------ inside
    def _take_start(self, timeout: float) -> bool:
        """Take the child's "ready" if it comes within ``timeout`` s; True if ready. A failure turns evaluation off."""
        if not self._has_output(timeout):
            if time.monotonic() - self.started_at > START_DEADLINE_S:
                self._fail(f"the evaluation process did not start within {START_DEADLINE_S:g} s", stderr=True)
            return False
        reply = self._receive()
        if reply[0] != "ready":
            self._fail(f"the evaluation process could not build the game:\n{reply[1]}", stderr=reply[0] != "error")
            return False
        self.frame_skip = reply[1]["frame_skip"]
        print(f"[eval] {self.who}: {self.describe()}", flush=True)
        return True

    def _start(self, global_step: int, frames: int, kind: str, state: bytes) -> None:
        """Send the weights and the request; move the marks past ``frames``."""
        games = self.options.full_games if kind == "full" else self.options.light_games
        request = {"kind": kind, "step": global_step, "state": state, "games": games}
        request |= {"epsilon": self.options.epsilon, "video": kind == "full" and self.options.video}
        self.next_light = next_mark(frames, self.options.light_every)
        if kind == "full":
            self.next_full = next_mark(frames, self.options.full_every)
        if self._send(("evaluate", request)):
            self.pending = {"kind": kind, "step": global_step, "frames": frames, "state": state}
            self.pending["sent"] = time.monotonic()

    def _send(self, message: tuple) -> bool:
        """Write to the child; False (and evaluation off) if it has gone."""
        try:
            write_frame(self.child.stdin, message)
            return True
        except OSError as exc:  # BrokenPipeError: the child died
            self._fail(f"the evaluation process ended (exit code {self._exit_code()}): {exc}", stderr=True)
            return False

    def _has_output(self, timeout: float = 0.0) -> bool:
        """True when the child has written something (or closed its end) within ``timeout`` s."""
        return bool(select.select([self.child.stdout], [], [], timeout)[0])

    def _receive(self) -> tuple:
        """The child's next message; ("died", why) if it ended instead."""
        try:
            return read_frame(self.child.stdout)
        except (EOFError, OSError) as exc:
            return ("died", f"the evaluation process ended (exit code {self._exit_code()}): {exc}")

    def _exit_code(self) -> int | None:
        """The child's exit code, waiting briefly for a child whose pipe just closed."""
        try:
            return self.child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return None

    def _stderr_tail(self) -> str:
        """The end of what the child wrote to stderr."""
        self.stderr.seek(0, os.SEEK_END)
        size = self.stderr.tell()
        self.stderr.seek(max(0, size - STDERR_TAIL_BYTES))
        text = self.stderr.read().decode(errors="replace").strip()
        return ("...\n" if size > STDERR_TAIL_BYTES else "") + text

    def _fail(self, why: str, stderr: bool) -> None:
        """One warning (with the child's stderr where its own message is missing), then no more evaluation."""
        tail = self._stderr_tail() if stderr else ""
        said = f"\nthe evaluation process's stderr:\n{tail}" if tail else ""
        off = "evaluation is off for the rest of this run; training goes on."
        print(f"[eval] {self.who}: {off}\n{why}{said}", flush=True)
        self.pending = None
        self.close()

    def _overdue(self) -> None:
        """Kill a child whose evaluation ran past the deadline (a game that never ends); evaluation turns off."""
        kind, step = self.pending["kind"], self.pending["step"]
        self.child.kill()
        why = (
            f"the {kind} evaluation at step {step:,} did not end within {self.options.deadline_s:g} s, so its process "
            "was killed; a game without an end needs evaluation={'max_frames': ...} (or a longer 'deadline_s')"
        )
        self._fail(why, stderr=True)

    def _finish(self, reply: tuple) -> None:
        """Save and report a finished evaluation; after an error, say why and evaluate no more."""
        pending, self.pending = self.pending, None
        if reply[0] != "result":
            why = f"the {pending['kind']} evaluation at step {pending['step']:,} failed:\n{reply[1]}"
            self._fail(why, stderr=reply[0] == "died")
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
    """The root worker's evaluator, or None where the protocol cannot run: an error if the user ``asked`` for it.

    The child starts in the background; if it cannot build the game, evaluation turns off with a warning.
    """
    if options is None or game is None or files is None:
        return None
    if isinstance(game.source, str):
        if asked:
            raise ValueError(f"{who}: evaluation was asked for, but {game.source}")
        print(f"[eval] {who}: no evaluation during training: {game.source}", flush=True)
        return None
    return Evaluator(game, options, files, metrics, who, seed)


__all__ = [
    "CATALOG",
    "ENV_VARIABLE",
    "EVAL_LOG",
    "EvalGame",
    "EvalOptions",
    "Evaluator",
    "evaluation_from_environment",
    "evaluation_options",
    "start_evaluator",
]
