"""Schedules follow the policy's global step across rounds and resumes (no mpiexec)."""

import pytest
from helpers import ScriptedVector

from arena.algos.ppo import PPO
from arena.algos.schedules import kl_adapted, linear
from arena.mpi import comm as mpi
from arena.storage.metrics import read_metrics
from arena.storage.records import PolicyRecord


def test_linear_runs_from_start_to_end_then_stays():
    assert [linear(1.0, 0.0, s, 8) for s in (0, 2, 4, 8, 12)] == [1.0, 0.75, 0.5, 0.0, 0.0]
    assert linear(0.5, 1.0, 3, 0) == 1.0  # no horizon: already at the end


def test_kl_adapted_rate_steps_by_the_factor_outside_the_band_and_stays_within_bounds():
    assert kl_adapted(1e-3, 0.05, 0.01) == pytest.approx(1e-3 / 1.5)  # above twice the target
    assert kl_adapted(1e-3, 0.001, 0.01) == pytest.approx(1.5e-3)  # below half of it
    assert kl_adapted(1e-3, 0.01, 0.01) == 1e-3  # inside the band
    assert kl_adapted(9e-3, 0.0, 0.01, high=1e-2) == 1e-2
    assert kl_adapted(1e-6, 1.0, 0.01) == 1e-6


def _learning_rates(record: PolicyRecord) -> list[float]:
    return [lr for _, lr in read_metrics(record.data_dir)["charts/learning_rate"]]


def _round(ppo: PPO, record: PolicyRecord, steps: int) -> None:
    ppo.run(steps, record.data_dir, record)


def test_learning_rate_follows_the_global_step_across_rounds_and_a_resume(tmp_path):
    # 2 copies, 4 steps a rollout: each update is 8 global steps. Annealed to 0 at step 64.
    files = PolicyRecord(1, str(tmp_path))
    kwargs = dict(seed=0, n_steps=4, learning_rate=1.0, schedule_steps=64)
    ppo = PPO(ScriptedVector(), mpi.world(), **kwargs)
    _round(ppo, files, 8)  # round 1: updates at global steps 0 and 8
    _round(ppo, files, 8)  # round 2, same process: 16 and 24
    resumed = PPO(ScriptedVector(), mpi.world(), **kwargs)  # a re-run: starts from the checkpoint at 32
    _round(resumed, files, 8)
    assert resumed.global_step == 48
    assert _learning_rates(files) == pytest.approx([1.0, 0.875, 0.75, 0.625, 0.5, 0.375])


def test_without_schedule_steps_the_horizon_is_the_run_budget_and_never_restarts(tmp_path, capsys):
    files = PolicyRecord(1, str(tmp_path))
    ppo = PPO(ScriptedVector(), mpi.world(), seed=0, n_steps=4, learning_rate=1.0)
    _round(ppo, files, 16)  # budget 32 global steps: 0, 8, 16, 24
    _round(ppo, files, 8)  # a second round, at steps 32 and 40, stays at 0 and says why
    assert _learning_rates(files) == pytest.approx([1.0, 0.75, 0.5, 0.25, 0.0, 0.0])
    assert "starts at step 32, past the end of its schedule at step 16" in capsys.readouterr().out


def test_adaptive_rate_lives_in_the_checkpoint_and_a_resume_goes_on_from_it(tmp_path):
    # KL always below half of a huge target: the rate grows by 1.5 an epoch, 2 epochs an update.
    files = PolicyRecord(1, str(tmp_path))
    kwargs = dict(seed=0, n_steps=4, n_epochs=2, learning_rate=1e-4, adaptive_kl=100.0, max_learning_rate=1.0)
    _round(PPO(ScriptedVector(), mpi.world(), **kwargs), files, 8)
    _round(PPO(ScriptedVector(), mpi.world(), **kwargs), files, 4)  # a re-run resumes from the checkpoint
    assert _learning_rates(files) == pytest.approx([1e-4 * 2.25, 1e-4 * 2.25**2, 1e-4 * 2.25**3])
