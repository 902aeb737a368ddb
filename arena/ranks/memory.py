"""How much memory a rank holds, sampled over a round, so growth shows up in the summaries."""

from __future__ import annotations

import os
import resource
import sys
import time

_PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20 if hasattr(os, "sysconf") else 4096 / 2**20


def rss_mb() -> float:
    """This process's resident memory now, in MiB (the peak where /proc is missing)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * _PAGE_MB
    except OSError:
        return peak_rss_mb()


def peak_rss_mb() -> float:
    """This process's peak resident memory, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


class MemoryProbe:
    """Samples resident memory during a round, at most every ``interval`` seconds.

    The first sample is taken once a tenth of the round is done: buffers, networks,
    optimizer state and the env exist by then, so ``growth_mb`` (last minus first)
    shows a leak, not set-up. ``trace_mb`` keeps one sample per further tenth, so a
    long run shows whether memory creeps or steps.
    """

    def __init__(self, interval: float = 2.0, start_fraction: float = 0.1):
        self.interval, self.start_fraction = interval, start_fraction
        self.next_time = 0.0
        self.first: float | None = None
        self.last: float | None = None
        self.trace_mb: list[float] = []

    def sample(self, progress: float) -> None:
        """Take a sample if one is due; ``progress`` is the fraction of the round done (cheap to call every step)."""
        if progress < self.start_fraction:
            return
        now = time.perf_counter()
        if now >= self.next_time:
            self.next_time = now + self.interval
            self.last = rss_mb()
            if self.first is None:
                self.first = self.last
            if progress >= (len(self.trace_mb) + 1) / 10:
                self.trace_mb.append(round(self.last, 1))

    def summary(self) -> dict:
        """``rss_first_mb``, ``rss_last_mb``, ``growth_mb`` (None if no sample was due), ``peak_mb``, ``trace_mb``."""
        self.last = rss_mb()
        growth = None if self.first is None else self.last - self.first
        return {
            "rss_first_mb": self.first,
            "rss_last_mb": self.last,
            "growth_mb": growth,
            "peak_mb": peak_rss_mb(),
            "trace_mb": self.trace_mb,
        }
