"""The policy-worker rank: runs one policy on its entities of one match copy."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from arena.algos.base import Policy, accepted_options
from arena.compat import Arena5Env, as_policy, is_arena5_policy
from arena.envs.api import make_env_source
from arena.envs.step_checks import DataChecks
from arena.evaluation.schedule import EvalGame
from arena.mpi import comm as mpi
from arena.mpi import protocol
from arena.plan.roles import MatchCopy, RankRole
from arena.plan.rounds import RoundConfig
from arena.ranks.memory import MemoryProbe
from arena.ranks.signals import StopFlag, StopRequested
from arena.ranks.worker.link import MatchEnded, MatchLink, make_proxy
from arena.storage.file_service import HomeLink, RemoteRecord
from arena.storage.records import PolicyRecord
from arena.storage.scratch import remove_scratch, scratch_folder

POLL_EVERY_STEPS = 32
SAVE_INTERVAL_S = 10.0  # finished episodes reach rank 0 (and its disk) at least this often
STEPS_REPORT_S = 1.0  # how often a worker tells its policy's root how many steps it has taken


class StopWatch:
    """Whether a policy's root worker should stop: a signal reached this rank, or rank 0 said so."""

    POLL_INTERVAL_S = 0.01  # how often waits look for rank 0's message

    def __init__(self, comm: mpi.Comm, flag: StopFlag):
        self.comm, self.flag = comm, flag
        self.told = False
        self.last_poll = 0.0

    def requested(self) -> bool:
        """True once either has happened; polls rank 0's message without blocking."""
        if not self.told:
            self.told = mpi.poll_object(0, protocol.STOP, self.comm)[0]
        return self.told or self.flag.requested

    def raise_if_requested(self) -> None:
        """Raise StopRequested once a stop was asked for; cheap enough to call in every wait."""
        if self.flag.requested or self.told:
            raise StopRequested("the job was asked to stop")
        now = time.monotonic()
        if now - self.last_poll > self.POLL_INTERVAL_S:
            self.last_poll = now
            if self.requested():
                raise StopRequested("the job was asked to stop")


