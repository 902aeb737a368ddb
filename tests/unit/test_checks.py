"""Data checks, the env checker and the stop flag, without MPI."""

import os
import signal

import numpy as np
import pytest
from gymnasium import spaces

from arena import check_env
from arena.envs import Touchdown
from arena.envs.step_checks import DataChecks, DataError, reward_problem, value_problem
from arena.ranks.signals import StopFlag
from arena.storage.records import PolicyRecord

BOX = spaces.Box(-1.0, 1.0, (2,), np.float32)


@pytest.mark.parametrize(
    "values, space, problem",
    [
        ([np.zeros(2, np.float32)], BOX, None),
        ([np.zeros(2)], BOX, None),  # float64 into a float32 space is fine
        ([np.zeros(3)], BOX, "has shape (3,)"),
        ([np.zeros(2, np.complex64)], BOX, "has dtype complex64"),
        ([2, 0], spaces.Discrete(3), None),
        ([3], spaces.Discrete(3), "3 is outside Discrete(3)"),
        ([1.5], spaces.Discrete(3), "is not an integer"),
        ([np.array([0, 4])], spaces.MultiDiscrete([3, 5]), None),
        ([np.array([0, 5])], spaces.MultiDiscrete([3, 5]), "outside"),
        ([np.array([0, 2], np.int8)], spaces.MultiBinary(2), "outside"),
    ],
)
def test_values_are_checked_against_their_space(values, space, problem):
    found = value_problem(values, space, "observation", check_bounds=True)
    assert found is None if problem is None else problem in found


def test_box_bounds_and_nan_count_only_for_actions():
    assert value_problem([np.full(2, 5.0)], BOX, "observation", check_bounds=False) is None
    assert "outside the bounds" in value_problem([np.full(2, 5.0)], BOX, "action", check_bounds=True)
    assert "NaN" in value_problem([np.array([np.nan, 0])], BOX, "action", check_bounds=True)
    assert reward_problem(np.array([[0.0, np.inf]]))[:2] == (0, 1)


def test_checks_raise_or_warn_once(capsys):
    with pytest.raises(DataError, match="env X, entity 1, step 7: reward nan"):
        DataChecks("raise", "env X").rewards(7, np.array([[0.0, np.nan]]))
    warn = DataChecks("warn", "env X")
    for step in range(3):
        warn.rewards(step, np.array([[0.0, np.nan]]))
    assert capsys.readouterr().err.count("[arena] warning: env X, entity 1") == 1


def test_check_env_passes_touchdown_and_names_what_to_fix():
    report = check_env(lambda: Touchdown(), steps=250, render=True)
    assert report.ok, report
    assert "render() gives RGB frames" in str(report)

    class NoisyShape(Touchdown):
        def step(self, actions):
            obs, *rest = super().step(actions)
            return [np.zeros(7)] + obs[1:], *rest

    report = check_env(NoisyShape, steps=20)
    assert not report.ok and "step 1, entity 0: observation has shape (7,)" in str(report)
    assert "building the env failed" in str(check_env(lambda: 1 / 0))


def test_first_stop_signal_is_noted_and_the_second_interrupts():
    flag = StopFlag().install()
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        assert flag.requested and flag.exit_code() == 143
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def test_rewinding_a_record_drops_only_episodes_after_the_checkpoint(tmp_path):
    record = PolicyRecord(1, str(tmp_path))
    for steps in (10, 20, 30, 40):
        record.add_result(1.0, 10, steps=steps)
    record.round_open = True
    record.save()
    loaded = PolicyRecord(1, str(tmp_path)).load()
    assert loaded.round_open and loaded.rewind(25) == 2
    loaded.add_result(2.0, 10, steps=35)
    loaded.save()
    again = PolicyRecord(1, str(tmp_path)).load()
    assert [(e.episode, e.steps) for e in again.episodes] == [(0, 10), (1, 20), (2, 35)]
