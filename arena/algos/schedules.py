"""Schedules as functions of a policy's global step, so they run on across rounds and resumes.

A schedule never looks at a round's or a run's own step count: a policy resumed from
its checkpoint, or playing its next round, continues where it was and never jumps back.
"""

from __future__ import annotations


def linear(start: float, end: float, step: int, horizon: int) -> float:
    """``start`` at step 0, ``end`` from step ``horizon`` on, in a straight line between."""
    if horizon <= 0:
        return end
    fraction = min(max(step / horizon, 0.0), 1.0)
    return start + fraction * (end - start)


def schedule_finished_message(policy: str, step: int, horizon: int) -> str:
    """What a policy prints when it starts a run with its schedule already at its end."""
    return (
        f"{policy} starts at step {step:,}, past the end of its schedule at step {horizon:,} (schedule_steps; "
        "by default the policy's budget in this kickoff): its annealed values stay at their end values. "
        "For rounds that should keep learning, pass policy_kwargs={id: {'schedule_steps': N}} with N the "
        "policy's steps over every round"
    )


def kl_adapted(
    rate: float, kl: float, target: float, factor: float = 1.5, low: float = 1e-6, high: float = 1e-2
) -> float:
    """rl_games' adaptive rate: ``rate / factor`` when ``kl`` is above twice ``target``, ``rate * factor``
    below half of it, else ``rate``; kept within ``[low, high]``."""
    if kl > 2.0 * target:
        return max(rate / factor, low)
    if kl < 0.5 * target:
        return min(rate * factor, high)
    return rate
