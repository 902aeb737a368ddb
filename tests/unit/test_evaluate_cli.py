"""``python -m arena.evaluate`` refuses what it cannot play with one line and exit code 2, never a traceback."""

from __future__ import annotations

import torch

from arena.evaluate import main as evaluate_main

MAKE_ENV = """import gymnasium as gym
from arena.wrappers.single_agent_wrappers import single_agent_wrapper


def make_env():
    return single_agent_wrapper(gym.make("CartPole-v1"))
"""


def test_a_checkpoint_of_a_type_it_cannot_play_is_refused_with_one_line(tmp_path, capsys):
    (tmp_path / "make_env.py").write_text(MAKE_ENV)
    folder = tmp_path / "log_comms" / "policy_1"
    folder.mkdir(parents=True)
    torch.save({"algo": "maddpg", "global_step": 10}, folder / "checkpoint.pt")
    assert evaluate_main([str(tmp_path), "--policy", "1", "--no-video"]) == 2
    err = capsys.readouterr().err
    assert "[evaluate] the checkpoint holds a 'maddpg' policy; arena.evaluate plays" in err
    assert "Traceback" not in err
    assert not (folder / "eval.json").exists()
    assert evaluate_main([str(tmp_path), "--policy", "1", "--entity", "3", "--no-video"]) == 2  # the lock was freed
    assert "entity 3 out of range" in capsys.readouterr().err