class EpisodeReporter:
    """Streams finished episodes from every worker of a policy to its root worker, which records them.

    Workers send ``("episode", return, length, label, steps)`` as episodes end, ``("steps", late,
    ticks, steps)`` every second and one ``("finished", late, ticks, steps)`` after their run; the root drains them
    between steps.
    """

    def __init__(
        self,
        records_comm: mpi.Comm,
        record: PolicyRecord | None,
        link: MatchLink,
        budget: int,
        interval: float,
        stop: StopWatch | None = None,
        games: int | None = None,
    ):
        self.comm, self.record, self.link, self.stop = records_comm, record, link, stop
        self.is_root = mpi.rank_of(records_comm) == 0
        self.peer_steps = np.zeros(mpi.size_of(records_comm), dtype=np.int64)
        self.peer_late = np.zeros((mpi.size_of(records_comm), 2), dtype=np.int64)  # (late ticks, ticks): realtime
        self.base_steps = record.steps_done if record is not None else 0
        self.budget, self.interval = budget, interval
        self.games = games  # with a games budget (kickoff(games_per_copy=...)) the steps are only a cap
        self.started = self.last_print = self.last_save = self.last_report = time.perf_counter()
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

    def add_episode(self, ret: float, length: int, label: str = "") -> None:
        """Record (root) or forward (other workers) one finished episode."""
        if self.is_root:
            self._record(ret, length, label)
        else:
            message = ("episode", ret, length, label, self.link.steps)
            self.pending.append(mpi.isend_object(message, 0, protocol.EPISODE, self.comm))

    def _report_steps(self) -> None:
        """A worker tells the root its step count every STEPS_REPORT_S, so progress lines and SPS count every worker."""
        now = time.perf_counter()
        if now - self.last_report > STEPS_REPORT_S:
            message = ("steps", self.link.late_ticks, self.link.ticks, self.link.steps)
            self.pending.append(mpi.isend_object(message, 0, protocol.EPISODE, self.comm))
            self.last_report = now
        if len(self.pending) > 64 and mpi.test_all(self.pending):
            self.pending = []

    def _record(self, ret: float, length: int, label: str) -> None:
        self.record.add_result(ret, length, steps=self.base_steps + self.policy_steps(), label=label)
        self.round_episodes += 1

    def after_step(self) -> None:
        """Every few steps: the root drains forwarded episodes, saves, plots and prints progress."""
        self.calls += 1
        if self.calls % POLL_EVERY_STEPS:
            return
        if self.is_root and self.stop is not None and self.stop.requested():
            raise StopRequested("the job was asked to stop")
        self.memory.sample(self.link.steps / max(1, self.own_budget))
        if not self.is_root:
            self._report_steps()
            return
        self._drain()
        self.record.link.progress()
        now = time.perf_counter()
        if now - self.last_save > SAVE_INTERVAL_S:
            self.record.save()
            self.record.metrics.log(self.charts(), self.base_steps + self.policy_steps())
            self.last_save = now
        if now - self.last_print > self.interval:
            print(self.progress_line(), flush=True)
            self.last_print = now

    def _drain(self) -> None:
        """Take in every message the other workers have sent so far."""
        while True:
            found, message, source = mpi.poll_object(mpi.ANY_SOURCE, protocol.EPISODE, self.comm)
            if not found:
                return
            self.peer_steps[source] = message[-1]
            if message[0] in ("steps", "finished"):
                self.peer_late[source] = message[1:3]
            if message[0] == "episode":
                self._record(message[1], message[2], message[3])
            elif message[0] == "finished":
                self.finished_peers += 1

    def _all_finished(self) -> bool:
        self._drain()
        return self.finished_peers == mpi.size_of(self.comm) - 1

    def steps_per_second(self) -> float:
        """The policy's environment steps per second in this round, over all its workers."""
        return self.policy_steps() / max(1e-9, time.perf_counter() - self.started)

    def late_percent(self) -> float | None:
        """Under realtime_fps: the share of ticks (over all workers) at which the policy's action was late."""
        if not self.link.paced:
            return None
        self.peer_late[0] = (self.link.late_ticks, self.link.ticks)
        late, ticks = self.peer_late.sum(axis=0)
        return 100.0 * late / max(1, ticks)

    def charts(self) -> dict[str, float]:
        """The policy's periodic charts: steps per second and, paced, the late share."""
        late = self.late_percent()
        return {"charts/SPS": self.steps_per_second()} | ({} if late is None else {"charts/late_action_pct": late})

    def progress_line(self) -> str:
        """One line: steps of the budget, speed, episodes, recent mean return and the latest losses."""
        steps = self.policy_steps()
        recent = self.record.ep_results[-100:]
        mean = f"{np.mean(recent):.3f}" if recent else "n/a"
        losses = [f"{tag[7:]} {value:.4g}" for tag, value in self.record.metrics.latest.items() if tag[:7] == "losses/"]
        of_budget = (
            f"/{self.budget:,} steps ({100.0 * steps / max(1, self.budget):.0f}%)"
            if self.games is None
            else f" steps (matches of {self.games} games)"
        )
        return (
            f"[arena] policy {self.record.policy_id}: {steps:,}{of_budget}, {self.steps_per_second():,.0f} steps/s, "
            f"{self.round_episodes} episodes this round, mean return (last 100) {mean}"
            + ("" if self.late_percent() is None else f", late actions {self.late_percent():.1f}%")
            + (" | " + ", ".join(losses) if losses else "")
        )

    def finish(self) -> bool:
        """Non-root workers report their final step count; the root waits for all and saves.

        Returns False when the root stopped waiting because the job was asked to stop.
        """
        if not self.is_root:
            message = ("finished", self.link.late_ticks, self.link.ticks, self.link.steps)
            self.pending.append(mpi.isend_object(message, 0, protocol.EPISODE, self.comm))
            mpi.wait_all(self.pending)
            return True
        stopping = self.stop.requested if self.stop is not None else lambda: False
        mpi.wait_until(lambda: self._all_finished() or stopping(), mpi.IDLE_MAX_SLEEP_S)
        if not self._all_finished():
            self.flush()
            return False
        self.record.steps_done = self.base_steps + self.policy_steps()
        self.record.round_open = False
        self.record.metrics.log(self.charts(), self.record.steps_done)
        self.record.save()
        print(self.progress_line().replace("[arena]", "[arena] round done,"), flush=True)
        return True

    def flush(self) -> None:
        """The root takes in what has arrived and sends the records home; the round stays open, so a rerun resumes."""
        self._drain()
        self.record.steps_done = self.base_steps + self.policy_steps()
        self.record.save()


