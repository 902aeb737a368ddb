"""The case scripts' learners that report whether every worker holds bit-identical networks.

The scripts register them by name, as ``"checked_learners:CheckedPPO"``: only the ranks
that play one (and rank 0, which checks it at kickoff) import this module and torch with
it. Environment ranks and random players start without torch, as they do under the
arena's own policy types; defined in a script, the classes would make every rank import it.
"""

import json
import os

import numpy as np
from identical import flat_parameters, identical_nets, reporting_identical

from arena.algos.dqn import DQN
from arena.algos.maddpg import MADDPG, MASAC
from arena.algos.ppo import PPO
from arena.algos.ppo_lstm import PPOLSTM
from arena.algos.sac import SAC
from arena.algos.td3 import DDPG, TD3
from arena.mpi import comm as mpi


class CheckedPPO(PPO):
    """PPO that, after its run, proves every worker holds bit-identical weights."""

    def run(self, num_steps, data_dir, policy_record=None):
        super().run(num_steps, data_dir, policy_record)
        mine = flat_parameters(self.agent)
        root = mine.copy()
        mpi.broadcast_array(root, self.comm)
        identical = np.array([float(np.array_equal(mine.view(np.uint32), root.view(np.uint32)))])
        mpi.allreduce_sum(identical, self.comm)
        if self.is_root:
            with open(os.path.join(data_dir, "identical.json"), "w") as f:
                json.dump({"workers": self.workers, "identical": int(identical[0]), "updates": self.updates}, f)


class CheckedDQN(DQN):
    """DQN that, after its run, proves every worker holds bit-identical online and target networks."""

    def run(self, num_steps, data_dir, policy_record=None):
        super().run(num_steps, data_dir, policy_record)
        identical = 0.0
        for net in (self.q, self.target):
            mine = flat_parameters(net)
            root = mine.copy()
            mpi.broadcast_array(root, self.comm)
            identical += float(np.array_equal(mine.view(np.uint32), root.view(np.uint32)))
        count = mpi.allreduce_sum(np.array([identical]), self.comm)
        if self.is_root:
            report = {"workers": self.workers, "identical": int(count[0]), "updates": self.updates}
            with open(os.path.join(data_dir, "identical.json"), "w") as f:
                json.dump(report, f)


class CheckedPPOLSTM(PPOLSTM):
    """ppo-lstm that, after its run, writes whether every worker holds bit-identical weights."""

    def run(self, num_steps, data_dir, policy_record=None):
        super().run(num_steps, data_dir, policy_record)
        same = identical_nets([self.agent], self.comm)
        if self.is_root:
            with open(os.path.join(data_dir, f"identical_{self.global_step}.json"), "w") as f:
                json.dump({"workers": self.workers, "identical": same, "updates": self.updates}, f)


CheckedSAC = reporting_identical(SAC)
CheckedTD3 = reporting_identical(TD3)
CheckedDDPG = reporting_identical(DDPG)
CheckedMADDPG = reporting_identical(MADDPG)
CheckedMASAC = reporting_identical(MASAC)
