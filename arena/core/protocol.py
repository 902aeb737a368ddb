"""The message protocol between ranks: every tag, in one place.

Per-step data travels in preallocated buffers (layouts in ``arena.core.buffers``);
everything else is a pickled control message, named below with its direction.
Tags stay below ``OBJECT_BROADCAST`` so an algorithm's own tags never meet them.
"""

from __future__ import annotations

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
# environment rank -> each of its workers, once per round: (obs spaces, act spaces, copies,
# threads, labels), threads being how many threads step its copies at once (see EnvBatch.threads)
# and labels each copy's label, which its episodes are recorded under.
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