def _policy_kwargs(policy_class: type, kwargs: dict, seed: int, device: str | None, budget: int | None) -> dict:
    """The policy's kwargs, plus this worker's seed, device and schedule horizon (the round's whole budget,
    also when a resumed round plays only what is left of it) where the class takes them and the user gave none."""
    kwargs = dict(kwargs)
    params = accepted_options(policy_class)
    if "seed" in params and "seed" not in kwargs:
        kwargs["seed"] = seed
    if "device" in params and kwargs.get("device") is None and device is not None:
        kwargs["device"] = device
    if "schedule_steps" in params and kwargs.get("schedule_steps") is None and budget is not None:
        kwargs["schedule_steps"] = budget
    return kwargs


def evaluation_game(make_env: Callable[..., Any], match: MatchCopy, entities: tuple, labels: list[str]) -> EvalGame:
    """How an evaluation builds the match's game again: the make_env source, the match's kwargs, the entities."""
    source = make_env_source(make_env)
    if any(label != match.label for label in labels):
        source = (
            "the match's env batch labels its own copies (a multi-game batch), and an evaluation builds "
            "one plain game; the per-label curves and scores_by_label.csv measure the policy instead"
        )
    return EvalGame(source, dict(match.env_kwargs), entities, list(sys.path))


def _receive_spaces(comm: mpi.Comm, env_rank: int, timeout: float) -> tuple:
    """The match's spaces, copies, threads and labels, sent by its environment rank once it has built its envs."""
    try:
        return mpi.recv_object(env_rank, protocol.SPACES, comm, timeout=timeout)[0]
    except mpi.WaitTimeout:
        raise mpi.WaitTimeout(f"environment rank {env_rank} did not start within {timeout:g} s") from None


def _match_link(comm: mpi.Comm, role: RankRole, cfg: RoundConfig, legacy: bool) -> tuple[MatchLink, list[str]]:
    """The worker's end of its match, once the environment rank has sent the spaces; and each copy's label."""
    spec, match, timeout = role.worker, role.match, cfg.worker_timeout()
    obs_spaces, act_spaces, copies, threads, labels, turns = _receive_spaces(comm, match.env_rank, timeout)
    if threads > 1 and cfg.waits == "auto":
        # Rank 0 counted one core per busy rank; an env stepping copies on several threads
        # wants the cores its workers would poll on, and a step of many copies hides a sleep's latency.
        mpi.spin_step_waits(False)
    checks = DataChecks(cfg.data_checks, f"policy {spec.policy_id} (rank {role.rank}) in match {match.match_index}")
    checks.action_bounds = not legacy  # arena5 sent Box actions unclipped; its envs scale or clip them
    paced = cfg.realtime_fps is not None
    link = MatchLink(
        comm,
        match.env_rank,
        obs_spaces,
        act_spaces,
        copies,
        timeout,
        checks,
        spec.entities,
        labels,
        paced,
        turns,
        first_timeout=cfg.worker_first_timeout(),
    )
    return link, labels


