"""MADDPG and MASAC on the Cover task for tests/test_navigation.py: python navigation_cases.py ALGO LOG_DIR STEPS."""

import json
import os
import sys

from identical import identical_nets

from arena import make_stem
from arena.algos.maddpg import MADDPG, MASAC
from arena.envs import Cover

ALGO, LOG, STEPS = sys.argv[1], sys.argv[2], int(sys.argv[3])
KWARGS = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}


def make_env():
    return Cover(n_agents=2)


def checked(base):
    """``base`` that, after its run, writes whether every worker holds bit-identical networks."""

    class Checked(base):
        def run(self, num_steps, data_dir, policy_record=None):
            super().run(num_steps, data_dir, policy_record)
            nets = [getattr(self, n) for n in self.shared_state if hasattr(getattr(self, n), "parameters")]
            same = identical_nets(nets, self.comm)
            if self.is_root:
                report = {"workers": self.workers, "nets": len(nets), "identical": same}
                with open(os.path.join(data_dir, "identical.json"), "w") as f:
                    json.dump(report | {"updates": self.updates}, f)

    return Checked


arena = make_stem(
    make_env, LOG, additional_policies={"checked-maddpg": checked(MADDPG), "checked-masac": checked(MASAC)}
)
if ALGO == "against-random":  # MADDPG's block beside multiagent_random's, one match each
    types = {1: "checked-maddpg", 2: "multiagent_random"}
    arena.kickoff([[[1, 1]], [[2, 2]]], types, STEPS, seed=4, policy_kwargs={1: KWARGS})
else:  # scaled: as many workers of one policy as the ranks allow
    arena.kickoff([[[1, 1]]], {1: f"checked-{ALGO}"}, STEPS, scale=True, seed=4, policy_kwargs={1: KWARGS})
