"""Every example runs end to end under mpiexec on a tiny budget, in a scratch copy."""

import os
import re
import shutil

import pytest
from helpers import REPO, run_mpi

from arena.records import PolicyRecord

pytestmark = pytest.mark.example


def _run_example(tmp_path, name, ranks, total_steps, timeout=180):
    work = tmp_path / name
    shutil.copytree(os.path.join(REPO, "examples", name), work, ignore=shutil.ignore_patterns("log_comms"))
    result = run_mpi(
        ranks, ["my_main_script.py"], cwd=str(work), timeout=timeout, env={"ARENA_TOTAL_STEPS": str(total_steps)}
    )
    assert not result.timed_out, result.output
    assert result.returncode == 0, result.output
    return work / "log_comms", result.output


def _assert_policy_outputs(log, pid):
    record = PolicyRecord(pid, str(log)).load()
    assert record.episodes, f"policy {pid} recorded no episodes"
    for name in ("records.csv", "curve_steps.png", "curve_episodes.png"):
        assert (log / f"policy_{pid}" / name).stat().st_size > 0
    return record


@pytest.mark.parametrize("ranks, copies", [(7, 2), (15, 4)])
def test_touchdown_scales_to_fill_the_ranks(tmp_path, ranks, copies):
    log, output = _run_example(tmp_path, "touchdown", ranks, 4000 * copies)
    assert re.search(rf"scaling: {copies} copies", output)
    assert len(re.findall(r"\n\d+\s+environment\s", output)) == copies
    for pid in (1, 2):
        record = _assert_policy_outputs(log, pid)
        assert record.steps_done == 4000 * copies  # each policy plays one entity in every copy


def test_touchdown_multi_agent_blocks_and_remaps(tmp_path):
    log, output = _run_example(tmp_path, "touchdown_multi_agent", 4, 2000)
    assert re.search(r"\n1\s+environment\s+0\s+0\s+3,4,5,0,1,2", output)
    assert re.search(r"\n2\s+worker\s+0\s+0\s+3,4,5\s+1", output)
    for pid in (1, 2):
        _assert_policy_outputs(log, pid)


def test_custom_policy_random_agent(tmp_path):
    log, output = _run_example(tmp_path, "custom_policy_random_agent", 4, 2000)
    assert "MyRandomAgent root worker: collected" in output
    _assert_policy_outputs(log, 1)


def test_round_robin_with_parameters(tmp_path):
    log, output = _run_example(tmp_path, "round_robin_with_parameters", 10, 3000)
    for pid in (1, 2, 3):
        _assert_policy_outputs(log, pid)
    assert (log / "round_robin.png").stat().st_size > 0
    # Match 0 uses max_steps=100: policy 1's episodes there never run longer.
    assert max(PolicyRecord(2, str(log)).load().ep_lengths) <= 300
