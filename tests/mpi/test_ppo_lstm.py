"""Recurrent PPO's pieces: sequence layout, state resets inside a sequence, replayed minibatches, and the policy."""

import json
import sys

from helpers import REPO, run_script

from arena.storage.records import PolicyRecord

sys.path.insert(0, f"{REPO}/examples/memory_cartpole")


def test_two_workers_stay_identical_resume_and_play_frozen(tmp_path):
    result = run_script(5, "lstm_cases.py", str(tmp_path), "64", timeout=180)
    assert result.returncode == 0 and not result.timed_out, result.output
    # 2 workers x 2 copies x 64 steps = 256 global steps a round; 4 updates of 16 steps each.
    for step, updates in ((256, 4), (512, 8)):
        with open(tmp_path / "policy_1" / f"identical_{step}.json") as f:
            assert json.load(f) == {"workers": 2, "identical": 1, "updates": updates}
    assert "[ppo-lstm] resuming from" in result.output and "at step 256" in result.output
    assert "[ppo-lstm] ppo-lstm-eval plays policy 1's checkpoint, saved at step 512" in result.output
    assert PolicyRecord(2, str(tmp_path)).load().steps_done == 200
