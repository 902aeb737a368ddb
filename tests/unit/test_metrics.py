"""The metrics layer (no mpiexec): CSV always, TensorBoard event files read back with TensorBoard's reader."""

import pytest

from arena.storage.file_service import episode_scalars
from arena.storage.metrics import Metrics, MetricsWriter, hyperparameter_table, read_metrics, rewind_metrics
from arena.storage.records import Episode, PolicyRecord, is_record_file

tensorboard = pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402


def _events(folder):
    accumulator = EventAccumulator(str(folder))
    accumulator.Reload()
    return accumulator


def _log(writer, values, steps):
    metrics = Metrics(writer.write, writer.text)
    for value, step in zip(values, steps):
        metrics.log({"losses/value_loss": value, "charts/learning_rate": 1.0 - step / 100}, step)
    return metrics


def test_scalars_go_to_the_csv_and_to_tensorboard_with_cleanrl_tags(tmp_path):
    writer = MetricsWriter(str(tmp_path / "policy_1"), str(tmp_path / "tb" / "policy_1"), resume_step=0)
    metrics = _log(writer, [0.5, 0.25], [10, 20])
    metrics.hyperparameters({"gamma": 0.99, "n_steps": 128})
    writer.close()
    assert metrics.latest == {"losses/value_loss": 0.25, "charts/learning_rate": 0.8}
    assert read_metrics(str(tmp_path / "policy_1")) == {
        "losses/value_loss": [(10, 0.5), (20, 0.25)],
        "charts/learning_rate": [(10, 0.9), (20, 0.8)],
    }
    events = _events(tmp_path / "tb" / "policy_1")
    assert [(e.step, e.value) for e in events.Scalars("losses/value_loss")] == [(10, 0.5), (20, 0.25)]
    assert "hyperparameters/text_summary" in events.Tags()["tensors"]
    table = (tmp_path / "policy_1" / "text_hyperparameters.md").read_text()
    assert table == hyperparameter_table({"gamma": 0.99, "n_steps": 128}) + "\n"
    assert table.splitlines()[:3] == ["|param|value|", "|-|-|", "|gamma|0.99|"]


def test_a_resume_drops_what_a_cut_short_run_logged_after_its_checkpoint(tmp_path):
    data, tb = str(tmp_path / "policy_1"), str(tmp_path / "tb" / "policy_1")
    writer = MetricsWriter(data, tb, resume_step=0)
    _log(writer, [1.0, 2.0, 3.0], [10, 20, 30])  # the run dies after step 30, its checkpoint at 20
    writer.close()
    resumed = MetricsWriter(data, tb, resume_step=20)
    _log(resumed, [4.0], [30])
    resumed.close()
    assert read_metrics(data)["losses/value_loss"] == [(10, 1.0), (20, 2.0), (30, 4.0)]
    scalars = _events(tb).Scalars("losses/value_loss")
    assert [(e.step, e.value) for e in scalars] == [(10, 1.0), (20, 2.0), (30, 4.0)]
    assert rewind_metrics(data, 10) == 4 and read_metrics(data)["losses/value_loss"] == [(10, 1.0)]


def test_episodes_give_the_episodic_charts_and_a_record_logs_to_its_own_folder(tmp_path):
    rows = episode_scalars([Episode(0, 21.0, 800, 800, 5.0), Episode(1, -3.0, 400, 1200, 6.0)])
    assert rows == [
        ("charts/episodic_return", 21.0, 800, 5.0),
        ("charts/episodic_length", 800.0, 800, 5.0),
        ("charts/episodic_return", -3.0, 1200, 6.0),
        ("charts/episodic_length", 400.0, 1200, 6.0),
    ]
    record = PolicyRecord(4, str(tmp_path))
    record.metrics.log({"charts/SPS": 1500.0}, 64)
    assert read_metrics(record.data_dir) == {"charts/SPS": [(64, 1500.0)]}
    assert is_record_file("metrics.csv") and is_record_file("text_hyperparameters.md")
    assert not is_record_file("checkpoint.pt")
