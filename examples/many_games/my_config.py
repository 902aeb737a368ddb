"""Where the arena finds the environment and writes its logs, and which games are played."""

import os

from arena.report.scores import ATARI_57

MAKE_ENV_LOCATION = "."  # a directory holding make_env.py
LOG_COMMS_DIR = "log_comms/"

# Eight games of the Nature DQN set that differ in how they score and what they ask.
EIGHT_GAMES = ["Pong", "Breakout", "SpaceInvaders", "Seaquest", "Qbert", "BeamRider", "Enduro", "MsPacman"]


def games() -> list[str]:
    """ARENA_GAMES: "8" (default), "57" (all of the DQN papers' games) or a comma-separated list."""
    choice = os.environ.get("ARENA_GAMES", "8")
    if choice == "8":
        return list(EIGHT_GAMES)
    if choice == "57":
        return list(ATARI_57)
    return [g.strip() for g in choice.split(",") if g.strip()]
