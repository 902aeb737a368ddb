"""How a rank waits without holding a core it does not own: back-off, pacing, spinning. No MPI here.

Blocking MPI calls in pip's MPICH busy-poll the core they run on. With more ranks than cores
that starves the ranks doing real work, so every wait polls a condition (a non-blocking
request's test, in ``comm``) and sleeps between polls with an exponential back-off.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable

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
