"""An environment rank's channel to each worker of its match: one preallocated buffer each way per step."""

from __future__ import annotations

from typing import Any

from arena.envs.batch import BatchStep
from arena.mpi import comm as mpi
from arena.mpi import protocol
from arena.mpi.buffers import SpaceCodec
from arena.mpi.protocol import action_layout, step_layout

MPIRequest = Any  # an mpi4py request, as arena.mpi.comm returns it


class WorkerChannel:
    """The buffers and pending sends for one worker of this match."""

    def __init__(self, worker, obs_spaces: list, act_spaces: list, copies: int, paced: bool = False):
        self.rank, self.entities = worker.rank, list(worker.entities)
        self.obs_codecs = [SpaceCodec(obs_spaces[e]) for e in self.entities]
        self.act_codecs = [SpaceCodec(act_spaces[e]) for e in self.entities]
        layout = step_layout(self.obs_codecs, copies, self.act_codecs if paced else None)
        self.buf, self.views = layout.allocate()
        self.act_buf, self.act_views = action_layout(self.act_codecs, copies).allocate()
        self.pending: list = []
        self.active = True

    def send(self, comm: mpi.Comm, kind: int, obs: list, step: BatchStep | None, infos: dict) -> None:
        """Pack this worker's part of all copies into its buffer and start sending it (infos pickled, if any)."""
        v = self.views
        v["header"][:] = (kind, protocol.FLAG_HAS_INFO if infos else 0)
        if step is not None:
            v["ended"][:] = 0
            v["ended"][list(step.ended)] = 1
            v["reward"][:] = step.rewards[:, self.entities]
            v["terminated"][:] = step.terminated[:, self.entities]
            v["truncated"][:] = step.truncated[:, self.entities]
        if obs:
            for i, (e, codec) in enumerate(zip(self.entities, self.obs_codecs)):
                codec.encode_batch(obs[e], v[f"obs{i}"])
        self.pending.append(mpi.isend_buffer(self.buf, self.rank, protocol.STEP, comm))
        if infos:
            self.pending.append(mpi.isend_object(infos, self.rank, protocol.INFO, comm))

    def infos_for(self, step: BatchStep | None, reset_infos: list[list[dict]] | None) -> dict:
        """This worker's entities' infos: at the start, each copy's reset infos; later, each ended copy's episode."""
        pick = self.entities
        if reset_infos is not None:
            out = {k: [infos[e] for e in pick] for k, infos in enumerate(reset_infos)}
            return out if any(any(i) for i in out.values()) else {}
        return {
            k: ([e_.final_obs[e] for e in pick], [e_.final_infos[e] for e in pick], [e_.reset_infos[e] for e in pick])
            for k, e_ in step.ended.items()
        }

    def post_receive(self, comm: mpi.Comm) -> MPIRequest:
        """Start receiving the next action message into the action buffer."""
        return mpi.irecv_buffer(self.act_buf, self.rank, protocol.ACTION, comm)

    def quit(self) -> bool:
        """True when the worker's last message said it is leaving."""
        return int(self.act_views["header"][0]) == protocol.KIND_QUIT

    def fill_actions(self, actions: list) -> None:
        """Put this worker's actions (every copy) into the per-entity action list."""
        for i, (e, codec) in enumerate(zip(self.entities, self.act_codecs)):
            actions[e] = codec.decode_batch(self.act_views[f"act{i}"])


def silent_workers(channels: list[WorkerChannel], receives: dict, timeout: float) -> mpi.WaitTimeout:
    """The error for a step wait that timed out, naming the workers that sent no action."""
    silent = [ch for ch in channels if ch.rank in receives and not mpi.test_all([receives[ch.rank]])]
    names = ", ".join(f"rank {ch.rank} (worker for entities {ch.entities})" for ch in silent) or "a worker"
    return mpi.WaitTimeout(
        f"{names} sent no action for {timeout:g} s; it may have died or be stuck (in its policy, or in a long "
        "update). kickoff(silence_timeout=...) sets this limit."
    )


def await_actions(
    comm: mpi.Comm, active: list[WorkerChannel], timeout: float, pace: mpi.PartnerPace | None = None
) -> None:
    """Wait for every active worker's next action; on timeout, name the workers that went silent.

    A worker sends its next action only after taking in what we sent, so one wait covers both.
    """
    receives = {ch.rank: ch.post_receive(comm) for ch in active}
    try:
        sends = [r for ch in active for r in ch.pending]
        mpi.wait_all(list(receives.values()) + sends, timeout=timeout, pace=pace)
    except mpi.WaitTimeout:
        raise silent_workers(active, receives, timeout) from None
    for ch in active:
        ch.pending = []
