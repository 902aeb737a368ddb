"""The evaluation process: plays a policy's evaluation games beside its root worker, outside MPI.

A policy's root worker (``arena.evaluation.schedule``) starts ``python -m arena.evaluation.process``
on its own host, so that thirty games of Atari never stall the policy's matches. The
child touches no file of the run: it gets the weights over its stdin and sends scores
and the video's bytes back over its stdout, and the root worker saves them through the
arena. Anything the child or its libraries print goes to stderr, so stdout carries
frames only; the root worker shows that stderr only if the child fails.

The child is no rank of the job. Its parent removes the MPI launcher's variables from
its environment, so a ``make_env.py`` that imports mpi4py (as the AI Arena tutorial's
does, to seed by rank) initialises MPI here as a world of its own:
``MPI.COMM_WORLD.Get_rank()`` is 0 and ``Get_size()`` is 1, and nothing reaches the
job's ranks. The evaluation seeds its games itself, so a seed drawn from the rank
changes nothing.

Frames (``arena.evaluation.pipe``): an 8-byte length, then a pickle. Messages, in order:
  parent -> child  ("start", source, env_kwargs, entities, sys_path, seed, max_frames)
  child -> parent  ("ready", {"frame_skip", "max_steps", "noop_starts"})   or ("error", text)
  parent -> child  ("evaluate", {"kind", "step", "state", "games", "epsilon", "video"})
  child -> parent  ("result", {"kind", "step", "scores", "steps", "capped", "random_actions",
                               "seconds", "video": bytes | None})          or ("error", text)
and so on until the parent closes the child's stdin.
"""

from __future__ import annotations

import os
import sys
import time
from typing import IO

import numpy as np
import torch

from arena.algos.torch_sync import state_from_bytes
from arena.envs.api import describe_error, entity_spaces, load_make_env_source, reset_env
from arena.evaluation.games import VideoWriter, game_cap, load_actor, make_chooser, play_game
from arena.evaluation.pipe import read_frame, write_frame
from arena.storage.scratch import remove_scratch, scratch_folder


class Games:
    """The child's env and what the protocol knows about it."""

    def __init__(self, source: tuple, env_kwargs: dict, entities: tuple, seed: int, max_frames: int | None):
        self.env = load_make_env_source(source)(**env_kwargs)
        self.obs_spaces, self.act_spaces = entity_spaces(self.env)
        self.n, self.entities = len(self.obs_spaces), list(entities)
        self.rng = np.random.default_rng(seed)
        for i, space in enumerate(self.act_spaces):
            space.seed(seed + i)
        reset_env(self.env, self.n, seed=seed)
        self.max_steps, self.frame_skip, self.noop_starts = game_cap(self.env, max_frames)

    def facts(self) -> dict:
        """What the parent schedules by."""
        return {"frame_skip": self.frame_skip, "max_steps": self.max_steps, "noop_starts": self.noop_starts}

    def evaluate(self, request: dict) -> dict:
        """Play ``request["games"]`` games with the state's greedy policy; film the first if asked."""
        start = time.perf_counter()
        space = self.act_spaces[self.entities[0]]
        act = load_actor(state_from_bytes(request["state"]), self.obs_spaces[self.entities[0]], space)
        choose = make_chooser(act, space, request["epsilon"], False, self.rng)
        games, video = [], None
        tmp = scratch_folder("arena_eval_") if request["video"] else None  # removed even if this child is killed
        try:
            for game in range(request["games"]):
                writer = VideoWriter(os.path.join(tmp, "game.mp4")) if tmp is not None and game == 0 else None
                games.append(
                    play_game(
                        self.env, self.n, self.entities, choose, self.act_spaces, writer,
                        self.max_steps, self.noop_starts, self.rng,
                    )
                )  # fmt: skip
                if writer is not None and writer.frames:
                    writer.close()
                    with open(writer.path, "rb") as f:
                        video = f.read()
        finally:
            if tmp is not None:
                remove_scratch(tmp)
        return {
            "kind": request["kind"],
            "step": request["step"],
            "scores": [g.score for g in games],
            "steps": [g.steps for g in games],
            "capped": sum(g.capped for g in games),
            "random_actions": choose.random / max(choose.actions, 1),
            "seconds": time.perf_counter() - start,
            "video": video,
        }


def serve(inbox: IO[bytes], outbox: IO[bytes]) -> None:
    """Answer the parent's messages until it closes the pipe."""
    games = None
    while True:
        try:
            message = read_frame(inbox)
        except EOFError:
            return
        try:
            if message[0] == "start":
                _, source, env_kwargs, entities, sys_path, seed, max_frames = message
                sys.path += [p for p in sys_path if p not in sys.path]  # at the end: nothing shadowed
                games = Games(source, env_kwargs, entities, seed, max_frames)
                write_frame(outbox, ("ready", games.facts()))
            else:
                write_frame(outbox, ("result", games.evaluate(message[1])))
        except Exception as exc:  # reported to the parent, which stops evaluating and says why
            write_frame(outbox, ("error", describe_error(exc, frames=6)))


def main() -> None:
    """Keep stdout for frames (a dup of fd 1); everything printed, by Python or C++ (ALE's banner), goes to stderr."""
    torch.set_num_threads(1)  # the child shares the host's cores with the ranks
    outbox = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    serve(sys.stdin.buffer, outbox)


if __name__ == "__main__":
    main()
