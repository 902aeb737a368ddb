"""One scalar API for every policy type: CSV always, TensorBoard when it is installed.

A policy's root worker logs through ``policy_record.metrics``::

    metrics.log({"losses/value_loss": v_loss, "charts/learning_rate": lr}, global_step)
    metrics.hyperparameters({"learning_rate": 2.5e-4, ...})

Tag names follow CleanRL, so curves line up with what users know. The arena logs
``charts/episodic_return`` (true game scores), ``charts/episodic_length`` and
``charts/SPS`` itself, for every policy type. Rank 0 writes every scalar to
``policy_<id>/metrics.csv`` (columns ``step,tag,value,time``) and, when the
``tensorboard`` package is installed (``pip install -e ".[tb]"``), to event files
under ``log_comms_dir/tb/policy_<id>/``: ``tensorboard --logdir log_comms/tb``.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import os
import re
import time
from collections.abc import Callable
from typing import Any

from arena.storage.files import atomic_path

METRICS_FILE = "metrics.csv"
COLUMNS = ("step", "tag", "value", "time")
TEXT_PREFIX = "text_"  # text entries (the hyperparameter table) are kept as policy_<id>/text_<tag>.md
TB_DIR = "tb"
FLUSH_S = 10  # TensorBoard writers flush at least this often

Row = tuple[str, float, int, float]  # (tag, value, step, wall time)


def tensorboard_available() -> bool:
    """True when the ``tensorboard`` package is installed (the ``tb`` extra)."""
    return importlib.util.find_spec("tensorboard") is not None


def hyperparameter_table(params: dict[str, Any]) -> str:
    """A Markdown table of parameters, as CleanRL logs it (TensorBoard's Text tab renders it)."""
    lines = ["|param|value|", "|-|-|"] + [f"|{k}|{v}|" for k, v in sorted(params.items())]
    return "\n".join(lines)


class Metrics:
    """What a policy's root worker logs through. ``send`` takes rows (or a text entry) to rank 0's writer."""

    def __init__(self, send_rows: Callable[[list[Row]], None], send_text: Callable[[str, str, int], None]):
        self.send_rows, self.send_text = send_rows, send_text
        self.latest: dict[str, float] = {}  # the last value of every tag, for progress lines

    def log(self, values: dict[str, float], step: int) -> None:
        """Log scalars at the policy's global ``step``."""
        now = time.time()
        rows = [(tag, float(value), int(step), now) for tag, value in values.items()]
        self.latest.update((tag, value) for tag, value, _, _ in rows)
        self.send_rows(rows)

    def text(self, tag: str, text: str, step: int = 0) -> None:
        """Log a text entry (Markdown), such as the hyperparameter table."""
        self.send_text(tag, text, int(step))

    def hyperparameters(self, params: dict[str, Any], step: int = 0) -> None:
        """Log the policy's hyperparameters as a text table, under the tag ``hyperparameters``."""
        self.text("hyperparameters", hyperparameter_table(params), step)


class MetricsWriter:
    """Rank 0's writer of one policy's metrics: its CSV, its text files and (if installed) TensorBoard.

    ``resume_step`` is the policy's step at the start of the round: rows logged after it by
    a run that was cut short are dropped from the CSV and hidden from TensorBoard, so a
    resumed run never shows a step twice (None: keep everything, outside the arena).
    """

    def __init__(self, data_dir: str, tb_dir: str | None, resume_step: int | None):
        self.data_dir = data_dir
        self.path = os.path.join(data_dir, METRICS_FILE)
        if resume_step is not None:
            rewind_metrics(data_dir, resume_step)
        self.tb = None
        if tb_dir is not None and tensorboard_available():
            from arena.storage.event_files import EventWriter  # only with the tb extra installed

            purge = None if resume_step is None else resume_step + 1
            self.tb = EventWriter(tb_dir, purge_step=purge, flush_secs=FLUSH_S)

    def write(self, rows: list[Row]) -> None:
        """Append scalars to the CSV and the event file."""
        if not rows:
            return
        os.makedirs(self.data_dir, exist_ok=True)
        fresh = not os.path.exists(self.path)
        with open(self.path, "a", newline="") as f:
            writer = csv.writer(f)
            if fresh:
                writer.writerow(COLUMNS)
            writer.writerows((step, tag, repr(value), f"{t:.3f}") for tag, value, step, t in rows)
        if self.tb is not None:
            for tag, value, step, t in rows:
                self.tb.add_scalar(tag, value, step, walltime=t)

    def text(self, tag: str, text: str, step: int) -> None:
        """Keep a text entry as ``text_<tag>.md`` and in the event file."""
        name = TEXT_PREFIX + re.sub(r"[^A-Za-z0-9_.-]", "_", tag) + ".md"
        os.makedirs(self.data_dir, exist_ok=True)
        with atomic_path(os.path.join(self.data_dir, name)) as tmp, open(tmp, "w") as f:
            f.write(text + "\n")
        if self.tb is not None:
            self.tb.add_text(tag, text, step)

    def close(self) -> None:
        """Flush and close the event file."""
        if self.tb is not None:
            self.tb.close()
            self.tb = None


def parse_metrics(text: str) -> list[Row]:
    """Rows from metrics.csv text; a torn last line (a crash mid-append) is skipped."""
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        try:
            rows.append((row["tag"], float(row["value"]), int(row["step"]), float(row["time"])))
        except (KeyError, TypeError, ValueError):
            continue
    return rows


def read_metrics(data_dir: str) -> dict[str, list[tuple[int, float]]]:
    """A policy's logged scalars: tag -> [(step, value), ...] in the order they were logged."""
    path = os.path.join(data_dir, METRICS_FILE)
    if not os.path.exists(path):
        return {}
    with open(path, newline="") as f:
        rows = parse_metrics(f.read())
    series: dict[str, list[tuple[int, float]]] = {}
    for tag, value, step, _ in rows:
        series.setdefault(tag, []).append((step, value))
    return series


def rewind_metrics(data_dir: str, step: int) -> int:
    """Drop rows logged after ``step`` (a run cut short went on past its checkpoint); returns how many."""
    path = os.path.join(data_dir, METRICS_FILE)
    if not os.path.exists(path):
        return 0
    with open(path, newline="") as f:
        text = f.read()
    rows = parse_metrics(text)
    kept = [r for r in rows if r[2] <= step]
    if len(kept) == len(rows) and text.endswith("\n"):
        return 0
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        writer.writerows((s, tag, repr(v), f"{t:.3f}") for tag, v, s, t in kept)
    return len(rows) - len(kept)


def tb_dir_of(log_comms_dir: str, policy_id: int) -> str:
    """Where a policy's TensorBoard event files go: ``log_comms_dir/tb/policy_<id>``."""
    return os.path.join(log_comms_dir, TB_DIR, f"policy_{policy_id}")
