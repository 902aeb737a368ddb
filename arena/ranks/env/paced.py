"""``kickoff(realtime_fps=F)``: every copy steps F times a wall-clock second, whether its policies keep up or not.

The environment rank ticks at a fixed rate; each tick steps every copy with the
actions in force. Per worker:
  - a worker gets a message, thinks and replies; a reply that arrives before the next
    tick is executed at that tick, and the worker gets that tick's result (lock step);
  - a worker that has not replied by a tick is *late* for it: its entities repeat the
    action last executed, and the tick is counted late;
  - a late reply is answered at once with the newest observation and everything since
    the worker's last message (rewards summed over those ticks, any episode end); the
    action it brought is in force from the next tick.
So the action in force changes only when a reply arrives, and a reply always closes the
worker's interval: every message names the one action its ticks executed
(``info["executed_action"]``), and learners store that, not an action chosen too late.

An episode that ends while its worker is away is reported with the reward up to its
end; the reward of the next episode's first ticks comes with the following message.
A copy whose episodes end twice in one absence has the two merged into one (counted as
``merged_episodes``); the end of a whole game is the one kept, so records lose no game.
With Atari's lost lives as episode ends, a policy pausing seconds to learn merges a few.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from arena.envs.api import game_continues
from arena.envs.batch import BatchStep, Ended, EnvBatch
from arena.mpi import comm as mpi
from arena.mpi import protocol
from arena.ranks.env.book import StepBook
from arena.ranks.env.channel import WorkerChannel


@dataclass
class Interval:
    """What happened to one worker's copies since its last message."""

    copies: int
    entities: int
    ticks: int = 0
    late: int = 0  # ticks this worker was late for, over the round
    total: int = 0  # ticks it took part in, over the round
    merged: int = 0  # episodes merged with the next because both ended in one absence
    ended: dict[int, Ended] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.reward = np.zeros((self.copies, self.entities))
        self.carry = np.zeros((self.copies, self.entities))  # the next episode's reward, for the next message
        self.terminated = np.zeros((self.copies, self.entities), bool)
        self.truncated = np.zeros((self.copies, self.entities), bool)

    def add(self, step: BatchStep) -> None:
        """Take in one tick: rewards go to the ended episode until its message, then to the next one."""
        self.ticks += 1
        after_end = np.zeros(self.copies, bool)
        after_end[list(self.ended)] = True
        self.reward[~after_end] += step.rewards[~after_end]
        self.carry[after_end] += step.rewards[after_end]
        for k, end in step.ended.items():
            if k in self.ended:  # a second end in one absence: the two episodes become one record
                self.merged += 1
                self.reward[k] += self.carry[k]
                self.carry[k] = 0.0
                if game_continues(end.final_infos) and not game_continues(self.ended[k].final_infos):
                    continue  # keep the end of the whole game (its score), not a lost life after it
            self.ended[k] = end
            self.terminated[k], self.truncated[k] = step.terminated[k], step.truncated[k]

    def as_step(self, obs: list) -> BatchStep:
        """The interval in a step's form, for the worker's message."""
        return BatchStep(obs, self.reward, self.terminated, self.truncated, dict(self.ended))

    def start_next(self) -> None:
        """A message went out: the next interval begins with what the next episodes already earned."""
        self.reward, self.carry = self.carry, np.zeros_like(self.carry)
        self.terminated[:], self.truncated[:] = False, False
        self.ended, self.ticks = {}, 0


