"""Names arena5's examples import, with arena5's meaning (no mpiexec)."""

import numpy as np
import pytest
from helpers import run_script

from arena.algos import BUILTIN_POLICIES
from arena.core.policy_record import plot_policy_records
from arena.core.utils import count_number_scaled_matches, total_steps_to_match_steps
from arena.records import PolicyRecord, load_records


def test_count_number_scaled_matches_counts_every_copy_of_every_match():
    # [[1], [2]] needs 1 root + 2 x (env + worker) = 5 ranks; 9 ranks hold two copies: 4 matches.
    assert count_number_scaled_matches([[1], [2]], world_size=9) == 4
    assert total_steps_to_match_steps([[1], [2]], 40_000, world_size=9) == 10_000


def test_multiagent_random_is_the_random_policy_for_blocks():
    assert BUILTIN_POLICIES["multiagent_random"] == BUILTIN_POLICIES["random"]


def test_policy_ids_may_be_zero_or_negative(tmp_path):
    for pid in (0, -3, 2):
        record = PolicyRecord(pid, str(tmp_path))
        record.add_result(1.0, 5)
        record.save(plots=False)
    assert list(load_records(str(tmp_path))) == [-3, 0, 2]


def test_offsets_shift_each_record_along_the_steps(tmp_path, monkeypatch):
    import arena.plots as plots

    drawn = []
    monkeypatch.setattr(plots, "thin", lambda xs, ys: drawn.append(np.asarray(xs)) or (xs, ys))
    records = []
    for pid in (1, 2):
        record = PolicyRecord(pid, str(tmp_path))
        for _ in range(3):
            record.add_result(1.0, 10)
        records.append(record)
    plot_policy_records(records, [1], [1.0], str(tmp_path / "p.png"), colors=None, offsets=[0, 1000])
    assert [list(x) for x in drawn] == [[10, 20, 30], [1010, 1020, 1030]]
    assert (tmp_path / "p.png").exists()
    with pytest.raises(ValueError, match="one offset per record"):
        plot_policy_records(records, [1], [1.0], str(tmp_path / "q.png"), offsets=[0])


@pytest.mark.mpi
def test_blocks_of_multiagent_random_with_policy_id_0_play_a_remapped_match(tmp_path):
    result = run_script(4, "arena5_cases.py", "blocks", str(tmp_path), timeout=120)
    assert result.returncode == 0 and not result.timed_out, result.output
    records = load_records(str(tmp_path))
    assert sorted(records) == [0, 1]
    assert all(r.steps_done == 300 and r.episodes for r in records.values())
