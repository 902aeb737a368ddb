"""DQN through the arena: pooled learning on CartPole, the image path with every modern option, resume."""

import json

import numpy as np
import pytest
from helpers import assert_ok, run_script

from arena.storage.metrics import read_metrics
from arena.storage.records import PolicyRecord


def test_cartpole_two_workers_learn_and_stay_identical(tmp_path):
    # [[1]] scaled on 5 ranks: 2 workers of policy 1, 10,000 steps each, the "vector" preset. Seed 2 reached
    # a mean of 268 over the last 20 episodes, and its checkpoint 187 (at least 161) over 3,000 greedy steps,
    # on AVX-512 CPUs without bf16; with bf16 (an AMD EPYC), whose kernels sum in another order, 142.9 and
    # 150.6. Random play scores about 20, a broken learner's greedy play about 10: 100 and 120 keep a margin.
    result = run_script(5, "dqn_cases.py", "cartpole", str(tmp_path), "10000", timeout=420)
    assert_ok(result)
    record = PolicyRecord(1, str(tmp_path)).load()
    assert record.steps_done == 20_000
    first, last = np.mean(record.ep_results[:20]), np.mean(record.ep_results[-20:])
    assert last >= 100, f"mean return of the last 20 episodes is {last:.1f} (first 20: {first:.1f})"
    with open(tmp_path / "policy_1" / "identical.json") as f:
        report = json.load(f)
    # Updates start after 1,000 global steps (500 per worker), then 2 every 4 steps: (10,000 - 500) / 2.
    assert report == {"workers": 2, "identical": 4, "updates": 4_750}
    metrics = read_metrics(str(tmp_path / "policy_1"))
    for tag in ("losses/td_loss", "losses/q_values", "losses/grad_norm", "charts/epsilon", "charts/learning_rate"):
        assert tag in metrics, sorted(metrics)
    eps = [v for _, v in metrics["charts/epsilon"]]
    assert eps[0] > eps[-1] == pytest.approx(0.04)
    assert "replay of 50,000 transitions" in result.output
    # "dqn-eval" plays the checkpoint greedily: policy 1's folder is left as it was.
    checkpoint = (tmp_path / "policy_1" / "checkpoint.pt").read_bytes()
    assert_ok(run_script(3, "dqn_cases.py", "eval", str(tmp_path), "3000", timeout=120))
    frozen = PolicyRecord(2, str(tmp_path)).load()
    assert frozen.steps_done == 3000 and np.mean(frozen.ep_results) >= 120, frozen.ep_results
    assert (tmp_path / "policy_1" / "checkpoint.pt").read_bytes() == checkpoint
    assert PolicyRecord(1, str(tmp_path)).load().steps_done == 20_000


def test_images_with_every_modern_option_and_resume(tmp_path):
    # Pong, K=2 copies in one batch: dueling, Double, PER, 3-step, Huber, gradient clipping; two rounds.
    result = run_script(3, "dqn_cases.py", "pong", str(tmp_path), "600", timeout=300)
    assert_ok(result)
    assert "preset 'modern', replay of 4,000 transitions (28 MB" in result.output
    reports = []
    for n in (1, 2):
        with open(tmp_path / "policy_1" / f"identical_{n}.json") as f:
            reports.append(json.load(f))
    # 300 global steps of warm-up (150 worker steps of 2 copies), then an update every 4th worker step.
    first_round = 600 // 4 - 150 // 4
    assert reports[0] == {"workers": 1, "identical": 2, "updates": first_round}
    # The second round resumes the networks and counters; its replay starts empty and refills first.
    assert "resuming from" in result.output and "at step 1,200" in result.output
    assert reports[1] == {"workers": 1, "identical": 2, "updates": 2 * first_round}
    beta = [v for step, v in read_metrics(str(tmp_path / "policy_1"))["charts/per_beta"] if step <= 1_200]
    assert 0.4 < beta[0] < beta[-1] < 1.0
