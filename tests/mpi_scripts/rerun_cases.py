"""Scripts for tests/mpi/test_reruns.py.

``python rerun_cases.py LOG_DIR story [KILL_AT]``: three rounds of PPO. Policies 1 and 2
learn Touchdown against each other in rounds 0 and 1; after round 0 the one with the
better records is forked into policy 3, which plays policy 2 in round 2.
With KILL_AT, a non-root worker of policy 1 kills itself (SIGKILL) once the policy's
global step reaches it: the job dies mid-round, and a re-run must finish the same work.

``python rerun_cases.py LOG_DIR random STEPS``: one round of random against random.
"""

import os
import sys

from arena import make_stem
from arena.envs import Touchdown
from arena.storage.records import PolicyRecord, load_records

LOG, CASE = sys.argv[1], sys.argv[2]
if CASE == "story" and len(sys.argv) > 3:
    os.environ["RERUN_KILL_AT"] = sys.argv[3]  # faulty_learners.KillablePPO reads it on its worker rank
STEPS = 600  # per match copy and round; -n 7 with scale=True plays 2 copies: 1,200 steps per policy and round


def ppo(schedule_steps, checkpoint_every):
    return {"n_steps": 50, "n_epochs": 2, "schedule_steps": schedule_steps, "checkpoint_every": checkpoint_every}


arena = make_stem(Touchdown, LOG, additional_policies={"killable": "faulty_learners:KillablePPO"})
if CASE == "random":
    arena.kickoff([[1, 2]], {1: "random", 2: "random"}, int(sys.argv[3]), seed=1)
    sys.exit(0)
kwargs = {1: ppo(2400, 2), 2: ppo(3600, 3), 3: ppo(2400, 2)}
arena.kickoff([[1, 2]], {1: "killable", 2: "ppo"}, STEPS, scale=True, policy_kwargs=kwargs, seed=3)
records = load_records(LOG)
best = max((1, 2), key=lambda pid: (sum(records[pid].ep_results), -pid))
print(f"[script] after round 0: policies {sorted(records)}, best {best}, returns {sum(records[best].ep_results)}")
PolicyRecord(best, LOG).load().fork(3)
arena.kickoff([[1, 2]], {1: "killable", 2: "ppo"}, STEPS, scale=True, policy_kwargs=kwargs, seed=3)
arena.kickoff([[3, 2]], {3: "ppo", 2: "ppo"}, STEPS, scale=True, policy_kwargs=kwargs, seed=3)
print(f"[script] done: steps { ({pid: r.steps_done for pid, r in sorted(load_records(LOG).items())}) }")
