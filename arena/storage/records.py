"""Per-policy records of finished episodes, kept as CSV beside the policy's files.

Records are plain CSV and JSON, never pickle: loading a pickle from a shared
folder would run whatever code it holds.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import time
from dataclasses import dataclass

from arena.storage.files import (
    KEEP_VERSIONS,
    LocalFiles,
    PolicyFiles,
    atomic_path,
    fsync_path,
    read_versions,
    version_names,
)
from arena.storage.metrics import METRICS_FILE, TEXT_PREFIX, Metrics, MetricsWriter

COLUMNS = ("episode", "return", "length", "steps", "time", "label")
RECORDS_FILE = "records.csv"
META_FILE = "record.json"
FORK_FILE = "fork.json"  # a forked policy's parent and the counts it was forked at


@dataclass
class Episode:
    """One finished episode of a policy."""

    episode: int
    ret: float
    length: int
    steps: int  # the policy's cumulative environment steps when the episode ended
    time: float  # wall-clock seconds since the epoch
    label: str = ""  # the match's label (or its copy's, in a multi-game batch), such as "game=Pong"

    def row(self) -> list[str]:
        """The CSV row."""
        return [str(self.episode), repr(self.ret), str(self.length), str(self.steps), f"{self.time:.3f}", self.label]


def is_record_file(name: str) -> bool:
    """True for what the arena itself keeps in a policy's folder (records, metrics, curves, half-written files)."""
    base = os.path.basename(name)
    kept = (RECORDS_FILE, *version_names(META_FILE), METRICS_FILE, "curves_by_label.png", "scores_by_label.csv")
    return base in kept or base.startswith(("curve_", TEXT_PREFIX, CHANNEL_PREFIX)) or ".tmp" in base


def parse_records(text: str) -> list[Episode]:
    """Episodes from records.csv text; a torn last line (a crash mid-append) is skipped."""
    if text and not text.endswith("\n"):
        text = text[: text.rfind("\n") + 1]
    episodes = []
    for row in csv.DictReader(io.StringIO(text)):
        try:
            fields = (int(row["episode"]), float(row["return"]), int(row["length"]), int(row["steps"]))
            episodes.append(Episode(*fields, float(row["time"]), row.get("label") or ""))
        except (TypeError, ValueError):
            continue
    return episodes


CHANNEL_PREFIX = "channel_"  # a named channel's results: policy_<id>/channel_<name>.csv


class RecordChannel:
    """One series of results: ``ep_results``, ``ep_lengths`` and ``ep_cumlens``, as arena5 kept them."""

    def __init__(
        self, name: str, results: list | None = None, lengths: list | None = None, cumlens: list | None = None
    ):
        self.name = name
        self.ep_results = list(results or [])
        self.ep_lengths = list(lengths or [])
        self.ep_cumlens = list(cumlens or [])

    def columns(self) -> list[list]:
        """``[results, lengths, cumulative lengths]``, as the arena sends a channel between ranks."""
        return [self.ep_results, self.ep_lengths, self.ep_cumlens]

    def add(self, result: float, length: int) -> None:
        """Add one result; its cumulative length goes on from the last."""
        self.ep_results.append(float(result))
        self.ep_lengths.append(int(length))
        self.ep_cumlens.append((self.ep_cumlens[-1] if self.ep_cumlens else 0) + int(length))

    def save(self, folder: str) -> None:
        """Write the series as ``channel_<name>.csv`` (atomically)."""
        path = os.path.join(folder, f"{CHANNEL_PREFIX}{self.name}.csv")
        with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(("result", "length", "cumulative_length"))
            writer.writerows(zip(map(repr, self.ep_results), self.ep_lengths, self.ep_cumlens))

    @classmethod
    def load_all(cls, folder: str) -> dict[str, RecordChannel]:
        """Every named channel saved in ``folder``."""
        channels = {}
        names = os.listdir(folder) if os.path.isdir(folder) else []
        for name in sorted(n for n in names if n.startswith(CHANNEL_PREFIX) and n.endswith(".csv")):
            with open(os.path.join(folder, name), newline="") as f:
                rows = list(csv.reader(f))[1:]
            channel = cls(name[len(CHANNEL_PREFIX) : -4])
            for row in rows:
                if len(row) == 3:
                    channel.ep_results.append(float(row[0]))
                    channel.ep_lengths.append(int(row[1]))
                    channel.ep_cumlens.append(int(row[2]))
            channels[channel.name] = channel
        return channels


