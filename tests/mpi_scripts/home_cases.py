"""Rounds, a kill, a re-run and a fork, for tests/mpi/test_cluster.py: python home_cases.py CASE LOG_DIR STEPS.

CASE "train" plays PPO (policy 1) against PPO (policy 2) at Touchdown; "fork" forks
policy 1 into policy 3 on rank 0 and plays 3 against 2; "eval" plays policy 3's
checkpoint, frozen, as policy 5 against 2. Policy 4, a user policy, keeps
one file through the arena's API and writes one with open(), as legacy policies do.
"""

import json
import os
import sys

from arena import PolicyRecord, make_stem
from arena.algos.random_policy import RandomPolicy
from arena.envs import Touchdown
from arena.mpi import comm as mpi
from arena.report import plots as arena_plots
from arena.storage import file_service as arena_home

CASE, LOG, STEPS = sys.argv[1], sys.argv[2], int(sys.argv[3])


class NotesPolicy(RandomPolicy):
    """Random play that counts its runs in a file kept through the arena, and leaves a note with open()."""

    def run(self, num_steps, data_dir, policy_record=None):
        super().run(num_steps, data_dir, policy_record)
        if policy_record is not None:
            runs = int(policy_record.files.read("runs.txt") or b"0") + 1
            policy_record.files.write("runs.txt", str(runs).encode())
            with open(os.path.join(data_dir, "note.txt"), "w") as f:
                f.write(f"run {runs}\n")


if CASE == "plots":  # every rank reports any curve it draws; rank 0 redraws often
    draw = arena_plots.plot_policy_records

    def reporting_draw(*args, **kwargs):
        print(f"PLOT on rank {mpi.rank_of(mpi.world())}", flush=True)
        return draw(*args, **kwargs)

    arena_plots.plot_policy_records = reporting_draw
    arena_home.PLOT_INTERVAL_S = 0.5

# The run the test kills: PPO stops for good once the checkpoint of update HOME_CASES_STALL_AT is home.
# It takes the name "ppo" itself, so the kickoff arguments stay those of the runs before and after.
stalling = {"ppo": "faulty_learners:StallingPPO"} if os.environ.get("HOME_CASES_STALL_AT") else {}

arena = make_stem(lambda: Touchdown(), LOG, additional_policies={"notes": NotesPolicy, **stalling})
small = {"n_steps": 64, "checkpoint_every": 4}
if CASE == "plots":
    arena.kickoff([[1, 2]], {1: "ppo", 2: "random"}, STEPS, policy_kwargs={1: small}, seed=3)
elif CASE == "fork":
    PolicyRecord(1, LOG).load().fork(3)
    arena.kickoff([[3, 2], [4, 4]], {3: "ppo", 2: "ppo", 4: "notes"}, STEPS, policy_kwargs={3: small, 2: small}, seed=3)
elif CASE == "eval":
    frozen = {"source_policy": 3, "deterministic": True}
    arena.kickoff([[5, 2], [4, 4]], {5: "ppo-eval", 2: "random", 4: "notes"}, STEPS, policy_kwargs={5: frozen}, seed=3)
else:
    arena.kickoff([[1, 2], [4, 4]], {1: "ppo", 2: "ppo", 4: "notes"}, STEPS, policy_kwargs={1: small, 2: small}, seed=3)
print("DONE", json.dumps({"case": CASE}), flush=True)
