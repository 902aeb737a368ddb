"""MADDPG and MASAC through the arena on the Cover task: a block learns, workers stay identical."""

import json

import numpy as np
from helpers import run_script

from arena.storage.metrics import read_metrics
from arena.storage.records import PolicyRecord


def _run(n, case, log, steps, kwargs=None, timeout=240):
    result = run_script(n, "navigation_cases.py", case, str(log), str(steps), json.dumps(kwargs or {}), timeout=timeout)
    assert not result.timed_out, result.output
    assert result.returncode == 0, result.output
    return result


def test_maddpg_beats_multiagent_random_at_cover(tmp_path):
    # Policy 1 (MADDPG, one worker for both agents) and policy 2 (multiagent_random) play a match each.
    result = _run(5, "against-random", tmp_path, 4_500)
    assert "[maddpg] policy 1: 2 entities, 2 actor(s), centralised critics" in result.output
    learned = PolicyRecord(1, str(tmp_path)).load().ep_results
    random = PolicyRecord(2, str(tmp_path)).load().ep_results
    assert len(learned) == len(random) == 90  # 50-step episodes
    # Random play leaves each landmark about 0.3 from the nearest agent for 50 steps (about -14 an episode).
    assert np.mean(learned[-20:]) > np.mean(random) / 2, (np.mean(learned[-20:]), np.mean(random))


def test_masac_two_workers_stay_identical_and_learn_temperatures(tmp_path):
    _run(5, "masac", tmp_path, 400, {"learning_starts": 200, "batch_size": 32, "hidden": 16})
    with open(tmp_path / "policy_1" / "identical.json") as f:
        # actors, critics and target critics; (400 - 100) updates on each of 2 workers.
        assert json.load(f) == {"workers": 2, "nets": 3, "identical": 3, "updates": 300}
    metrics = read_metrics(str(tmp_path / "policy_1"))
    for tag in ("losses/qf_loss", "losses/actor_loss", "losses/alpha", "losses/alpha_loss"):
        assert tag in metrics, sorted(metrics)
