"""Every MPI call the arena makes lives here.

Blocking MPI calls in pip's MPICH busy-poll the core they run on. With more ranks
than cores that starves the ranks doing real work, so every wait here polls a
non-blocking request and sleeps between polls with an exponential back-off.

Communicators are always passed in. Upper-case (buffer) calls carry per-step data;
lower-case (pickled) calls carry rare control messages.
"""

from __future__ import annotations

import collections
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from mpi4py import MPI

from arena.mpi import protocol

# A rank that gives its core away sleeps at once, with back-off, instead of first
# yielding it: on an oversubscribed host each yield is a context switch that finds
# nothing to do. (Random Pong at -n 15 on 2 cores: 1.15x the agent steps/s without
# 50 yields first, median of 8 alternating pairs.) Per-step waits cap the back-off
# low to keep latency small; idle waits (between rounds, rank 0 during one) cap high.
FIRST_SLEEP_S = 1e-5
STEP_MAX_SLEEP_S = 1e-3
IDLE_MAX_SLEEP_S = 5e-2
# A per-step wait that has lasted long (an environment rank while its worker updates for
# seconds) lets its sleeps grow to 1% of the time waited, up to the idle cap: its wake-ups
# every millisecond preempted the learner's torch threads on a shared core, and 1% is
# all the latency this adds.
LATE_SLEEP_FRACTION = 1e-2
# A collective (a gradient Allreduce of megabytes) moves only while its ranks poll it: MPICH
# has no progress thread. Each poll lets it take its next chunk, so its waits cap the sleep
# lower than a step's. (Two ranks, Iallreduce of 1.68M float32 on 2 loaded cores: 3.1-4.8 ms
# with this cap against 6.0-7.8 ms at the step cap; blocking, which spins, 2.4-4.1 ms.)
# The environment ranks, the only other runnable ones, idle while their workers update.
# pong-ppo-cpu on 2 cores, 4 alternating pairs: 409 against 390 agent steps/s (medians); the
# tutorial's 7 workers at -n 15 on 2 cores, where early workers wait for late ones, lost nothing,
# and SAC's 2 workers (small Allreduces) beside a busy loop ran 157 s against 170 s.
COLLECTIVE_MAX_SLEEP_S = 1e-4
# A per-step wait with a PartnerPace first sleeps this fraction of the shortest of its last
# PACE_KEEP waits (at most PACE_MAX_SLEEP_S), then polls with back-off from FIRST_SLEEP_S: the
# back-off alone found a 5 ms emulator step up to 1 ms late. pong-ppo-cpu on 2 cores, 12
# rollouts, 3 alternating pairs: 511, 468, 489 against 482, 451, 468 agent steps/s.
PACE_FRACTION = 0.8
PACE_KEEP = 4
PACE_MAX_SLEEP_S = 2e-2

Comm = MPI.Comm
ANY_SOURCE = MPI.ANY_SOURCE


def world() -> MPI.Comm:
    """The communicator of every rank in the job; only entry points should ask for it."""
    return MPI.COMM_WORLD


def world_size() -> int:
    """Number of ranks in the job."""
    return MPI.COMM_WORLD.Get_size()


def rank_of(comm: MPI.Comm) -> int:
    """This process's rank in ``comm``."""
    return comm.Get_rank()


def size_of(comm: MPI.Comm) -> int:
    """Number of ranks in ``comm``."""
    return comm.Get_size()


class WaitTimeout(TimeoutError):
    """A wait ran past its deadline: the rank it waited on may be dead or stuck."""


# A graceful stop must reach a rank wherever it waits (a step, a gradient Allreduce), so
# while a check is set every wait calls it between polls, and it raises to leave the wait.
# Signals are per process, so this hook is too.
_interrupt: list[Callable[[], None]] = []


def interrupt_waits_with(check: Callable[[], None] | None) -> None:
    """Call ``check`` in every wait of this process from now on (None: stop calling it)."""
    _interrupt[:] = [] if check is None else [check]


# With a core for every working rank, giving the core away only adds latency: per-step
# waits then poll without yielding or sleeping. Rank 0 tells each rank per round.
_spin = [False]


def spin_step_waits(on: bool) -> None:
    """Let per-step waits of this process poll without sleeping (only where it has a core of its own)."""
    _spin[0] = bool(on)


def step_waits_spin() -> bool:
    """True while this process's per-step waits poll without sleeping."""
    return _spin[0]


