"""What a PPO worker trains on is exactly what each copy of its match produced, in order."""

import numpy as np
from helpers import run_script


def test_worker_trains_on_each_copys_own_steps_across_resets_and_lost_lives(tmp_path):
    result = run_script(3, "trajectory_cases.py", str(tmp_path), timeout=240)
    assert not result.timed_out, result.output
    assert result.returncode == 0, result.output
    env, worker = np.load(tmp_path / "env_tap.npz"), np.load(tmp_path / "worker_tap.npz")
    T = len(worker["obs"])
    assert T == 480 and len(env["actions"]) == T  # every step the env took, and no other, was trained on
    # Row t of the rollout: the observation the action was taken on (after step t, or the reset), the action
    # the env received at step t + 1, and that step's reward and end, for each copy in its own column.
    assert np.array_equal(worker["obs"], env["obs"][:T])
    assert np.array_equal(worker["actions"], env["actions"])
    assert np.array_equal(worker["rewards"], env["rewards"].astype(np.float32))
    assert np.array_equal(worker["ends"], env["ends"].astype(np.float32))
    # The run crossed what could misalign copies: same-step game restarts and lives lost in several copies.
    assert int(env["games"]) >= 2 and int(env["lives"]) >= 10
    assert (env["ends"].sum(axis=0) >= 3).all()