class RoundView:
    """What records show while a re-run replays a completed round: each policy's counts at that round's end."""

    def __init__(self, round_index: int, counts: dict[int, tuple[int, int]], last: bool = False):
        self.round_index = round_index
        self.counts = dict(counts)  # policy id -> (episodes, steps); a policy not here did not exist yet
        # The journal holds no later round: the files are as this round left them, so whatever the
        # earlier run did after it (a fork) may not have happened and may be done now.
        self.last = last


_VIEWS: dict[str, RoundView] = {}  # log folder -> the view its re-run shows, while it replays


def show_round(log_comms_dir: str, view: RoundView | None) -> None:
    """Make records of ``log_comms_dir`` read as at the end of a replayed round (None: as they are on disk)."""
    key = os.path.abspath(log_comms_dir)
    if view is None:
        _VIEWS.pop(key, None)
    else:
        _VIEWS[key] = view


def round_view(log_comms_dir: str) -> RoundView | None:
    """The view a replay shows of this log folder, if one is replaying."""
    return _VIEWS.get(os.path.abspath(log_comms_dir))


def policy_dir(log_comms_dir: str, policy_id: int) -> str:
    """Where a policy's records, plots and checkpoints live."""
    return os.path.join(log_comms_dir, f"policy_{policy_id}")


