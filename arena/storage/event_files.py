"""TensorBoard event files, written with the ``tensorboard`` package alone.

``torch.utils.tensorboard.SummaryWriter`` writes the same records, but importing it
imports torch: about 2 CPU-s on rank 0, which writes every policy's metrics and needs
no torch otherwise in a run of random or scripted players. The records are the ones
SummaryWriter writes, so TensorBoard shows them the same way: scalars as
``simple_value``, text as the text plugin's string tensor under ``<tag>/text_summary``,
and a resume's purge as a ``SessionLog.START`` event at the purge step.
"""

from __future__ import annotations

import time

from tensorboard.compat.proto.event_pb2 import Event, SessionLog
from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.plugins.text.plugin_data_pb2 import TextPluginData
from tensorboard.summary.writer.event_file_writer import EventFileWriter


class EventWriter:
    """Scalars and text into one event file of ``log_dir``; flushed at least every ``flush_secs``.

    ``purge_step``: TensorBoard hides what earlier files of the folder hold at or after it
    (a run that was cut short went on past the checkpoint this one resumes from).
    """

    def __init__(self, log_dir: str, purge_step: int | None = None, flush_secs: float = 120):
        self.writer = EventFileWriter(log_dir, max_queue_size=10, flush_secs=flush_secs)
        if purge_step is not None:
            self.writer.add_event(Event(step=purge_step, file_version="brain.Event:2", wall_time=time.time()))
            start = SessionLog(status=SessionLog.START)
            self.writer.add_event(Event(step=purge_step, session_log=start, wall_time=time.time()))

    def add_scalar(self, tag: str, value: float, step: int, walltime: float | None = None) -> None:
        """One scalar at ``step``."""
        self._add(Summary(value=[Summary.Value(tag=tag, simple_value=float(value))]), step, walltime)

    def add_text(self, tag: str, text: str, step: int, walltime: float | None = None) -> None:
        """One text entry (Markdown) at ``step``, shown in TensorBoard's Text tab."""
        plugin = SummaryMetadata.PluginData(plugin_name="text", content=TextPluginData(version=0).SerializeToString())
        tensor = TensorProto(
            dtype="DT_STRING",
            string_val=[text.encode("utf-8")],
            tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=1)]),
        )
        value = Summary.Value(tag=f"{tag}/text_summary", metadata=SummaryMetadata(plugin_data=plugin), tensor=tensor)
        self._add(Summary(value=[value]), step, walltime)

    def _add(self, summary: Summary, step: int, walltime: float | None) -> None:
        wall_time = time.time() if walltime is None else walltime
        self.writer.add_event(Event(summary=summary, step=int(step), wall_time=wall_time))

    def close(self) -> None:
        """Flush and close the file."""
        self.writer.close()