def _spin_until(condition: Callable[[], bool], timeout: float | None) -> None:
    deadline = None if timeout is None else time.monotonic() + timeout
    polls = 0
    while not condition():
        polls += 1
        if polls % 256 == 0:  # checks that cost a syscall, now and then
            for check in _interrupt:
                check()
            if deadline is not None and time.monotonic() > deadline:
                raise WaitTimeout(f"no answer within {timeout:g} s")


class PartnerPace:
    """How long the last few waits on one partner took, so that the next sleeps most of the shortest at once.

    Polling with back-off from 10 us finds an answer up to the back-off's cap (1 ms) late; a partner whose
    every step takes about the same time (an emulator batch, a forward pass) is instead slept through
    for most of that time in one go, then polled finely.
    """

    def __init__(self) -> None:
        self.recent: collections.deque = collections.deque(maxlen=PACE_KEEP)

    def first_sleep(self) -> float:
        """Seconds to sleep before the first poll: a fraction of the shortest recent wait (0 until there are enough)."""
        if len(self.recent) < PACE_KEEP:
            return 0.0
        return min(PACE_FRACTION * min(self.recent), PACE_MAX_SLEEP_S)

    def record(self, seconds: float) -> None:
        """Remember how long a wait took."""
        self.recent.append(seconds)


def wait_until(
    condition: Callable[[], bool],
    max_sleep: float = STEP_MAX_SLEEP_S,
    timeout: float | None = None,
    pace: PartnerPace | None = None,
) -> None:
    """Poll ``condition`` until it holds, sleeping with back-off between polls.

    With ``timeout`` (seconds), raise ``WaitTimeout`` once it has passed. Per-step waits
    of a rank told to spin (``spin_step_waits``) poll without ever giving the core away.
    With ``pace``, the wait first sleeps most of the partner's recent time, and records its own.
    """
    if _spin[0] and max_sleep <= STEP_MAX_SLEEP_S:
        _spin_until(condition, timeout)
        return
    start = time.monotonic()
    deadline = None if timeout is None else start + timeout
    first = 0.0 if pace is None else pace.first_sleep()
    if first > 0 and not condition():
        time.sleep(first)
    _poll_with_backoff(condition, max_sleep, start, deadline, timeout)
    if pace is not None:
        pace.record(time.monotonic() - start)


def _poll_with_backoff(
    condition: Callable[[], bool], max_sleep: float, start: float, deadline: float | None, timeout: float | None
) -> None:
    delay = FIRST_SLEEP_S
    while not condition():
        for check in _interrupt:
            check()
        now = time.monotonic()
        if deadline is not None and now > deadline:
            raise WaitTimeout(f"no answer within {timeout:g} s")
        time.sleep(delay)
        cap = max(max_sleep, min(IDLE_MAX_SLEEP_S, LATE_SLEEP_FRACTION * (now - start)))
        delay = min(2 * delay, cap)


def test_all(requests: list[MPI.Request]) -> bool:
    """True when every request has completed; never blocks."""
    return MPI.Request.Testall(requests)


def wait_all(
    requests: list[MPI.Request],
    max_sleep: float = STEP_MAX_SLEEP_S,
    timeout: float | None = None,
    pace: PartnerPace | None = None,
) -> None:
    """Wait until every request completes, giving the core away between polls (``WaitTimeout`` after ``timeout``)."""
    if requests:
        wait_until(lambda: MPI.Request.Testall(requests), max_sleep, timeout, pace)


def isend_buffer(buf: np.ndarray, dest: int, tag: int, comm: MPI.Comm) -> MPI.Request:
    """Start sending a preallocated numpy buffer; the buffer must live until it completes."""
    return comm.Isend(buf, dest=dest, tag=tag)


def irecv_buffer(buf: np.ndarray, source: int, tag: int, comm: MPI.Comm) -> MPI.Request:
    """Start receiving into a preallocated numpy buffer of the agreed size."""
    return comm.Irecv(buf, source=source, tag=tag)


def isend_bytes(data: bytes, dest: int, tag: int, comm: MPI.Comm) -> MPI.Request:
    """Start sending ``data`` without copying it; ``data`` must live until the request completes."""
    return comm.Isend(np.frombuffer(data, dtype=np.uint8), dest=dest, tag=tag)


def irecv_bytes(nbytes: int, source: int, tag: int, comm: MPI.Comm) -> tuple[MPI.Request, np.ndarray]:
    """Start receiving ``nbytes`` announced bytes: ``(request, buffer)``; the buffer holds them once it completes."""
    buf = np.empty(nbytes, dtype=np.uint8)
    return comm.Irecv(buf, source=source, tag=tag), buf


