"""The message protocol between ranks, in one place: every tag, header kind, flag and per-step buffer layout.

Per-step data travels in preallocated buffers, laid out below from the spaces (the
codecs are ``arena.mpi.buffers``); everything else is a pickled control message, named
below with its direction. Tags stay below ``OBJECT_BROADCAST`` so an algorithm's own
tags never meet them.
"""

from __future__ import annotations

import numpy as np

from arena.mpi.buffers import Field, MessageLayout, SpaceCodec

# rank 0 -> every busy rank: ("round", role, cfg, package) or ("exit",). The package is None
# except for a policy's root worker, which gets its policy's records and files (see home.py).
CONTROL = 1
# every busy rank -> rank 0 at the end of its round: a summary dict.
DONE = 2
# environment ranks -> rank 0 while rendering: the latest frames of their copies, [(copy id, frame, label)].
FRAME = 3
# rank 0 -> each policy's root worker: stop (the signal may have reached rank 0 alone).
STOP = 4
# every rank -> rank 0 at start-up: where it runs (placement.HostInfo).
SURVEY = 5
# a policy's workers -> the lowest of them, "here", and back, "go", before their communicator is made.
GROUP_READY = 6
# environment rank -> each of its workers, once per round: (obs spaces, act spaces, copies,
# threads, labels, turns), threads being how many threads step its copies at once (see EnvBatch.threads),
# labels each copy's label, which its episodes are recorded under, and turns whether the game moves in
# turns (arena.ranks.env.turns: messages only at the worker's turns and at game ends).
SPACES = 10
# environment rank <-> worker, every step: observations out, actions in, infos when present.
STEP, ACTION, INFO = 11, 12, 13
# policy workers -> their policy's root worker: ("episode", return, length, label, steps), ("steps", late,
# ticks, steps) every second, or ("finished", late, ticks, steps); late and ticks count realtime_fps ticks.
EPISODE = 21
# policy root worker -> rank 0: ("episodes", ...), ("channels", id, {name: columns}), ("metrics", id, rows),
# ("text", id, tag, text, step),
# ("write", ...), ("append", ...), ("read", ...); the bytes of a write or append follow on
# HOME_DATA, and rank 0 answers a read on HOME_REPLY.
HOME, HOME_DATA, HOME_REPLY = 22, 23, 24
# mpi.broadcast_object's point-to-point messages, inside a policy communicator.
OBJECT_BROADCAST = 30_001


# ---------------------------------------------------------------- per-step buffers
# The header of a step message (environment -> worker, tag STEP) is (kind, flags).
KIND_STEP, KIND_RESET, KIND_OVER = 0, 1, 2  # a step of every copy; the first observations; the match is over
FLAG_HAS_INFO = 1  # infos follow on tag INFO (episodes ended, or reset infos): one pickle per episode, not per step
# The header of an action message (worker -> environment, tag ACTION) is (kind,).
KIND_ACT, KIND_QUIT = 0, 1  # actions for every copy; the worker leaves the match


def step_layout(
    obs_codecs: list[SpaceCodec], copies: int = 1, paced_act_codecs: list[SpaceCodec] | None = None
) -> MessageLayout:
    """What the environment sends a worker for K copies: header, episode ends, rewards, flags, its entities' obs.

    Paced (``kickoff(realtime_fps=...)``, given the action codecs) it also carries the ticks
    the message covers, the worker's late ticks so far, and the actions the copies executed.
    """
    n, K = len(obs_codecs), copies
    fields = [Field("header", np.dtype(np.int64), (2,)), Field("ended", np.dtype(np.uint8), (K,))]
    fields += [Field("reward", np.dtype(np.float64), (K, n))]
    fields += [Field("terminated", np.dtype(np.uint8), (K, n)), Field("truncated", np.dtype(np.uint8), (K, n))]
    fields += [Field(f"obs{i}", c.dtype, (K, *c.shape)) for i, c in enumerate(obs_codecs)]
    if paced_act_codecs is not None:
        fields += [Field("ticks", np.dtype(np.int64), (2,))]  # (ticks this message covers, late ticks so far)
        fields += [Field(f"executed{i}", c.dtype, (K, *c.shape)) for i, c in enumerate(paced_act_codecs)]
    return MessageLayout(fields)


def action_layout(act_codecs: list[SpaceCodec], copies: int = 1) -> MessageLayout:
    """What a worker sends its environment: header and its entities' actions in each of K copies."""
    fields = [Field("header", np.dtype(np.int64), (1,))]
    fields += [Field(f"act{i}", c.dtype, (copies, *c.shape)) for i, c in enumerate(act_codecs)]
    return MessageLayout(fields)
