"""Rank 0's log folder is the one home of every file a run keeps.

Ranks may sit on hosts that share no disk, so only rank 0 reads or writes the log
folder. At round start rank 0 sends each policy's root worker a *package*: the
policy's records and its saved files. While the round plays, the root worker sends
back finished episodes and every file the policy saves, and rank 0 writes them and
redraws the curves in a thread of its own, off every worker's step path.

On the root worker the policy is handed ``policy_record.files`` (read, write and
append bytes by name) and a ``data_dir`` that is a private copy of its folder on
the worker's own disk; files that a legacy policy writes there with ``open()``
travel home at the end of the round.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from arena.mpi import comm as mpi
from arena.mpi import protocol
from arena.storage.files import (
    CATALOG,
    CHECKPOINT,
    CORRUPT_SUFFIX,
    LocalFiles,
    PolicyFiles,
    check_file_name,
    read_versions,
    stays_home,
)
from arena.storage.metrics import Metrics, MetricsWriter, Row, tb_dir_of
from arena.storage.records import Episode, PolicyRecord, RecordChannel, is_record_file, policy_dir
from arena.storage.scratch import remove_scratch, scratch_folder

PLOT_INTERVAL_S = 60.0  # curves are redrawn at most this often during a round


# ------------------------------------------------------------------ rank 0


def open_round(
    saved_steps: Callable[[str], int | None],
    log_comms_dir: str,
    policy_id: int,
    plot_color: str | None,
    grid: tuple[int, int] | None = None,
) -> PolicyRecord:
    """Load a policy's record for a new round, rewound to its checkpoint if the last run was cut short.

    ``saved_steps`` is the policy's ``Policy.saved_steps``: the step of its checkpoint in a folder, or None.

    ``grid`` (from the journal of a cut-short round: the step the round started the policy
    at, and the policy's steps per step of its workers) serves a policy that keeps no
    checkpoint: it continues from its last saved step on that grid, so that what its
    budget has left splits evenly over its workers.
    """
    record = PolicyRecord(policy_id, log_comms_dir, plot_color, load=False).load()
    # Read even between rounds: a bad checkpoint or catalog is restored from its last good version here, or
    # stops kickoff; the round package carries no older versions.
    set_aside = _identity(os.path.join(record.data_dir, CHECKPOINT + CORRUPT_SUFFIX))
    saved = saved_steps(record.data_dir)
    restored = _identity(os.path.join(record.data_dir, CHECKPOINT + CORRUPT_SUFFIX)) != set_aside
    read_versions(os.path.join(record.data_dir, CATALOG), json.loads, repair=True)
    # An older checkpoint restored after a finished round: the weights are behind the records, so the
    # records (and, at round start, the metrics) go back to the weights, as after a cut-short run.
    behind = restored and saved is not None and saved < record.steps_done
    steps = saved if record.round_open or behind else None
    where, why = (f"its checkpoint at step {steps:,}", "") if steps is not None else ("", "")
    if behind and not record.round_open:
        why = "its checkpoint was restored from an older version; "
    if steps is None and record.round_open and grid is not None:
        start, stride = grid
        steps = start + max(0, record.steps_done - start) // stride * stride
        where, why = f"its last save, at step {steps:,}", "it keeps no checkpoint; "
    if steps is not None:
        dropped = record.rewind(steps)
        cause = "the last run stopped mid-round" if record.round_open else "its weights are older than its records"
        print(
            f"[arena] policy {policy_id}: {cause}; its records continue from {where} "
            f"({why}{dropped} episodes recorded after it were dropped)",
            flush=True,
        )
    record.round_open = True
    record.save()
    return record


def _identity(path: str) -> tuple[int, int] | None:
    """(inode, mtime) of ``path``, or None: tells whether a file was put there since it was last looked at."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns


def folder_files(folder: str) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path, except what the arena keeps itself (records, curves)."""
    found = {}
    for parent, _, names in os.walk(folder):
        for name in names:
            rel = os.path.relpath(os.path.join(parent, name), folder)
            if not is_record_file(rel) and not stays_home(rel):
                with open(os.path.join(parent, name), "rb") as f:
                    found[rel] = f.read()
    return found


def round_package(record: PolicyRecord) -> dict:
    """What a policy's root worker needs to play a round: its records and its saved files."""
    return {
        "policy_id": record.policy_id,
        "episodes": [dataclasses.astuple(e) for e in record.episodes],
        "steps_done": record.steps_done,
        "channels": {name: channel.columns() for name, channel in record.extra_channels.items()},
        "files": folder_files(record.data_dir) if os.path.isdir(record.data_dir) else {},
    }


class Home:
    """Rank 0's side: writes what policy roots send and answers their reads, polled by the round loop."""

    def __init__(
        self,
        comm: mpi.Comm,
        records: dict[int, PolicyRecord],
        draw: Callable[[PolicyRecord], Any] | None,
        plot_interval: float | None = None,
    ):
        # draw: a policy's curves (arena.report.plots); None draws nothing
        self.comm, self.records, self.draw = comm, records, draw
        self.replies: list[Any] = []  # answers to reads, kept until delivered (their buffers must live)
        self.plot_interval = PLOT_INTERVAL_S if plot_interval is None else plot_interval
        self.handled: Counter = Counter()  # messages taken in, by source rank
        self.incoming: list[tuple[Any, Any, int, tuple]] = []  # (request, buffer, source, header), in arrival order
        self.dirty: set[int] = set()
        self.plotter: threading.Thread | None = None
        self.last_plot = time.monotonic()
        self.metrics = {
            pid: MetricsWriter(r.data_dir, tb_dir_of(r.log_comms_dir, pid), resume_step=r.steps_done)
            for pid, r in records.items()
        }

    def poll(self) -> None:
        """Take in every message that has arrived, write what is complete, and redraw curves when due."""
        while True:
            found, header, source = mpi.poll_object(mpi.ANY_SOURCE, protocol.HOME, self.comm)
            if not found:
                break
            self._receive(header, source)
        self.replies = [r for r in self.replies if not mpi.test_all([r])]
        while self.incoming and mpi.test_all([self.incoming[0][0]]):
            _, buf, source, header = self.incoming.pop(0)
            self._apply(header, buf.tobytes())
            self.handled[source] += 1
        due = self.dirty and time.monotonic() - self.last_plot > self.plot_interval
        if due and self.draw is not None and not self._plotting():
            self._plot_in_background()

    def _receive(self, header: tuple, source: int) -> None:
        kind, nbytes = header[0], header[-1]
        if kind == "read":
            _, policy_id, name, _ = header
            home = next(iter(self.records.values())).log_comms_dir  # a reader always plays, so records exist
            data = LocalFiles(policy_dir(home, policy_id)).read(name)
            self.replies.append(mpi.isend_object(data, source, protocol.HOME_REPLY, self.comm))
            self.handled[source] += 1
        elif nbytes >= 0:  # the bytes follow on HOME_DATA, in the order of their headers
            request, buf = mpi.irecv_bytes(nbytes, source, protocol.HOME_DATA, self.comm)
            self.incoming.append((request, buf, source, header))
        else:
            self._apply(header, b"")
            self.handled[source] += 1

    def _apply(self, header: tuple, data: bytes) -> None:
        kind, policy_id = header[0], header[1]
        record = self.records[policy_id]
        if kind == "episodes":
            _, _, rows, steps_done, round_open, _ = header
            episodes = [Episode(*row) for row in rows]
            record.episodes.extend(episodes)
            record.steps_done, record.round_open = steps_done, round_open
            record.save()
            self.metrics[policy_id].write(episode_scalars(episodes))
            self.dirty.add(policy_id)
        elif kind == "channels":
            record.extra_channels = {name: RecordChannel(name, *columns) for name, columns in header[2].items()}
            record.save()
        elif kind == "metrics":
            self.metrics[policy_id].write(header[2])
        elif kind == "text":
            self.metrics[policy_id].text(*header[2:5])
        elif kind == "write":
            record.files.write(header[2], data)
        elif kind == "append":
            record.files.append(header[2], data)

    def _plotting(self) -> bool:
        return self.plotter is not None and self.plotter.is_alive()

    def _plot_in_background(self) -> None:
        snapshots = []
        for policy_id in sorted(self.dirty):
            snapshot = copy.copy(self.records[policy_id])
            snapshot.episodes = list(snapshot.episodes)
            snapshots.append(snapshot)
        self.dirty.clear()
        self.last_plot = time.monotonic()
        self.plotter = threading.Thread(target=lambda: [self.draw(s) for s in snapshots], daemon=True)
        self.plotter.start()

    def complete(self, source: int, summary: dict) -> bool:
        """True once every home message that ``source``'s summary counts has been taken in."""
        return self.handled[source] >= summary.get("home_messages", 0)

    def close_metrics(self) -> None:
        """Flush and close every policy's event files."""
        for writer in self.metrics.values():
            writer.close()

    def finish(self) -> None:
        """Close the metrics, wait for a redraw in progress, then draw every policy's final curves."""
        self.close_metrics()
        if self.plotter is not None:
            self.plotter.join()
        for record in self.records.values():
            if record.episodes and self.draw is not None:
                self.draw(record)


def episode_scalars(episodes: list[Episode]) -> list[Row]:
    """The CleanRL charts of finished episodes (true game scores), at the policy's step when each ended.

    A labelled episode is charted under its label too (``charts/episodic_return/game=Pong``), so a
    policy that plays many games has one curve per game beside the blend of all.
    """
    rows = []
    for e in episodes:
        rows.append(("charts/episodic_return", e.ret, e.steps, e.time))
        rows.append(("charts/episodic_length", float(e.length), e.steps, e.time))
        if e.label:
            rows.append((f"charts/episodic_return/{e.label}", e.ret, e.steps, e.time))
            rows.append((f"charts/episodic_length/{e.label}", float(e.length), e.steps, e.time))
    return rows


# ------------------------------------------------------------ root worker


class HomeLink:
    """A policy root worker's channel to rank 0: counted messages, bytes sent without blocking a step."""

    def __init__(self, comm: mpi.Comm, timeout: float):
        self.comm, self.timeout = comm, timeout
        self.sent = 0
        self.pending: list[tuple[Any, bytes | None]] = []  # (request, the bytes it sends, kept alive)

    def send(self, header: tuple, data: bytes | None = None) -> None:
        """Start sending one message: ``header`` and, if given, its bytes."""
        self.pending.append(
            (mpi.isend_object((*header, -1 if data is None else len(data)), 0, protocol.HOME, self.comm), None)
        )
        if data is not None:
            self.pending.append((mpi.isend_bytes(data, 0, protocol.HOME_DATA, self.comm), data))
        self.sent += 1

    def progress(self) -> None:
        """Let sends advance and drop the finished ones; never blocks."""
        self.pending = [(r, d) for r, d in self.pending if not mpi.test_all([r])]

    def flush(self) -> None:
        """Wait until rank 0 has every message sent so far."""
        mpi.wait_all([r for r, _ in self.pending], timeout=self.timeout)
        self.pending = []

    def ask(self, header: tuple) -> Any:
        """Send a request and wait for rank 0's answer."""
        self.send(header)
        return mpi.recv_object(0, protocol.HOME_REPLY, self.comm, timeout=self.timeout)[0]


class RemoteFiles(PolicyFiles):
    """The root worker's view of its policy's files: a private copy on this host; every save goes home."""

    def __init__(
        self,
        link: HomeLink,
        policy_id: int,
        files: dict[str, bytes],
        folder: str,
        home: str,
        before_write: Callable[[], None],
    ):
        self.link, self.policy_id, self.home = link, policy_id, home
        self.local = LocalFiles(folder, keep_versions=False)  # home keeps the versions; this copy is private
        # Called before every write: the records go home first, so home never lacks an episode a checkpoint counts.
        self.before_write = before_write
        for name, data in files.items():
            self.local.write(name, data)
        self.seen = self._stats()

    def read(self, name: str) -> bytes | None:
        """The file's bytes, or None."""
        return self.local.read(name)

    def write(self, name: str, data: bytes) -> None:
        """Replace the file here and at home."""
        self.before_write()
        self.link.send(("write", self.policy_id, check_file_name(name)), bytes(data))
        if not stays_home(name):  # never read back here: no copy kept
            self.local.write(name, data)
            self.seen[check_file_name(name)] = self._stat(name)

    def append(self, name: str, data: bytes) -> None:
        """Append to the file here and at home."""
        self.local.append(name, data)
        self.link.send(("append", self.policy_id, check_file_name(name)), bytes(data))
        self.seen[check_file_name(name)] = self._stat(name)

    def read_from(self, policy_id: int, name: str) -> bytes | None:
        """Another policy's file, asked of rank 0."""
        return self.link.ask(("read", int(policy_id), check_file_name(name)))

    def where(self, name: str) -> str:
        """The file's path on rank 0's host."""
        return os.path.join(self.home, check_file_name(name))

    def send_changed(self) -> None:
        """Send home every file written here with ``open()`` rather than through this API."""
        for name, stat in self._stats().items():
            if self.seen.get(name) != stat:
                self.link.send(("write", self.policy_id, name), self.local.read(name))
                self.seen[name] = stat

    def _stat(self, name: str) -> tuple[int, int]:
        st = os.stat(self.local.path(name))
        return st.st_size, st.st_mtime_ns

    def _stats(self) -> dict[str, tuple[int, int]]:
        names = []
        for parent, _, files in os.walk(self.local.folder):
            names += [os.path.relpath(os.path.join(parent, f), self.local.folder) for f in files]
        return {n: self._stat(n) for n in names if not is_record_file(n)}


class RemoteRecord(PolicyRecord):
    """The policy's record on its root worker: episodes are kept here and sent home when saved."""

    def __init__(
        self,
        package: dict,
        link: HomeLink,
        log_comms_dir: str,
        plot_color: str | None,
        before_write: Callable[[], None] | None = None,
    ):
        """``before_write`` runs before each file write (default: ``save``, which sends the episodes home)."""
        super().__init__(package["policy_id"], log_comms_dir, plot_color, load=False)  # never read rank 0's disk
        home = self.data_dir
        self.data_dir = scratch_folder(f"arena_policy_{self.policy_id}_")  # gone when this rank ends, however
        self.link = link
        self.episodes = [Episode(*row) for row in package["episodes"]]
        self.steps_done, self.round_open = package["steps_done"], True
        self._saved = len(self.episodes)
        self._sent_meta = (self.steps_done, self.round_open)
        self.extra_channels = {name: RecordChannel(name, *cols) for name, cols in package.get("channels", {}).items()}
        self._sent_channels = self._channel_sizes()
        self.files = RemoteFiles(link, self.policy_id, package["files"], self.data_dir, home, before_write or self.save)
        self._metrics = Metrics(
            lambda rows: link.send(("metrics", self.policy_id, rows)),
            lambda tag, text, step: link.send(("text", self.policy_id, tag, text, step)),
        )

    def save(self) -> None:
        """Send new episodes and the step count home (rank 0 draws the curves)."""
        rows = [dataclasses.astuple(e) for e in self.episodes[self._saved :]]
        if rows or self._sent_meta != (self.steps_done, self.round_open):
            self.link.send(("episodes", self.policy_id, rows, self.steps_done, self.round_open))
            self._saved, self._sent_meta = len(self.episodes), (self.steps_done, self.round_open)
        if self._channel_sizes() != self._sent_channels:  # arena5's named channels, whole (they are small)
            channels = {name: channel.columns() for name, channel in self.extra_channels.items()}
            self.link.send(("channels", self.policy_id, channels))
            self._sent_channels = self._channel_sizes()

    def _channel_sizes(self) -> dict[str, int]:
        return {name: len(channel.ep_results) for name, channel in self.extra_channels.items()}

    def load(self) -> PolicyRecord:
        """Nothing to read: the package brought the records."""
        return self

    def fork(self, new_id: int) -> PolicyRecord:
        """Forks happen on rank 0, between rounds."""
        raise RuntimeError("fork a policy on rank 0 between rounds (PolicyRecord(id, log_comms_dir).fork(new_id))")

    def close(self) -> None:
        """Send files written with ``open()``, wait until rank 0 has everything, and drop the private copy."""
        self.files.send_changed()
        self.link.flush()
        remove_scratch(self.data_dir)