def isend_object(obj: Any, dest: int, tag: int, comm: MPI.Comm) -> MPI.Request:
    """Start sending a pickled control object."""
    return comm.isend(obj, dest=dest, tag=tag)


def send_object(
    obj: Any, dest: int, tag: int, comm: MPI.Comm, max_sleep: float = STEP_MAX_SLEEP_S, timeout: float | None = None
) -> None:
    """Send a pickled control object and wait politely until it is delivered."""
    wait_all([comm.isend(obj, dest=dest, tag=tag)], max_sleep, timeout)


def poll_object(source: int, tag: int, comm: MPI.Comm) -> tuple[bool, Any, int]:
    """Receive a pickled object if one is waiting: ``(found, obj, source)``; never blocks."""
    status = MPI.Status()
    message = comm.improbe(source=source, tag=tag, status=status)
    if message is None:
        return False, None, -1
    return True, message.recv(), status.Get_source()


def recv_object(
    source: int, tag: int, comm: MPI.Comm, max_sleep: float = STEP_MAX_SLEEP_S, timeout: float | None = None
) -> tuple[Any, int]:
    """Wait politely for a pickled object: ``(obj, source)`` (``WaitTimeout`` after ``timeout``)."""
    got: list = []

    def arrived() -> bool:
        found, obj, src = poll_object(source, tag, comm)
        if found:
            got.extend((obj, src))
        return found

    wait_until(arrived, max_sleep, timeout)
    return got[0], got[1]


def _check_in(comm: MPI.Comm, ranks: list[int], timeout: float) -> None:
    """Every rank of ``ranks`` reports to the lowest, which answers once all are in; WaitTimeout names one missing."""
    me, leader = comm.Get_rank(), ranks[0]
    if me != leader:
        send_object("here", leader, protocol.GROUP_READY, comm, IDLE_MAX_SLEEP_S, timeout)
        try:  # the leader may itself wait up to ``timeout`` for another rank: twice as long here
            recv_object(leader, protocol.GROUP_READY, comm, IDLE_MAX_SLEEP_S, 2 * timeout)
        except WaitTimeout:
            raise WaitTimeout(
                f"rank {leader}, the first of ranks {ranks}, never answered within {2 * timeout:g} s"
            ) from None
        return
    for rank in ranks[1:]:
        try:
            recv_object(rank, protocol.GROUP_READY, comm, IDLE_MAX_SLEEP_S, timeout)
        except WaitTimeout:
            raise WaitTimeout(
                f"rank {rank} never joined ranks {ranks} within {timeout:g} s: it stalled or died"
            ) from None
    wait_all([isend_object("go", rank, protocol.GROUP_READY, comm) for rank in ranks[1:]], IDLE_MAX_SLEEP_S, timeout)


def check_in(comm: MPI.Comm, timeout: float) -> None:
    """Wait until every rank of ``comm`` has called this, without spinning; WaitTimeout names one missing."""
    if comm.Get_size() > 1:
        _check_in(comm, list(range(comm.Get_size())), timeout)


def group_comm(comm: MPI.Comm, ranks: list[int], tag: int, timeout: float | None = None) -> MPI.Comm:
    """A communicator of ``ranks`` (ranks of ``comm``); collective over those ranks only.

    With ``timeout`` the ranks first check in with the lowest of them, so that a missing one
    is named instead of every other one hanging in the collective call.
    """
    if timeout is not None and len(ranks) > 1:
        _check_in(comm, sorted(ranks), timeout)
    group = comm.Get_group().Incl(sorted(ranks))
    try:
        return comm.Create_group(group, tag=tag)
    finally:
        group.Free()


def duplicate(comm: MPI.Comm) -> MPI.Comm:
    """A private copy of ``comm`` so the arena's messages never meet the algorithm's."""
    return comm.Dup()


def free(comm: MPI.Comm) -> None:
    """Release a communicator made by ``group_comm`` or ``duplicate``."""
    if comm != MPI.COMM_NULL and comm != MPI.COMM_WORLD:
        comm.Free()


def abort(comm: MPI.Comm, code: int = 1) -> None:
    """End every rank of the job at once with a non-zero exit code; never returns."""
    comm.Abort(code)
    os._exit(code)  # MPI_Abort may return before the process manager acts


# --- polite collectives for algorithms (all take the policy communicator) ---

