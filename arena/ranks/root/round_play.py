"""Playing one round on every rank, from rank 0: roles out, files and frames in, a graceful stop."""

from __future__ import annotations

import os
import time

from arena.mpi import comm as mpi
from arena.mpi import protocol
from arena.plan.roles import UNUSED, Plan
from arena.plan.rounds import RoundConfig
from arena.ranks.signals import StopFlag
from arena.report.mosaic import FRAME_INTERVAL_S, MosaicView
from arena.report.plots import plot_policy_records, plot_record
from arena.storage.file_service import Home, round_package
from arena.storage.records import PolicyRecord, load_records


class RoundPlay:
    """Runs rounds on the other ranks for the root: ``run`` returns once every busy rank has reported."""

    def __init__(self, comm: mpi.Comm, log_comms_dir: str, stop: StopFlag, curves: bool = True):
        self.comm, self.log_comms_dir, self.stop = comm, log_comms_dir, stop
        self.curves = curves  # draw each policy's curves during and after a round
        self.stop_requests: list = []  # the stop messages sent to policy roots (their buffers must live)

    def run(self, plan: Plan, cfg: RoundConfig, records: dict[int, PolicyRecord]) -> dict[int, dict]:
        """Send every busy rank its role, serve rank 0's files and the mosaic until all report; their summaries."""
        # From the first role sent, a Ctrl+C saves before the job ends: a worker may start (and hear the
        # signal) before rank 0 has finished setting up the round here.
        self.stop.defer = True
        try:
            return self._run(plan, cfg, records)
        finally:
            self.stop.defer = False

    def _run(self, plan: Plan, cfg: RoundConfig, records: dict[int, PolicyRecord]) -> dict[int, dict]:
        policy_roots = {pid: min(ranks) for pid, ranks in cfg.policy_ranks.items()}
        packages = {policy_roots[pid]: round_package(record) for pid, record in records.items()}
        busy = [r for r in plan.roles if r.role not in (UNUSED, "root")]
        requests = [
            mpi.isend_object(("round", role, cfg, packages.get(role.rank)), role.rank, protocol.CONTROL, self.comm)
            for role in busy
        ]
        home = Home(self.comm, records, plot_record if self.curves else None)
        summaries: dict[int, dict] = {}
        view = self._mosaic(plan, cfg) if cfg.render else None
        stop_deadline: list[float] = []

        def finished(rank: int) -> bool:
            return rank in summaries and home.complete(rank, summaries[rank])

        def round_over() -> bool:
            if view is not None:
                view.poll()
            home.poll()
            found, summary, source = mpi.poll_object(mpi.ANY_SOURCE, protocol.DONE, self.comm)
            if found:
                summaries[source] = summary
            if self.stop.requested:  # wait only for every policy root to save
                if not stop_deadline:
                    stop_deadline.append(self._begin_stop(policy_roots, cfg))
                saved = all(finished(rank) for rank in policy_roots.values())
                return saved or time.monotonic() > stop_deadline[0]
            return all(finished(role.rank) for role in busy)

        mpi.wait_all(requests, mpi.IDLE_MAX_SLEEP_S)
        mpi.wait_until(round_over, FRAME_INTERVAL_S / 4 if view is not None else mpi.IDLE_MAX_SLEEP_S)
        if view is not None:
            view.close()
            print(f"[arena] render: {view.frames_written} mosaic frames in {view.video_path}", flush=True)
        if self.stop.requested:
            home.close_metrics()
            self._end_stopped(policy_roots, {r: s for r, s in summaries.items() if finished(r)})
        home.finish()
        return summaries

    def _begin_stop(self, policy_roots: dict[int, int], cfg: RoundConfig) -> float:
        """Tell every policy root to save (the signal may have reached rank 0 alone); returns the deadline."""
        print(
            "[arena] stop requested: each policy saves its checkpoint and records, then the job ends "
            "(press Ctrl+C again to end it at once)",
            flush=True,
        )
        self.stop_requests += [mpi.isend_object(("stop",), r, protocol.STOP, self.comm) for r in policy_roots.values()]
        return time.monotonic() + cfg.worker_timeout()

    def _end_stopped(self, policy_roots: dict[int, int], summaries: dict[int, dict]) -> None:
        """Report what was saved and end every rank; never returns."""
        saved = sorted(pid for pid, rank in policy_roots.items() if rank in summaries)
        missing = sorted(set(policy_roots) - set(saved))
        print(f"[arena] stopped: policies {saved} saved their records and checkpoints in {self.log_comms_dir}")
        if missing:
            print(f"[arena] policies {missing} did not answer in time; their last periodic saves stand")
        print("[arena] run the same script again to resume", flush=True)
        time.sleep(1.0)  # let mpiexec forward the output before the abort tears down its pipes
        mpi.abort(self.comm, self.stop.exit_code())

    def _mosaic(self, plan: Plan, cfg: RoundConfig) -> MosaicView:
        """The mosaic of every copy's latest frame, written under ``log_comms_dir/render``."""
        labels = {
            g: f"match {m.match_index} copy {c}"
            for m in plan.matches
            for g, c in zip(m.global_copy_ids(), m.copy_ids())
        }
        out_dir = os.path.join(self.log_comms_dir, "render")
        return MosaicView(self.comm, labels, out_dir, cfg.round_index)


def plot_all(log_comms_dir: str, plot_colors: dict) -> None:
    """``all_policies.png``: every policy's rolling mean return in one figure."""
    records = [r for r in load_records(log_comms_dir).values() if r.episodes]
    for r in records:
        r.plot_color = plot_colors.get(r.policy_id, r.plot_color)
    if records:
        path = os.path.join(log_comms_dir, "all_policies.png")
        plot_policy_records(records, [100], [1.0], path, title="all policies")