class PolicyRecord:
    """Every finished episode of one policy, across rounds and re-runs."""

    def __init__(self, policy_id: int, log_comms_dir: str, plot_color: str | None = None, load: bool = True):
        """A policy's record; as in arena5, what its folder holds is loaded at once (``load=False``: start empty)."""
        self.policy_id = policy_id
        self.log_comms_dir = log_comms_dir
        self.data_dir = policy_dir(log_comms_dir, policy_id)
        self.plot_color = plot_color
        self.episodes: list[Episode] = []
        self.steps_done = 0  # every step the policy took, finished episodes or not
        # True from a round's start until it finishes: still True at load, the last run was cut short.
        self.round_open = False
        self._saved = 0  # episodes already on disk
        self.replayed_round: int | None = None  # set when loaded as at the end of a replayed round: read-only
        self.files: PolicyFiles = LocalFiles(self.data_dir)  # the policy's own saved files
        self._metrics: Metrics | None = None
        self.extra_channels: dict[str, RecordChannel] = {}  # results a policy adds under other names
        if load and os.path.isdir(self.data_dir):
            self.load()

    @property
    def channels(self) -> dict[str, RecordChannel]:
        """arena5's record channels: ``"main"`` is the episodes; others are series a policy adds by name."""
        main = RecordChannel("main", self.ep_results, self.ep_lengths, self.ep_cumlens)
        return {"main": main, **self.extra_channels}

    @property
    def metrics(self) -> Metrics:
        """Where the policy logs scalars (see arena.storage.metrics); here, straight to this folder's metrics.csv."""
        if self._metrics is None:
            writer = MetricsWriter(self.data_dir, None, resume_step=None)
            self._metrics = Metrics(writer.write, writer.text)
        return self._metrics

    @property
    def ep_results(self) -> list[float]:
        """Episode returns, oldest first."""
        return [e.ret for e in self.episodes]

    @property
    def ep_lengths(self) -> list[int]:
        """Episode lengths, oldest first."""
        return [e.length for e in self.episodes]

    @property
    def ep_cumlens(self) -> list[int]:
        """The policy's cumulative steps at the end of each episode."""
        return [e.steps for e in self.episodes]

    @property
    def ep_labels(self) -> list[str]:
        """Each episode's label ("" where the match had none)."""
        return [e.label for e in self.episodes]

    def label_names(self) -> list[str]:
        """The labels this policy's episodes carry, in order of first appearance ("" left out)."""
        return [label for label in dict.fromkeys(self.ep_labels) if label]

    @property
    def total_steps(self) -> int:
        """Cumulative steps at the last recorded episode."""
        return self.episodes[-1].steps if self.episodes else 0

    def add_result(
        self,
        total_reward: float,
        ep_len: int,
        steps: int | str | None = None,
        channel: str = "main",
        label: str = "",
    ) -> None:
        """Record a finished episode; ``steps`` defaults to the previous total plus ``ep_len``.

        ``channel`` other than "main" adds to a named series instead (arena5's channels; its
        third positional argument was the channel name, which is accepted here too).
        ``label`` says which game of a multi-game run the episode was (see ``label_names``).
        """
        if isinstance(steps, str):
            channel, steps = steps, None
        if channel != "main":
            self.extra_channels.setdefault(channel, RecordChannel(channel)).add(total_reward, ep_len)
            return
        steps = max(self.total_steps, self.steps_done) + int(ep_len) if steps is None else int(steps)
        episode = Episode(len(self.episodes), float(total_reward), int(ep_len), steps, time.time(), str(label))
        self.episodes.append(episode)
        self.steps_done = max(self.steps_done, steps)

    def save(self) -> None:
        """Append new episodes to the CSV and write the counts (``arena.report.plots.plot_record`` draws the curves)."""
        if self.replayed_round is not None:
            raise RuntimeError(
                f"policy {self.policy_id}'s record shows the end of round {self.replayed_round}, which this re-run "
                "replays from the log folder's journal: it is read-only"
            )
        os.makedirs(self.data_dir, exist_ok=True)
        path = os.path.join(self.data_dir, RECORDS_FILE)
        new = self.episodes[self._saved :]
        fresh = not os.path.exists(path) or self._saved == 0
        if fresh:  # whole rewrite, atomically: a crash leaves the old file whole
            with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
                writer = csv.writer(f)
                writer.writerow(COLUMNS)
                writer.writerows(e.row() for e in self.episodes)
        elif new:
            with open(path, "a", newline="") as f:
                csv.writer(f).writerows(e.row() for e in new)
        self._saved = len(self.episodes)
        meta = {
            "policy_id": self.policy_id,
            "episodes": len(self.episodes),
            "steps": self.steps_done,
            "round_open": self.round_open,
        }
        _write_json(os.path.join(self.data_dir, META_FILE), meta)
        for channel in self.extra_channels.values():
            channel.save(self.data_dir)

    def load(self) -> PolicyRecord:
        """Read the episodes saved so far (a torn last line from a crash is skipped, and rewritten away)."""
        path = os.path.join(self.data_dir, RECORDS_FILE)
        text = ""
        if os.path.exists(path):
            with open(path, newline="") as f:
                text = f.read()
        self.episodes = parse_records(text)
        torn = bool(text) and not text.endswith("\n")
        old = bool(text) and not text.startswith(",".join(COLUMNS))  # written before the label column
        self._saved = 0 if torn or old else len(self.episodes)  # rewritten whole at the next save
        self.steps_done = self.total_steps
        meta = read_versions(os.path.join(self.data_dir, META_FILE), json.loads)  # a bad one falls back
        if meta is not None:
            self.steps_done = max(self.steps_done, int(meta.get("steps", 0)))
            self.round_open = bool(meta.get("round_open", False))
        self.extra_channels = RecordChannel.load_all(self.data_dir)
        view = round_view(self.log_comms_dir)
        if view is not None:
            self._show(view)
        return self

    def _show(self, view: RoundView) -> None:
        """Keep only what existed at the end of the replayed round."""
        episodes, steps = view.counts.get(self.policy_id, (0, 0))
        self.episodes, self.steps_done, self.round_open = self.episodes[:episodes], steps, False
        self.replayed_round = view.round_index

    def rewind(self, steps: int) -> int:
        """Go back to the policy's checkpoint at ``steps``, dropping (and returning how many) later episodes."""
        keep = [e for e in self.episodes if e.steps <= steps]
        dropped = len(self.episodes) - len(keep)
        self.episodes, self.steps_done, self._saved = keep, int(steps), 0
        return dropped

    def fork(self, new_id: int) -> PolicyRecord:
        """A new policy that starts from this one: its files (records, checkpoints) are copied.

        While a re-run replays completed rounds, a fork the earlier run made at this point
        is recognised (``fork.json`` names the parent and its counts) and not repeated.
        """
        child = type(self)(new_id, self.log_comms_dir, self.plot_color, load=False)
        at = [len(self.episodes), self.steps_done]
        if self.replayed_round is not None:
            return self._replayed_fork(child, at)
        if os.path.isdir(child.data_dir) and os.listdir(child.data_dir):
            if _fork_marker(child.data_dir) == {"policy_id": new_id, "forked_from": self.policy_id, "at": at}:
                print(f"[arena] policy {new_id}: forked from policy {self.policy_id} already (a re-run); not repeated")
                return child.load()
            raise FileExistsError(f"cannot fork policy {self.policy_id} into {child.data_dir}: it exists")
        self.save()
        return self._copy_into(child, at)

    def _copy_into(self, child: PolicyRecord, at: list[int]) -> PolicyRecord:
        """Copy this policy's folder into the child's, with its fork marker; the child, loaded."""
        # Copy beside the child's folder, marker included, then rename: a kill at any point
        # leaves either no child (the half copy is cleared by the next try) or the whole one.
        partial = child.data_dir + ".forking"
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(self.data_dir, partial)
        marker = {"policy_id": child.policy_id, "forked_from": self.policy_id, "at": at}
        _write_json(os.path.join(partial, FORK_FILE), marker)
        if os.path.isdir(child.data_dir):
            os.rmdir(child.data_dir)  # empty (checked above)
        os.rename(partial, child.data_dir)
        fsync_path(os.path.dirname(child.data_dir))
        return child.load()

    def _replayed_fork(self, child: PolicyRecord, at: list[int]) -> PolicyRecord:
        """The child an earlier run forked here, shown as it was then; an error if that run did not fork it."""
        meta, view = _fork_marker(child.data_dir), round_view(self.log_comms_dir)
        absent = not (os.path.isdir(child.data_dir) and os.listdir(child.data_dir))
        if not meta and view.last and absent:  # the earlier run was killed after the round, before the fork
            print(f"[arena] policy {child.policy_id}: the earlier run ended before forking it from policy "
                  f"{self.policy_id}; forking now", flush=True)  # fmt: skip
            view.counts[child.policy_id] = (at[0], at[1])
            return self._copy_into(child, at)
        if meta.get("forked_from") != self.policy_id or meta.get("at") != at:
            raise RuntimeError(
                f"cannot fork policy {self.policy_id} into policy {child.policy_id} while this re-run replays round "
                f"{self.replayed_round}: the run that wrote {self.log_comms_dir} did not make this fork here, so the "
                "script differs from that run in more than its kickoff arguments; give it a new log_comms_dir"
            )
        print(f"[arena] policy {child.policy_id}: forked from policy {self.policy_id} by an earlier run; not repeated")
        round_view(self.log_comms_dir).counts[child.policy_id] = (at[0], at[1])
        return child.load()


def _fork_marker(folder: str) -> dict:
    """A forked folder's fork.json (parent and counts), or {} if it has none."""
    return read_versions(os.path.join(folder, FORK_FILE), json.loads) or {}


def _write_json(path: str, obj: dict) -> None:
    with atomic_path(path, KEEP_VERSIONS) as tmp, open(tmp, "w") as f:
        json.dump(obj, f, indent=1)


def load_records(log_comms_dir: str) -> dict[int, PolicyRecord]:
    """Every policy record under a log folder, by policy id."""
    records = {}
    if not os.path.isdir(log_comms_dir):
        return records
    view = round_view(log_comms_dir)
    for name in sorted(os.listdir(log_comms_dir)):
        policy_id = _policy_id_of(name)
        if policy_id is not None and (view is None or policy_id in view.counts):
            records[policy_id] = PolicyRecord(policy_id, log_comms_dir, load=False).load()
    return dict(sorted(records.items()))


def _policy_id_of(folder_name: str) -> int | None:
    """The policy id of a ``policy_<id>`` folder (any int, 0 and negative ones included), else None."""
    if not folder_name.startswith("policy_"):
        return None
    try:
        return int(folder_name[7:])
    except ValueError:
        return None
