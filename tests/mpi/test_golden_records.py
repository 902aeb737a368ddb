"""Fixed-seed runs give the very same records, whatever the code's layout: the check that moves change nothing.

tests/golden/<case>[.<flags>].json holds the episodes of ``tests/mpi_scripts/golden_cases.py CASE``
as recorded on each kind of this project's machines: torch's CPU kernels and version, and the CPU
features that change which kernels run (its machines have had AVX-512 with bf16 and without it),
are noted there. Other kernels sum floats in another order, and their runs part ways
after a few updates; a machine of a kind with no recording skips. A change that means to alter
learning (a new default, a fixed bug) records them again, on each kind of machine:
``ARENA_RECORD_GOLDEN=1 pytest tests/mpi/test_golden_records.py``.
"""

import json
import os

import pytest
import torch
from helpers import REPO, SCRIPTS, run_mpi

GOLDEN = os.path.join(REPO, "tests", "golden")
KERNEL_FLAGS = ("avx512_bf16", "amx_tile")  # CPU features whose kernels sum floats in another order


def cpu_flags() -> list[str]:
    """The features of ``KERNEL_FLAGS`` this CPU has (Linux's /proc/cpuinfo; none elsewhere)."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        flags = []
    return [flag for flag in KERNEL_FLAGS if flag in flags]


def golden_path(case: str, flags: list[str]) -> str:
    """The recording for this kind of machine: ``cartpole.json`` without the flags, ``cartpole.avx512_bf16.json``."""
    return os.path.join(GOLDEN, ".".join([case, *flags, "json"]))


@pytest.mark.timeout(300)
@pytest.mark.parametrize("case, ranks", [("touchdown", 4), ("cartpole", 3)])
def test_fixed_seed_records_match_the_recorded_ones(tmp_path, case, ranks):
    here = {"cpu_capability": torch.backends.cpu.get_cpu_capability(), "torch": torch.__version__}
    here["cpu_flags"] = cpu_flags()
    path = golden_path(case, here["cpu_flags"])
    recording = os.environ.get("ARENA_RECORD_GOLDEN") == "1"
    if not recording:
        if not os.path.exists(path):
            pytest.skip(f"no recording for CPUs with {here['cpu_flags'] or 'none'} of {KERNEL_FLAGS}")
        with open(path) as f:
            golden = json.load(f)
        if any(golden.get(k) != v for k, v in here.items()):
            pytest.skip(f"recorded with {golden['torch']} on {golden['cpu_capability']} kernels; here {here}")
    result = run_mpi(ranks, ["golden_cases.py", case, str(tmp_path)], cwd=SCRIPTS, timeout=280)
    assert result.returncode == 0 and not result.timed_out, result.output
    with open(tmp_path / "golden.json") as f:
        episodes = json.load(f)
    if recording:
        golden = {"case": case, **here, "episodes": episodes}
        with open(path, "w") as f:
            json.dump(golden, f, indent=0)
    assert sorted(episodes) == sorted(golden["episodes"])
    for policy, rows in golden["episodes"].items():
        first_difference = next((i for i, (a, b) in enumerate(zip(rows, episodes[policy])) if a != b), None)
        assert first_difference is None, f"policy {policy}: episode {first_difference} differs"
        assert len(episodes[policy]) == len(rows), f"policy {policy}: {len(episodes[policy])} episodes, not {len(rows)}"