# A worker waiting in a collective for a peer that stalled must say so before its environment
# rank, waiting on it in turn, blames it: the worker rank sets a deadline shorter than that
# rank's silence timeout for the round (None: no deadline, outside a round).
_collective_deadline: list[float | None] = [None]


def set_collective_deadline(seconds: float | None) -> None:
    """Give up this process's policy collectives (gradient averages, broadcasts) after ``seconds`` (None: never)."""
    _collective_deadline[0] = seconds


def world_ranks(comm: MPI.Comm) -> list[int]:
    """The job-wide rank of every rank of ``comm``, in ``comm``'s order."""
    group, world = comm.Get_group(), MPI.COMM_WORLD.Get_group()
    try:
        return list(MPI.Group.Translate_ranks(group, list(range(group.Get_size())), world))
    finally:
        group.Free()
        world.Free()


def _wait_collective(requests: list[MPI.Request], comm: MPI.Comm, what: str) -> None:
    """Wait for a collective's requests until the deadline; then WaitTimeout naming the ranks that may have stalled."""
    timeout = _collective_deadline[0]
    try:
        wait_all(requests, max_sleep=COLLECTIVE_MAX_SLEEP_S, timeout=timeout)
    except WaitTimeout:
        me = MPI.COMM_WORLD.Get_rank()
        others = [r for r in world_ranks(comm) if r != me]
        who = f"rank {others[0]}" if len(others) == 1 else f"one of ranks {others}"
        raise WaitTimeout(
            f"rank {me} waited {timeout:g} s in {what} with the other workers of its policy; {who} never joined: "
            "it stalled or died"
        ) from None


def broadcast_array(array: np.ndarray, comm: MPI.Comm, root: int = 0) -> np.ndarray:
    """Overwrite ``array`` on every rank with root's copy, in place."""
    _wait_collective([comm.Ibcast(array, root=root)], comm, "a broadcast")
    return array


def allreduce_sum(array: np.ndarray, comm: MPI.Comm) -> np.ndarray:
    """Sum ``array`` over all ranks of ``comm``, in place."""
    _wait_collective([comm.Iallreduce(MPI.IN_PLACE, array, op=MPI.SUM)], comm, "a gradient average (Allreduce)")
    return array


def allreduce_mean(array: np.ndarray, comm: MPI.Comm) -> np.ndarray:
    """Average ``array`` over all ranks of ``comm``, in place."""
    allreduce_sum(array, comm)
    array /= comm.Get_size()
    return array


def barrier(comm: MPI.Comm, max_sleep: float = IDLE_MAX_SLEEP_S) -> None:
    """Wait until every rank of ``comm`` arrives, without spinning."""
    wait_all([comm.Ibarrier()], max_sleep)


def gather_object(obj: Any, comm: MPI.Comm, tag: int, root: int = 0, timeout: float | None = None) -> list | None:
    """Root gets every rank's pickled ``obj``, in rank order; the others get None.

    With ``timeout`` the root gives up at that deadline, naming the ranks that had not sent.
    """
    if comm.Get_rank() != root:
        send_object(obj, root, tag, comm, IDLE_MAX_SLEEP_S)
        return None
    found: list = [None] * comm.Get_size()
    found[root] = obj
    waiting = {rank for rank in range(comm.Get_size()) if rank != root}

    def arrived() -> bool:
        for rank in sorted(waiting):
            got, value, _ = poll_object(rank, tag, comm)
            if got:
                found[rank] = value
                waiting.discard(rank)
        return not waiting

    try:
        wait_until(arrived, IDLE_MAX_SLEEP_S, timeout)
    except WaitTimeout:
        raise WaitTimeout(f"ranks {sorted(waiting)} sent nothing within {timeout:g} s: they stalled or died") from None
    return found


def broadcast_object(obj: Any, comm: MPI.Comm, root: int = 0) -> Any:
    """Give every rank of ``comm`` root's pickled ``obj``."""
    tag = protocol.OBJECT_BROADCAST
    if comm.Get_rank() == root:
        requests = [comm.isend(obj, dest=r, tag=tag) for r in range(comm.Get_size()) if r != root]
        _wait_collective(requests, comm, "a state broadcast")
        return obj
    timeout = _collective_deadline[0]
    try:
        return recv_object(root, tag, comm, timeout=timeout)[0]
    except WaitTimeout:
        raise WaitTimeout(
            f"rank {MPI.COMM_WORLD.Get_rank()} waited {timeout:g} s for the state of its policy's root worker, "
            f"rank {world_ranks(comm)[root]}: it stalled or died"
        ) from None
