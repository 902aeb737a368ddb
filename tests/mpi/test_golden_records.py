"""Fixed-seed runs give the very same records, whatever the code's layout: the check that moves change nothing.

tests/golden/<case>.json holds the episodes of ``tests/mpi_scripts/golden_cases.py CASE``
as recorded on this project's machines (torch's CPU kernels and version are noted there:
other kernels sum floats in another order, and their runs part ways after a few updates).
A change that means to alter learning (a new default, a fixed bug) records them again:
``ARENA_RECORD_GOLDEN=1 pytest tests/mpi/test_golden_records.py``.
"""

import json
import os

import pytest
import torch
from helpers import REPO, SCRIPTS, run_mpi

GOLDEN = os.path.join(REPO, "tests", "golden")


@pytest.mark.timeout(300)
@pytest.mark.parametrize("case, ranks", [("touchdown", 4), ("cartpole", 3)])
def test_fixed_seed_records_match_the_recorded_ones(tmp_path, case, ranks):
    path = os.path.join(GOLDEN, f"{case}.json")
    with open(path) as f:
        golden = json.load(f)
    here = {"cpu_capability": torch.backends.cpu.get_cpu_capability(), "torch": torch.__version__}
    recording = os.environ.get("ARENA_RECORD_GOLDEN") == "1"
    if not recording and any(golden[k] != v for k, v in here.items()):
        pytest.skip(f"recorded with {golden['torch']} on {golden['cpu_capability']} kernels; here {here}")
    result = run_mpi(ranks, ["golden_cases.py", case, str(tmp_path)], cwd=SCRIPTS, timeout=280)
    assert result.returncode == 0 and not result.timed_out, result.output
    with open(tmp_path / "golden.json") as f:
        episodes = json.load(f)
    if recording:
        with open(path, "w") as f:
            json.dump({"case": case, **here, "episodes": episodes}, f, indent=0)
    assert sorted(episodes) == sorted(golden["episodes"])
    for policy, rows in golden["episodes"].items():
        first_difference = next((i for i, (a, b) in enumerate(zip(rows, episodes[policy])) if a != b), None)
        assert first_difference is None, f"policy {policy}: episode {first_difference} differs"
        assert len(episodes[policy]) == len(rows), f"policy {policy}: {len(episodes[policy])} episodes, not {len(rows)}"
