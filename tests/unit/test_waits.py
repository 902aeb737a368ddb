"""How a rank waits: per-step waits poll without sleeping only when told; long waits always sleep."""

import os
import time
from types import SimpleNamespace

import pytest

from arena.mpi import comm as mpi


def _ready_after(polls: int):
    count = [0]

    def condition() -> bool:
        count[0] += 1
        return count[0] > polls

    return condition, count


@pytest.fixture
def gave_core_away(monkeypatch):
    """Counts every sleep and yield a wait makes."""
    calls = []
    monkeypatch.setattr(time, "sleep", lambda s: calls.append(("sleep", s)))
    monkeypatch.setattr(os, "sched_yield", lambda: calls.append(("yield", 0)))
    yield calls
    mpi.spin_step_waits(False)


def test_a_spinning_rank_polls_per_step_waits_without_giving_the_core_away(gave_core_away):
    mpi.spin_step_waits(True)
    condition, count = _ready_after(5000)
    mpi.wait_until(condition)
    assert count[0] == 5001 and gave_core_away == []


def test_a_sleeping_rank_sleeps_with_back_off_and_never_yields(gave_core_away):
    condition, _ = _ready_after(12)
    mpi.wait_until(condition)
    kinds = [kind for kind, _ in gave_core_away]
    assert kinds == ["sleep"] * 12
    sleeps = [s for kind, s in gave_core_away if kind == "sleep"]
    assert sleeps == sorted(sleeps) and max(sleeps) <= mpi.STEP_MAX_SLEEP_S
    assert min(sleeps) >= mpi.FIRST_SLEEP_S > 0  # never sleep(0), which is a yield by another name


def test_a_wait_that_lasts_lets_its_sleeps_grow_to_a_hundredth_of_the_time_waited(gave_core_away, monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(
        time, "sleep", lambda s: (gave_core_away.append(("sleep", s)), clock.__setitem__(0, clock[0] + s))
    )
    condition, _ = _ready_after(400)
    clock[0] = 0.0
    mpi.wait_until(condition)  # a per-step wait (cap 1 ms) that goes on for seconds
    sleeps = [s for _, s in gave_core_away]
    waited = sum(sleeps)
    assert max(sleeps) > mpi.STEP_MAX_SLEEP_S  # it grew past the per-step cap...
    assert all(s <= max(mpi.STEP_MAX_SLEEP_S, 0.01 * sum(sleeps[:i])) * 2 for i, s in enumerate(sleeps))  # ...slowly
    assert max(sleeps) <= mpi.IDLE_MAX_SLEEP_S and waited > 1.0


def test_a_collective_polls_more_often_than_a_step(gave_core_away, monkeypatch):
    # MPICH moves a large Allreduce a chunk per poll, so its waits sleep at most 0.1 ms.
    condition, _ = _ready_after(30)
    monkeypatch.setattr(mpi, "MPI", SimpleNamespace(Request=SimpleNamespace(Testall=lambda requests: condition())))
    mpi._wait_collective([object()], None, "a test collective")
    sleeps = [s for kind, s in gave_core_away if kind == "sleep"]
    assert len(sleeps) == 30 and max(sleeps) == mpi.COLLECTIVE_MAX_SLEEP_S < mpi.STEP_MAX_SLEEP_S


def test_long_waits_sleep_even_on_a_spinning_rank(gave_core_away):
    mpi.spin_step_waits(True)
    condition, _ = _ready_after(3)
    mpi.wait_until(condition, max_sleep=mpi.IDLE_MAX_SLEEP_S)
    assert ("sleep", mpi.FIRST_SLEEP_S) in gave_core_away


def test_a_spinning_wait_still_times_out_and_stops(gave_core_away):
    mpi.spin_step_waits(True)
    with pytest.raises(mpi.WaitTimeout):
        mpi.wait_until(lambda: False, timeout=0.05)

    def stop() -> None:
        raise KeyboardInterrupt

    mpi.interrupt_waits_with(stop)
    try:
        with pytest.raises(KeyboardInterrupt):
            mpi.wait_until(lambda: False)
    finally:
        mpi.interrupt_waits_with(None)


def test_a_paced_wait_sleeps_most_of_its_partners_shortest_recent_time_then_polls_finely(gave_core_away, monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(
        time, "sleep", lambda s: (gave_core_away.append(("sleep", s)), clock.__setitem__(0, clock[0] + s))
    )
    pace = mpi.PartnerPace()
    for took in (0.004, 0.005, 3.0, 0.006):  # a long update among steps of about 5 ms
        pace.record(took)
    condition = lambda: clock[0] >= 0.0045  # noqa: E731 - the partner answers 4.5 ms after the wait began
    mpi.wait_until(condition, pace=pace)
    sleeps = [s for _, s in gave_core_away]
    assert sleeps[0] == pytest.approx(mpi.PACE_FRACTION * 0.004)  # the shortest of the last four, not the update
    assert sleeps[1] == mpi.FIRST_SLEEP_S and max(sleeps[1:]) <= mpi.STEP_MAX_SLEEP_S  # then back-off from 10 us
    assert clock[0] - 0.0045 <= mpi.STEP_MAX_SLEEP_S and list(pace.recent)[-1] == pytest.approx(clock[0])


def test_a_paced_wait_does_not_sleep_first_until_it_knows_its_partner(gave_core_away):
    pace = mpi.PartnerPace()
    condition, _ = _ready_after(3)
    mpi.wait_until(condition, pace=pace)
    assert [s for _, s in gave_core_away][0] == mpi.FIRST_SLEEP_S and len(pace.recent) == 1
    for _ in range(10):
        pace.record(5.0)  # a partner that is always slow: the first sleep stays short, so a stop is heard
    assert pace.first_sleep() == mpi.PACE_MAX_SLEEP_S
