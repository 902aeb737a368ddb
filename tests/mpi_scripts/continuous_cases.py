"""SAC, TD3 and DDPG on Pendulum for tests/mpi/test_continuous.py: ALGO LOG_DIR STEPS [KWARGS [ROUNDS]]."""

import json
import os
import sys

import gymnasium as gym

from arena import make_stem, single_agent_wrapper
from arena.mpi import comm as mpi

ALGO, LOG, STEPS = sys.argv[1], sys.argv[2], int(sys.argv[3])
KWARGS = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
ROUNDS = int(sys.argv[5]) if len(sys.argv) > 5 else 1
FROZEN = len(sys.argv) > 6 and sys.argv[6] == "then-frozen"  # then policy 2 plays policy 1's checkpoint


def make_env():
    return single_agent_wrapper(gym.make("Pendulum-v1"))


classes = {algo: f"checked_learners:Checked{algo.upper()}" for algo in ("sac", "td3", "ddpg")}
arena = make_stem(make_env, LOG, additional_policies={f"checked-{k}": v for k, v in classes.items()})
for _ in range(ROUNDS):  # a later round resumes from the checkpoint of the one before
    arena.kickoff([[1]], {1: f"checked-{ALGO}"}, STEPS, scale=True, seed=1, policy_kwargs={1: KWARGS})
    if mpi.rank_of(mpi.world()) == 0:
        os.replace(f"{LOG}/policy_1/identical.json", f"{LOG}/policy_1/identical_{arena.rounds}.json")
if FROZEN:
    frozen = {"source_policy": 1, "hidden": KWARGS.get("hidden", 256), "deterministic": True}
    arena.kickoff([[2]], {2: f"{ALGO}-eval"}, 400, seed=2, policy_kwargs={2: frozen})