def run_worker_rank(
    comm: mpi.Comm,
    role: RankRole,
    cfg: RoundConfig,
    policy_class: type,
    stop: StopFlag,
    package: dict | None,
    make_env: Callable[..., Any] | None = None,
) -> dict:
    """Join the policy's communicator, build the proxy env, and run the policy for the round.

    The policy's root worker is the one given a ``package`` (its records and files from rank 0);
    its record also says how to build the match's game again, for evaluations (``evaluation_game``).
    """
    spec, match = role.worker, role.match
    ranks = cfg.policy_ranks[spec.policy_id]
    policy_comm = mpi.group_comm(comm, ranks, tag=spec.policy_id % 32768, timeout=cfg.worker_timeout())
    records_comm = mpi.duplicate(policy_comm)
    timeout = cfg.worker_timeout()
    legacy = is_arena5_policy(policy_class)
    link, labels = _match_link(comm, role, cfg, legacy)
    env = make_proxy(link, spec.block)
    record = None
    if package is not None:
        # Before a file is written, the reporter (made below) sends home every episode a checkpoint counts.
        record = RemoteRecord(
            package,
            HomeLink(comm, timeout),
            cfg.log_comms_dir,
            cfg.plot_colors.get(spec.policy_id),
            before_write=lambda: reporter.flush(),
        )
        if make_env is not None:
            record.evaluation_game = evaluation_game(make_env, match, spec.entities, labels)
    data_dir = record.data_dir if record is not None else scratch_folder(f"arena_policy_{spec.policy_id}_")
    budget = cfg.steps_for(spec.policy_id) * link.copies * mpi.size_of(policy_comm)
    watch = StopWatch(comm, stop) if record is not None else None
    reporter = EpisodeReporter(records_comm, record, link, budget, cfg.progress_interval, watch, cfg.games_per_copy)
    policy_kwargs = cfg.policy_kwargs.get(spec.policy_id, {})
    seed = cfg.seed_for("worker rank", role.rank)
    kwargs = _policy_kwargs(
        policy_class, policy_kwargs, seed, cfg.devices.get(role.rank), cfg.round_budgets.get(spec.policy_id)
    )
    try:
        made = policy_class(Arena5Env(env) if legacy else env, policy_comm, **kwargs)
        # Every worker of the policy has built its learner (torch, networks, a replay), however long that
        # took under load: from here on they are steps apart, and their collectives wait half the silence.
        mpi.check_in(policy_comm, cfg.worker_first_timeout())
        policy = as_policy(made, legacy, mpi.size_of(policy_comm))
        steps = cfg.steps_for(spec.policy_id)
        spare = cfg.match_steps([w.policy_id for w in match.workers]) - steps
        # With a games budget (a tournament) the env ends every match: that is no news.
        who = f"rank {role.rank} (policy {spec.policy_id})" if cfg.games_per_copy is None else None
        summary = _play(policy, reporter, data_dir, who, steps, spare, seed)
    finally:
        if record is None:
            remove_scratch(data_dir)
    if not summary.get("stopped"):
        mpi.free(records_comm)
        mpi.free(policy_comm)
    return summary | {"home_messages": record.link.sent if record is not None else 0}


def _play(
    policy: Policy, reporter: EpisodeReporter, data_dir: str, who: str | None, steps: int, spare: int, seed: int
) -> dict:
    """Run the policy; the root then sends its records and files home (after a stop too).

    ``who`` names the worker if the env ending its match early is worth a line (None: it is not).

    A policy with ``spare`` steps fewer than its match (a resumed round where its budget
    had less left than a partner's) acts at random for those steps, recording nothing.
    """
    link, record = reporter.link, reporter.record
    if reporter.stop is not None:  # a stop reaches the root in any wait: a step, an Allreduce
        mpi.interrupt_waits_with(reporter.stop.raise_if_requested)
    try:
        policy.run(steps, data_dir, record)
        if spare > 0:
            link.play_out(seed)
    except StopRequested:
        mpi.interrupt_waits_with(None)
        return _save_on_stop(policy, reporter)
    except MatchEnded as ended:
        if who is not None:
            print(f"[arena] {who}: {ended}; stopping its run", file=sys.stderr)
    finally:
        mpi.interrupt_waits_with(None)
    link.close()
    policy.finish_evaluations()  # a last evaluation may take minutes: only after leaving the match
    memory = reporter.memory.summary()
    finished = reporter.finish()
    if record is not None:
        record.close()
    return ({"steps": link.steps} | memory) if finished else {"steps": link.steps, "stopped": True}


def _save_on_stop(policy: Policy, reporter: EpisodeReporter) -> dict:
    """The policy root's part of a graceful stop: checkpoint (if the policy keeps one), then records, sent home."""
    print(
        f"[arena] policy {reporter.record.policy_id}: stopping; saving its records and any checkpoint it keeps",
        flush=True,
    )
    policy.save()
    reporter.flush()
    reporter.record.close()
    return {"steps": reporter.link.steps, "stopped": True}
