"""What the learning-case scripts report after a run: are every worker's networks bit-identical?"""

import json
import os

import numpy as np
import torch

from arena.mpi import comm as mpi


def flat_parameters(module: torch.nn.Module) -> np.ndarray:
    """Every parameter of ``module`` in one float32 vector, to compare networks."""
    return torch.cat([p.detach().reshape(-1).cpu() for p in module.parameters()]).numpy()


def identical_nets(nets: list, policy_comm) -> int:
    """How many of ``nets`` are bit-identical on every worker of ``policy_comm`` (every worker must call it)."""
    same = 0.0
    for net in nets:
        mine = flat_parameters(net)
        root = mine.copy()
        mpi.broadcast_array(root, policy_comm)
        same += float(np.array_equal(mine.view(np.uint32), root.view(np.uint32)))
    return int(mpi.allreduce_sum(np.array([same]), policy_comm)[0]) // mpi.size_of(policy_comm)


def reporting_identical(base: type) -> type:
    """``base`` that, after its run, writes ``identical.json``: workers, networks, identical ones, updates."""

    class Checked(base):
        def run(self, num_steps, data_dir, policy_record=None):
            super().run(num_steps, data_dir, policy_record)
            nets = [getattr(self, n) for n in self.shared_state if hasattr(getattr(self, n), "parameters")]
            same = identical_nets(nets, self.comm)
            if self.is_root:
                report = {"workers": self.workers, "nets": len(nets), "identical": same, "updates": self.updates}
                with open(os.path.join(data_dir, "identical.json"), "w") as f:
                    json.dump(report, f)

    return Checked
