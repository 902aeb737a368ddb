"""Recurrent PPO for tests/{unit,mpi}/test_ppo_lstm.py: python lstm_cases.py LOG_DIR STEPS.

Two workers of "ppo-lstm", 2 copies each, for two rounds (the second resumes), then
"ppo-lstm-eval" plays the checkpoint; CartPole without velocities.
"""

import os
import sys

from arena import make_stem

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples", "memory_cartpole"))
from make_env import make_env  # noqa: E402

LOG, STEPS = sys.argv[1], int(sys.argv[2])


arena = make_stem(make_env, LOG, additional_policies={"checked-ppo-lstm": "checked_learners:CheckedPPOLSTM"})
options = {"n_steps": 16, "seq_len": 8, "lstm_size": 16, "hidden": 16}
for _ in range(2):
    arena.kickoff(
        [[1]], {1: "checked-ppo-lstm"}, STEPS, scale=True, copies_per_env=2, seed=5, policy_kwargs={1: options}
    )
frozen = {"source_policy": 1, "lstm_size": 16, "hidden": 16, "deterministic": True}
arena.kickoff([[2]], {2: "ppo-lstm-eval"}, 100, copies_per_env=2, seed=6, policy_kwargs={2: frozen})
