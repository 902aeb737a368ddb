"""SAC, TD3 and DDPG through the arena on Pendulum-v1: they learn, workers stay identical, rounds resume."""

import json

import numpy as np
from helpers import run_script

from arena.storage.metrics import read_metrics
from arena.storage.records import PolicyRecord

RANDOM_PENDULUM = -1200  # uniformly random torques score about -1,200 per 200-step episode


def _run(n, algo, log, steps, kwargs, rounds=1, then="", timeout=300):
    args = (algo, str(log), str(steps), json.dumps(kwargs), str(rounds), then)
    result = run_script(n, "continuous_cases.py", *args, timeout=timeout)
    assert not result.timed_out, result.output
    assert result.returncode == 0, result.output
    return result


def _identical(log, round_number=1):
    with open(log / "policy_1" / f"identical_{round_number}.json") as f:
        return json.load(f)


def _last_episodes_mean(log, n=5):
    returns = PolicyRecord(1, str(log)).load().ep_results
    return float(np.mean(returns[-n:])), returns


def test_sac_two_workers_learn_pendulum_and_stay_identical(tmp_path):
    # [[1]] scaled on 5 ranks: 2 workers, 4,000 steps each; uniform actions for the first 1,000 global steps.
    _run(5, "sac", tmp_path, 4_000, {"hidden": 64, "learning_starts": 1_000})
    mean, returns = _last_episodes_mean(tmp_path, 6)
    assert mean > -500, f"last 6 episodes: {returns[-6:]}"
    # Each worker: (4,000 - 500) updates after the warm-up; actor, critic and target critic agree bit for bit.
    assert _identical(tmp_path) == {"workers": 2, "nets": 3, "identical": 3, "updates": 3_500}
    metrics = read_metrics(str(tmp_path / "policy_1"))
    for tag in ("losses/qf1_values", "losses/qf_loss", "losses/actor_loss", "losses/alpha", "losses/alpha_loss"):
        assert tag in metrics, sorted(metrics)
    alphas = [v for _, v in metrics["losses/alpha"]]
    assert alphas[-1] < 0.2  # the temperature was learned: Pendulum's target entropy -1 pulls it down


def test_td3_learns_pendulum(tmp_path):
    _run(3, "td3", tmp_path, 7_000, {"hidden": 64, "learning_starts": 1_000, "learning_rate": 1e-3})
    mean, returns = _last_episodes_mean(tmp_path)
    assert mean > RANDOM_PENDULUM / 2, f"last 5 episodes: {returns[-5:]}"


def test_ddpg_resumes_across_rounds_then_ddpg_eval_plays_it_frozen(tmp_path):
    kwargs = {"hidden": 16, "learning_starts": 200, "batch_size": 32}
    result = _run(3, "ddpg", tmp_path, 600, kwargs, rounds=2, then="then-frozen")
    assert "one critic(s), actor every 1 update(s)" in result.output
    assert "resuming from" in result.output and "at step 600" in result.output
    # Round 1: 400 updates after the warm-up. Round 2 refills 200 steps first (the replay is not saved).
    assert _identical(tmp_path, 1)["updates"] == 400
    assert _identical(tmp_path, 2) == {"workers": 1, "nets": 4, "identical": 4, "updates": 800}
    # Then "ddpg-eval" (policy 2) plays policy 1's last checkpoint for 400 steps and writes none of its own.
    assert "[ddpg] ddpg-eval plays policy 1's checkpoint, saved at step 1,200" in result.output
    assert PolicyRecord(2, str(tmp_path)).load().steps_done == 400
    assert not (tmp_path / "policy_2" / "checkpoint.pt").exists()