class PacedLoop:
    """The environment rank's loop under ``realtime_fps``: ticks at a fixed rate, answers replies as they come."""

    def __init__(
        self,
        comm: mpi.Comm,
        channels: list[WorkerChannel],
        batch: EnvBatch,
        actions: list,
        fps: float,
        timeouts: tuple[float, float],
    ):
        """``timeouts``: the wait for each worker's first action (it builds its learner first), then for each next."""
        self.comm, self.channels, self.batch, self.actions = comm, channels, batch, actions
        self.period, (self.first_timeout, self.timeout) = 1.0 / float(fps), timeouts
        K, n = batch.num_copies, len(actions)
        self.intervals = {ch.rank: Interval(K, n) for ch in channels}
        self.receives: dict = {}  # worker rank -> the request of its next reply
        self.sent_at: dict[int, float] = {}
        self.replied: set[int] = set()  # workers whose reply waits for the next tick
        self.messages = dict.fromkeys(self.intervals, 0)
        self.overruns = 0  # ticks the environment itself could not step in time
        self.first_tick = self.last_tick = None

    def run(self, obs: list, steps: int, book: StepBook) -> dict:
        """Tick until every worker has had ``steps`` messages or quit (or the games are played); the summary."""
        self.wait_for_all(obs, steps)
        deadline = time.perf_counter()
        while any(ch.active for ch in self.channels):
            self.wait_until_tick(deadline, obs, book.tally.enough(), steps)
            deadline = self.next_deadline(deadline)
            if book.tally.enough() or not any(ch.active for ch in self.channels):
                continue  # the games are played: each worker is told at its next reply
            step = self.batch.step(self.actions)
            obs = step.obs
            book.take(step, self.batch)
            self.after_tick(step)
        return self.summary(book.done_steps)

    # ------------------------------------------------------------ replies
    def listen(self, ch: WorkerChannel) -> None:
        """Post the receive of the worker's next reply."""
        self.receives[ch.rank] = ch.post_receive(self.comm)
        self.sent_at[ch.rank] = time.perf_counter()

    def arrived(self, ch: WorkerChannel) -> bool:
        """True when the worker's reply is in (and not yet taken in)."""
        return ch.active and ch.rank not in self.replied and mpi.test_all([self.receives[ch.rank]])

    def take_replies(self, obs: list, over: bool, steps: int, silence: float | None = None) -> None:
        """Take in every reply that has arrived: late ones are answered at once, others wait for the tick.

        A worker silent for longer than ``silence`` (default: the silence timeout) is named."""
        for ch in self.channels:
            if not self.arrived(ch):
                self._check_silence(ch, silence)
                continue
            if ch.quit():
                ch.active = False
            elif over or self.messages[ch.rank] >= steps:
                self._settle(ch)
                ch.send(self.comm, protocol.KIND_OVER, [], None, {})
                ch.active = False
            elif self.intervals[ch.rank].ticks > 0:  # late: answer now; its action holds from the next tick
                self.send(ch, obs)
                ch.fill_actions(self.actions)
                self.listen(ch)
            else:
                ch.fill_actions(self.actions)
                self.replied.add(ch.rank)

    def _check_silence(self, ch: WorkerChannel, limit: float | None = None) -> None:
        limit = self.timeout if limit is None else limit
        waiting = ch.active and ch.rank not in self.replied  # a worker that replied waits for the next tick
        if waiting and time.perf_counter() - self.sent_at[ch.rank] > limit:
            raise mpi.WaitTimeout(
                f"rank {ch.rank} (worker for entities {ch.entities}) sent no action for {limit:g} s; it may "
                "have died or be stuck. kickoff(silence_timeout=...) sets this limit."
            )

    def wait_for_all(self, obs: list, steps: int) -> None:
        """Before the clock starts: every worker's first action (workers build their policies meanwhile)."""
        for ch in self.channels:
            self.listen(ch)
        while any(ch.active and ch.rank not in self.replied for ch in self.channels):
            try:
                mpi.wait_until(lambda: any(self.arrived(ch) for ch in self.channels), timeout=self.first_timeout)
            except mpi.WaitTimeout:
                for ch in self.channels:
                    self._check_silence(ch, self.first_timeout)
            self.take_replies(obs, False, steps, self.first_timeout)

    def wait_until_tick(self, deadline: float, obs: list, over: bool, steps: int) -> None:
        """Answer replies until the next tick is due, giving the core away between polls."""
        while True:
            self.take_replies(obs, over, steps)
            if time.perf_counter() >= deadline or not any(ch.active for ch in self.channels):
                return
            mpi.wait_until(lambda: time.perf_counter() >= deadline or any(self.arrived(ch) for ch in self.channels))

    # ------------------------------------------------------------ ticks
    def after_tick(self, step: BatchStep) -> None:
        """Add the tick to every worker's interval; answer those that replied in time, count the others late."""
        now = time.perf_counter()
        self.first_tick = self.first_tick or now
        self.last_tick = now
        for ch in self.channels:
            if not ch.active:
                continue
            interval = self.intervals[ch.rank]
            interval.add(step)
            interval.total += 1
            if ch.rank in self.replied:
                self.replied.discard(ch.rank)
                self.send(ch, step.obs)
                self.listen(ch)
            else:
                interval.late += 1

    def send(self, ch: WorkerChannel, obs: list) -> None:
        """Send the worker its interval: the newest observations, summed rewards, ends, and the executed actions."""
        interval = self.intervals[ch.rank]
        self._settle(ch)
        ch.views["ticks"][:] = (interval.ticks, interval.late)
        for i, (e, codec) in enumerate(zip(ch.entities, ch.act_codecs)):
            codec.encode_batch(self.actions[e], ch.views[f"executed{i}"])
        step = interval.as_step(obs)
        ch.send(self.comm, protocol.KIND_STEP, obs, step, ch.infos_for(step, None))
        interval.start_next()
        self.messages[ch.rank] += 1

    def _settle(self, ch: WorkerChannel) -> None:
        """Complete the sends of the worker's last message before its buffer is rewritten (it replied, so at once)."""
        mpi.wait_all(ch.pending, timeout=self.timeout)
        ch.pending = []

    def next_deadline(self, deadline: float) -> float:
        """The next tick's time; an environment that fell a whole tick behind starts counting afresh."""
        deadline += self.period
        now = time.perf_counter()
        if now > deadline + self.period:
            self.overruns += 1
            deadline = now
        return deadline

    def summary(self, ticks: int) -> dict:
        """The rate the copies kept, and each worker's late ticks: ``{"realtime": {...}}``."""
        span = (self.last_tick - self.first_tick) if self.first_tick and self.last_tick else 0.0
        return {
            "realtime": {
                "fps": 1.0 / self.period,
                "measured_fps": (ticks - 1) / span if span > 0 and ticks > 1 else None,
                "ticks": ticks,
                "overruns": self.overruns,
                "late": {rank: (i.late, i.total) for rank, i in self.intervals.items()},
                "merged_episodes": sum(i.merged for i in self.intervals.values()),
            }
        }


