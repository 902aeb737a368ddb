"""How long the job takes to end after a bad kickoff or a failing rank. Usage: python benchmarks/failure_latency.py

Prints seconds from launch to mpiexec's exit for each case (MPI start-up included);
the targets are under 10 s for a bad kickoff and under 30 s for a rank that raises.
"""

from __future__ import annotations

import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from helpers import run_script  # noqa: E402

CASES = [
    ("bad_too_few", 5),
    ("fail_make_env", 4),
    ("fail_reset", 4),
    ("fail_step", 4),
    ("fail_policy", 4),
    ("fail_root", 4),
]


def main() -> None:
    """Run every failing case of tests/mpi_scripts/core_cases.py once and print its time to exit."""
    for case, ranks in CASES:
        with tempfile.TemporaryDirectory() as log:
            result = run_script(ranks, "core_cases.py", case, log, timeout=120)
        status = "hung" if result.timed_out else f"exit {result.returncode}"
        print(f"{case:20s} -n {ranks}: {result.seconds:5.1f} s ({status})", flush=True)


if __name__ == "__main__":
    main()
