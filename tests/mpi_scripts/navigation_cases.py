"""MADDPG and MASAC on Cover for tests/mpi/test_navigation.py: python navigation_cases.py ALGO LOG_DIR STEPS."""

import json
import sys

from arena import make_stem
from arena.envs import Cover

ALGO, LOG, STEPS = sys.argv[1], sys.argv[2], int(sys.argv[3])
KWARGS = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}


def make_env():
    return Cover(n_agents=2)


arena = make_stem(
    make_env,
    LOG,
    additional_policies={
        "checked-maddpg": "checked_learners:CheckedMADDPG",
        "checked-masac": "checked_learners:CheckedMASAC",
    },
)
if ALGO == "against-random":  # MADDPG's block beside multiagent_random's, one match each
    types = {1: "checked-maddpg", 2: "multiagent_random"}
    arena.kickoff([[[1, 1]], [[2, 2]]], types, STEPS, seed=4, policy_kwargs={1: KWARGS})
else:  # scaled: as many workers of one policy as the ranks allow
    arena.kickoff([[[1, 1]]], {1: f"checked-{ALGO}"}, STEPS, scale=True, seed=4, policy_kwargs={1: KWARGS})
