"""Data checks, the env checker and the stop flag, without MPI."""

import os


def test_check_env_command_line(tmp_path):
    import subprocess
    import sys

    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    good = subprocess.run(
        [sys.executable, "-m", "arena.env_check", os.path.join(repo, "examples", "touchdown"), "--steps", "50"],
        capture_output=True,
        text=True,
    )
    assert good.returncode == 0 and "the env is ready for the arena" in good.stdout, good.stdout + good.stderr
    source = "import gymnasium as gym\n\ndef make_env():\n    return gym.make('CartPole-v1')\n"
    (tmp_path / "make_env.py").write_text(source)
    bad = subprocess.run([sys.executable, "-m", "arena.env_check", str(tmp_path)], capture_output=True, text=True)
    assert bad.returncode == 1 and "arena.single_agent_wrapper(env)" in bad.stdout, bad.stdout + bad.stderr
