"""Seeds: one base seed repeats a run exactly on CPU, and every round draws new streams."""

from helpers import run_script

from arena.storage.records import PolicyRecord


def _games(log, pid):
    return [(e.ret, e.length, e.steps) for e in PolicyRecord(pid, str(log)).load().episodes]


def test_two_runs_with_one_seed_give_identical_records_and_rounds_differ(tmp_path):
    for run in ("a", "b"):
        result = run_script(4, "seed_cases.py", str(tmp_path / run), timeout=180)
        assert result.returncode == 0 and not result.timed_out, result.output
    for pid in (1, 2, 3, 4):
        assert _games(tmp_path / "a", pid) == _games(tmp_path / "b", pid), f"policy {pid} differs between runs"
    # Random against random: a round that reused the last round's seeds would replay its games exactly.
    games = _games(tmp_path / "a", 3)
    first = [g[:2] for g in games if g[2] <= 400]
    second = [g[:2] for g in games if g[2] > 400][: len(first)]
    assert len(first) >= 3 and first != second
