"""Example settings: a flag beats its ARENA_* variable, which beats the default; every example answers --help."""

from __future__ import annotations

import glob
import os
import re
import subprocess
import sys

import pytest
from helpers import REPO, hang_guard

from arena.settings import script_settings

EXAMPLE_SCRIPTS = sorted(glob.glob(os.path.join(REPO, "examples", "*", "my_main_script*.py")))


def test_a_flag_beats_its_variable_which_beats_the_default(monkeypatch):
    assert script_settings(None, [], total_steps=10).total_steps == 10
    monkeypatch.setenv("ARENA_TOTAL_STEPS", "20")
    assert script_settings(None, [], total_steps=10).total_steps == 20
    assert script_settings(None, ["--total-steps", "30"], total_steps=10).total_steps == 30


def test_values_take_the_type_of_their_default(monkeypatch):
    monkeypatch.setenv("ARENA_RENDER", "yes")
    got = script_settings(None, ["--realtime", "15", "--games", "Pong,Qbert"], render=False, realtime=0.0, games="8")
    assert (got.render, got.realtime, got.games) == (True, 15.0, "Pong,Qbert")
    assert script_settings(None, ["--render", "0"], render=True).render is False


def test_a_bad_value_or_an_unknown_setting_says_which(monkeypatch, capsys):
    monkeypatch.setenv("ARENA_TOTAL_STEPS", "many")
    with pytest.raises(SystemExit):
        script_settings(None, [], total_steps=10)
    assert "ARENA_TOTAL_STEPS='many'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="no such script setting: speed"):
        script_settings(None, [], speed=1)


@pytest.mark.parametrize("script", EXAMPLE_SCRIPTS + [os.path.join(REPO, "examples", "atari", "my_main_script.py")])
def test_every_example_answers_help_without_mpi(script):
    folder = os.path.dirname(script)
    done = subprocess.run(
        [sys.executable, os.path.basename(script), "--help"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=hang_guard(120),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage:" in done.stdout or "mpiexec -n" in done.stdout
    with open(script) as f:
        takes_flags = "settings = script_settings(" in f.read()
    if takes_flags:  # every setting as a flag, with its variable and default
        assert re.search(r"--[a-z-]+ [A-Z]+\s+[^\n]*\n?[^\n]*\(default [^;]+; env\s+ARENA_[A-Z_]+\)", done.stdout)
    else:  # the tutorial's own files take no flags: make_stem answers, naming the variables the arena reads
        assert "ARENA_EVALUATION" in done.stdout
