"""Keep a policy's workers in lockstep: broadcast parameters, average gradients (one flat Allreduce)."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import torch

from arena.mpi import comm as mpi


def state_to_bytes(state: dict) -> bytes:
    """A checkpoint's bytes (torch's zip format), to save through ``policy_record.files``."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def state_from_bytes(data: bytes) -> dict:
    """A checkpoint from its bytes, on the CPU; tensors and plain Python only (no pickled code runs)."""
    buffer = io.BytesIO(data)
    return torch.load(buffer, map_location="cpu", weights_only=True)


def cpu_copy(state: Any) -> Any:
    """``state`` with every tensor (in dicts, lists and tuples) on the CPU, for sending to other ranks."""
    if isinstance(state, torch.Tensor):
        return state.detach().cpu()
    if isinstance(state, dict):
        return {k: cpu_copy(v) for k, v in state.items()}
    if isinstance(state, (list, tuple)):
        return type(state)(cpu_copy(v) for v in state)
    return state


def broadcast_state(state: Any, policy_comm: mpi.Comm) -> Any:
    """Give every worker the root worker's state (tensors move as a pickled control message)."""
    return mpi.broadcast_object(state, policy_comm, root=0)


class GradientAverager:
    """Averages every parameter's gradient over the policy's workers, weighted by their samples, in one Allreduce."""

    def __init__(self, params: list[torch.nn.Parameter], policy_comm: mpi.Comm):
        self.params = [p for p in params if p.requires_grad]
        self.comm = policy_comm
        sizes = [p.numel() for p in self.params]
        # Every gradient, times its weight, then the weight itself: one Allreduce gives both sums.
        self.flat = np.zeros(sum(sizes) + 1, dtype=np.float32)
        # Each parameter's slice of it, shaped like the parameter: gradients are copied in and out in one
        # pass each, with no temporary (a fresh 6.7 MB array per minibatch costs page faults on the CPU).
        pieces = torch.from_numpy(self.flat)[:-1].split(sizes)
        self.pieces = [piece.view(p.shape) for piece, p in zip(pieces, self.params)]

    def __call__(self, samples: float = 1.0) -> float:
        """Replace each ``.grad`` (a mean over this worker's ``samples``) by the mean over every worker's samples.

        Returns the samples of every worker together (0: nobody had any, so no step should follow).

        Weighting by samples makes the result the gradient of the mean loss over the pooled
        data, whatever each worker's batch size (a block of entities in one match, one entity in another).
        """
        if mpi.size_of(self.comm) == 1:
            return float(samples)
        for p, piece in zip(self.params, self.pieces):
            if p.grad is None:
                piece.zero_()
            else:
                piece.copy_(p.grad.detach())
        if samples != 1.0:
            self.flat[:-1] *= samples  # float32 times the weight, as each gradient's own product would be
        self.flat[-1] = samples
        mpi.allreduce_sum(self.flat, self.comm)
        pooled = float(self.flat[-1])
        self.flat /= max(pooled, 1e-12)  # no worker had samples: every sum is 0 anyway
        for p, piece in zip(self.params, self.pieces):
            if p.grad is None:
                p.grad = torch.empty_like(p)  # the parameter's own memory layout
            p.grad.copy_(piece)
        return pooled