def late_by_policy(summaries: dict[int, dict], policy_of: dict[int, int]) -> dict[int, float]:
    """Each policy's late ticks as a percentage of its ticks, over all its workers (``policy_of``: rank -> id)."""
    late: dict[int, list[int]] = {}
    for summary in summaries.values():
        for rank, (missed, ticks) in summary.get("realtime", {}).get("late", {}).items():
            counts = late.setdefault(policy_of[int(rank)], [0, 0])
            counts[0], counts[1] = counts[0] + missed, counts[1] + ticks
    return {pid: 100.0 * missed / max(1, ticks) for pid, (missed, ticks) in sorted(late.items())}


def format_realtime(summaries: dict[int, dict], policy_of: dict[int, int]) -> str | None:
    """One line on a paced round: the rate asked and kept, and each policy's late actions (None: not paced)."""
    paced = [s["realtime"] for s in summaries.values() if "realtime" in s]
    if not paced:
        return None
    kept = [p["measured_fps"] for p in paced if p["measured_fps"] is not None]
    rate = f"{min(kept):.1f}-{max(kept):.1f}" if kept else "n/a"
    late = ", ".join(f"policy {pid} {pct:.1f}%" for pid, pct in late_by_policy(summaries, policy_of).items())
    overruns = sum(p["overruns"] for p in paced)
    merged = sum(p["merged_episodes"] for p in paced)
    return (
        f"[arena] realtime: {paced[0]['fps']:g} steps/s per copy asked, {rate} kept; late actions: {late}"
        + (f"; {overruns} times an environment fell a tick behind" if overruns else "")
        + (f"; {merged} episodes merged with the next (their policy was away for a whole episode)" if merged else "")
    )
