"""Where each rank runs: its host, the cores it may use, and which GPU each learner gets. Pure, no MPI.

GPUs are assigned by learner, not by rank: the learners on one host (workers of a
policy that uses a device) take its GPUs in turn, by their index among that host's
learners, so environment ranks never push every learner onto GPU 0. A ``device``
in a policy's kwargs still wins.
"""

from __future__ import annotations

import os
import socket
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class HostInfo:
    """What one rank reports about where it runs."""

    host: str
    gpus: int  # GPUs this process may use
    cores: tuple[int, ...]  # ids of the cores this process may run on
    memory: int = 0  # the host's physical memory in bytes (0: unknown)


def host_memory() -> int:
    """This host's physical memory in bytes, or 0 where the system does not say."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return 0


def gpu_count() -> int:
    """GPUs visible to this process, without starting CUDA: CUDA_VISIBLE_DEVICES, else the driver's list."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        ids = [d.strip() for d in visible.split(",") if d.strip()]
        return len(ids[: ids.index("-1")] if "-1" in ids else ids)  # CUDA stops at the first invalid id
    try:
        return len(os.listdir("/proc/driver/nvidia/gpus"))
    except OSError:
        return 0


def this_host() -> HostInfo:
    """This process's host name, visible GPUs and usable cores."""
    return HostInfo(socket.gethostname(), gpu_count(), tuple(sorted(os.sched_getaffinity(0))), host_memory())


def assign_devices(
    hosts: list[HostInfo], learners: list[int], requested: dict[int, str] | None = None
) -> dict[int, str]:
    """``{rank: device}`` for every learner rank: ``cuda:i`` round robin over its host's GPUs, else ``cpu``.

    ``hosts[r]`` describes rank r; ``requested`` maps ranks to a device their policy's kwargs name.
    """
    requested = requested or {}
    devices, seen = {}, Counter()
    for rank in sorted(learners):
        info = hosts[rank]
        index = seen[info.host]
        seen[info.host] += 1
        if rank in requested:
            devices[rank] = requested[rank]
        else:
            devices[rank] = f"cuda:{index % info.gpus}" if info.gpus > 0 else "cpu"
    return devices


def busy_ranks_per_host(hosts: list[HostInfo], busy: list[int], threads: dict[int, int] | None = None) -> Counter:
    """How many cores the ``busy`` ranks (those working this round) keep busy on each host.

    A rank counts once, or as many as its ``threads`` (a learner's torch threads, which all
    compute at once while it updates).
    """
    demand: Counter = Counter()
    for r in busy:
        demand[hosts[r].host] += max(1, (threads or {}).get(r, 1))
    return demand


def oversubscribed_hosts(hosts: list[HostInfo], busy: list[int], threads: dict[int, int] | None = None) -> set[str]:
    """Hosts whose busy ranks (and their threads) outnumber their usable cores: there, waiting ranks must give the
    core away."""
    cores: dict[str, set[int]] = {}
    for info in hosts:  # ranks bound to single cores each report their own; the host has their union
        cores.setdefault(info.host, set()).update(info.cores)
    return {host for host, n in busy_ranks_per_host(hosts, busy, threads).items() if n > len(cores[host])}


def spinning_ranks(
    hosts: list[HostInfo], busy: list[int], override: str = "auto", threads: dict[int, int] | None = None
) -> tuple[int, ...]:
    """The busy ranks that may poll without sleeping: those on hosts with a core for every busy rank and thread.

    ``override`` is "spin" (every busy rank), "sleep" (none) or "auto". A worker with two torch
    threads next to a polling environment rank on two cores would lose one thread's core to the poll.
    """
    if override not in ("auto", "spin", "sleep"):
        raise ValueError(f"ARENA_WAITS must be auto, spin or sleep, not {override!r}")
    if override != "auto":
        return tuple(sorted(busy)) if override == "spin" else ()
    crowded = oversubscribed_hosts(hosts, busy, threads)
    return tuple(sorted(r for r in busy if hosts[r].host not in crowded))
