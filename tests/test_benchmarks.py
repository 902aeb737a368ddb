"""The benchmarks run (quick mode): every kind of row completes. No timing is asserted."""

import os
import subprocess
import sys

import pytest
from helpers import REPO

pytestmark = pytest.mark.mpi


@pytest.mark.timeout(400)
def test_throughput_quick_prints_every_row():
    result = subprocess.run(
        [sys.executable, os.path.join(REPO, "benchmarks", "throughput.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=380,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    table = result.stdout.split("\n\n")[-1]
    for row in ("(a) raw", "(b) random, -n 3, K=1", "(b) random, -n 3, K=32", "(c) ppo, -n 3, K=16"):
        assert row in table
    assert "(d) ppo, pickled, -n 3, K=1" in table
