"""The benchmark's match: Touchdown 1 v 1, scaled to fill the ranks. Args: POLICY_1 TOTAL_STEPS LOG_DIR.

Prints the environment ranks' summed steady rate (the round's steps after its first tenth).
"""

import sys

from arena import make_stem, total_steps_to_match_steps
from arena.envs import Touchdown

policy_1, total_steps, log_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
arena = make_stem(lambda **kw: Touchdown(**kw), log_dir)
match_list = [[1, 2]]
steps = total_steps_to_match_steps(match_list, total_steps)
result = arena.kickoff(match_list, {1: policy_1, 2: "random"}, steps, scale=True)
steady = [s["steady_steps_per_s"] for s in result["ranks"].values() if s.get("steady_steps_per_s")]
print(f"steady: {sum(steady):.1f} steps/s")
