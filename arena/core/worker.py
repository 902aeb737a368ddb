"""The policy-worker rank: runs one policy on its entities of one match copy."""

from __future__ import annotations

import inspect
import os
import sys
import time
from dataclasses import dataclass

import numpy as np

from arena.core import comm as mpi
from arena.core.env_process import TAG_SPACES
from arena.core.memory import MemoryProbe
from arena.core.plan import RankRole
from arena.core.proxies import MatchEnded, MatchLink, make_proxy
from arena.records import PolicyRecord, policy_dir

TAG_EPISODE = 21
POLL_EVERY_STEPS = 32
SAVE_INTERVAL_S = 10.0  # records reach disk at least this often
PLOT_INTERVAL_S = 60.0  # learning curves are redrawn at most this often during a round


@dataclass(frozen=True)
class RoundConfig:
    """What every rank needs to know about a round, sent by the root at kickoff."""

    round_index: int
    steps_per_match: int
    policy_types: dict
    policy_kwargs: dict
    policy_ranks: dict  # policy id -> world ranks of its workers
    plot_colors: dict
    log_comms_dir: str
    seed: int
    render: bool
    progress_interval: float
    step_messages: str = "buffers"  # or "pickle": the slow reference protocol, for benchmarks


class EpisodeReporter:
    """Streams finished episodes from every worker of a policy to its root worker, which records them.

    Workers send ``("episode", return, length, steps)`` as episodes end and one
    ``("finished", steps)`` after their run; the root drains them between steps.
    """

    def __init__(
        self, records_comm: mpi.Comm, record: PolicyRecord | None, link: MatchLink, budget: int, interval: float
    ):
        self.comm, self.record, self.link = records_comm, record, link
        self.is_root = mpi.rank_of(records_comm) == 0
        self.peer_steps = np.zeros(mpi.size_of(records_comm), dtype=np.int64)
        self.base_steps = record.steps_done if record is not None else 0
        self.budget, self.interval = budget, interval
        self.started = self.last_print = self.last_save = self.last_plot = time.perf_counter()
        self.round_episodes = 0
        self.finished_peers = 0
        self.pending: list = []
        self.calls = 0
        self.own_budget = budget // mpi.size_of(records_comm)  # this worker's environment steps
        self.memory = MemoryProbe()
        link.on_episode = self.add_episode
        link.on_step = self.after_step

    def policy_steps(self) -> int:
        """Steps this policy has taken in this round, over all its workers."""
        self.peer_steps[0] = self.link.steps
        return int(self.peer_steps.sum())

    def add_episode(self, ret: float, length: int) -> None:
        """Record (root) or forward (other workers) one finished episode."""
        if self.is_root:
            self._record(ret, length)
        else:
            message = ("episode", ret, length, self.link.steps)
            self.pending.append(mpi.isend_object(message, 0, TAG_EPISODE, self.comm))

    def _record(self, ret: float, length: int) -> None:
        self.record.add_result(ret, length, steps=self.base_steps + self.policy_steps())
        self.round_episodes += 1

    def after_step(self) -> None:
        """Every few steps: the root drains forwarded episodes, saves, plots and prints progress."""
        self.calls += 1
        if self.calls % POLL_EVERY_STEPS:
            return
        self.memory.sample(self.link.steps / max(1, self.own_budget))
        if not self.is_root:
            if len(self.pending) > 64 and mpi.test_all(self.pending):
                self.pending = []
            return
        self._drain()
        now = time.perf_counter()
        if now - self.last_save > SAVE_INTERVAL_S:
            plot = now - self.last_plot > PLOT_INTERVAL_S
            self.record.save(plots=plot)
            self.last_save = now
            self.last_plot = now if plot else self.last_plot
        if now - self.last_print > self.interval:
            print(self.progress_line(), flush=True)
            self.last_print = now

    def _drain(self) -> None:
        """Take in every message the other workers have sent so far."""
        while True:
            found, message, source = mpi.poll_object(mpi.ANY_SOURCE, TAG_EPISODE, self.comm)
            if not found:
                return
            self.peer_steps[source] = message[-1]
            if message[0] == "episode":
                self._record(message[1], message[2])
            else:
                self.finished_peers += 1

    def _all_finished(self) -> bool:
        self._drain()
        return self.finished_peers == mpi.size_of(self.comm) - 1

    def progress_line(self) -> str:
        """One line: steps of the budget, speed, episodes and recent mean return."""
        steps = self.policy_steps()
        rate = steps / max(1e-9, time.perf_counter() - self.started)
        recent = self.record.ep_results[-100:]
        mean = f"{np.mean(recent):.3f}" if recent else "n/a"
        return (
            f"[arena] policy {self.record.policy_id}: {steps:,}/{self.budget:,} steps "
            f"({100.0 * steps / max(1, self.budget):.0f}%), {rate:,.0f} steps/s, "
            f"{self.round_episodes} episodes this round, mean return (last 100) {mean}"
        )

    def finish(self) -> None:
        """Non-root workers report their final step count; the root waits for all and saves."""
        if not self.is_root:
            self.pending.append(mpi.isend_object(("finished", self.link.steps), 0, TAG_EPISODE, self.comm))
            mpi.wait_all(self.pending)
            return
        mpi.wait_until(self._all_finished, mpi.IDLE_MAX_SLEEP_S)
        self.record.steps_done = self.base_steps + self.policy_steps()
        self.record.save(plots=True)
        print(self.progress_line().replace("[arena]", "[arena] round done,"), flush=True)


