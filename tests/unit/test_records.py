"""Records are CSV/JSON, survive reload and forks, and draw learning curves."""

import os

import numpy as np

from arena.core.policy_record import PolicyRecord as Arena5PolicyRecord
from arena.report.plots import plot_policy_records, rolling_mean
from arena.storage.records import PolicyRecord, load_records


def test_add_save_load_round_trip(tmp_path):
    record = PolicyRecord(3, str(tmp_path))
    for i in range(5):
        record.add_result(float(i), 10)
    record.save()
    record.add_result(9.5, 4, steps=100)
    record.save()  # appends only the new row
    loaded = PolicyRecord(3, str(tmp_path)).load()
    assert loaded.ep_results == [0.0, 1.0, 2.0, 3.0, 4.0, 9.5]
    assert loaded.ep_cumlens == [10, 20, 30, 40, 50, 100]
    assert loaded.total_steps == 100
    with open(os.path.join(record.data_dir, "records.csv")) as f:
        assert f.readline().strip() == "episode,return,length,steps,time,label"


def test_torn_last_line_is_skipped(tmp_path):
    record = PolicyRecord(1, str(tmp_path))
    record.add_result(1.0, 5)
    record.save()
    with open(os.path.join(record.data_dir, "records.csv"), "a") as f:
        f.write("1,2.0,")  # a crash mid-write
    assert PolicyRecord(1, str(tmp_path)).load().ep_results == [1.0]


def test_fork_copies_records_and_files(tmp_path):
    parent = PolicyRecord(1, str(tmp_path))
    parent.add_result(2.0, 7)
    parent.save()
    with open(os.path.join(parent.data_dir, "checkpoint.pt"), "w") as f:
        f.write("weights")
    child = parent.fork(5)
    assert child.policy_id == 5 and child.ep_results == [2.0]
    assert os.path.exists(os.path.join(tmp_path, "policy_5", "checkpoint.pt"))
    assert sorted(load_records(str(tmp_path))) == [1, 5]


def test_rolling_mean():
    np.testing.assert_allclose(rolling_mean([1, 2, 3, 4], 2), [1, 1.5, 2.5, 3.5])
    assert rolling_mean([], 5).size == 0


def test_plots_are_written(tmp_path):
    record = Arena5PolicyRecord(2, str(tmp_path), plot_color="red")
    for i in range(30):
        record.add_result(np.sin(i), 3)
    record.save()  # arena5's PolicyRecord redraws its curves on save
    for name in ("curve_steps.png", "curve_episodes.png"):
        path = os.path.join(record.data_dir, name)
        assert os.path.getsize(path) > 1000
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    out = plot_policy_records([record, record], [1, 10], [0.3, 1.0], str(tmp_path / "both.png"), colors=["r", "b"])
    assert os.path.getsize(out) > 1000
