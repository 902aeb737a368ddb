"""Every MPI call the arena makes lives here.

Blocking MPI calls in pip's MPICH busy-poll the core they run on. With more ranks
than cores that starves the ranks doing real work, so every wait here polls a
non-blocking request and sleeps between polls as ``arena.mpi.waits`` says.

Communicators are always passed in. Upper-case (buffer) calls carry per-step data;
lower-case (pickled) calls carry rare control messages.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from mpi4py import MPI

from arena.mpi import protocol

# How ranks wait (back-off, pacing, spinning) lives in waits; comm polls MPI requests with it.
from arena.mpi.waits import (  # noqa: F401 - callers wait through comm, the transport's one face
    COLLECTIVE_MAX_SLEEP_S,
    FIRST_SLEEP_S,
    IDLE_MAX_SLEEP_S,
    LATE_SLEEP_FRACTION,
    PACE_FRACTION,
    PACE_KEEP,
    PACE_MAX_SLEEP_S,
    STEP_MAX_SLEEP_S,
    PartnerPace,
    WaitTimeout,
    interrupt_waits_with,
    spin_step_waits,
    step_waits_spin,
    wait_until,
)

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