def _policy_kwargs(policy_class: type, kwargs: dict, seed: int) -> dict:
    kwargs = dict(kwargs)
    params = inspect.signature(policy_class).parameters
    if "seed" in params and "seed" not in kwargs:
        kwargs["seed"] = seed
    return kwargs


def run_worker_rank(comm: mpi.Comm, role: RankRole, cfg: RoundConfig, policy_class: type) -> dict:
    """Join the policy's communicator, build the proxy env, and run the policy for the round."""
    spec, match = role.worker, role.match
    policy_comm = mpi.group_comm(comm, cfg.policy_ranks[spec.policy_id], tag=spec.policy_id % 32768)
    records_comm = mpi.duplicate(policy_comm)
    obs_spaces, act_spaces, copies = mpi.recv_object(match.env_rank, TAG_SPACES, comm)[0]
    link = MatchLink(comm, match.env_rank, obs_spaces, act_spaces, copies, pickled=cfg.step_messages == "pickle")
    env = make_proxy(link, spec.block)
    data_dir = policy_dir(cfg.log_comms_dir, spec.policy_id)
    record = None
    if mpi.rank_of(policy_comm) == 0:
        os.makedirs(data_dir, exist_ok=True)
        record = PolicyRecord(spec.policy_id, cfg.log_comms_dir, cfg.plot_colors.get(spec.policy_id)).load()
    budget = cfg.steps_per_match * copies * mpi.size_of(policy_comm)
    interval = float("inf") if getattr(policy_class, "prints_progress", False) else cfg.progress_interval
    reporter = EpisodeReporter(records_comm, record, link, budget, interval)
    kwargs = _policy_kwargs(policy_class, cfg.policy_kwargs.get(spec.policy_id, {}), cfg.seed + role.rank)
    policy = policy_class(env, policy_comm, **kwargs)
    try:
        policy.run(cfg.steps_per_match, data_dir, record)
    except MatchEnded as ended:
        print(f"[arena] rank {role.rank} (policy {spec.policy_id}): {ended}; stopping its run", file=sys.stderr)
    link.close()
    memory = reporter.memory.summary()  # before the final plots import matplotlib
    reporter.finish()
    mpi.free(records_comm)
    mpi.free(policy_comm)
    return {"steps": link.steps} | memory
