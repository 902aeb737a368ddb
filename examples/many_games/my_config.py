"""Where the arena finds the environment and writes its logs, and which games are played."""

from arena.report.scores import ATARI_57

MAKE_ENV_LOCATION = "."  # a directory holding make_env.py
LOG_COMMS_DIR = "log_comms/"

# Eight games of the Nature DQN set that differ in how they score and what they ask.
EIGHT_GAMES = ["Pong", "Breakout", "SpaceInvaders", "Seaquest", "Qbert", "BeamRider", "Enduro", "MsPacman"]


def games(choice: str = "8") -> list[str]:
    """The games of ``--games`` (ARENA_GAMES): "8", "57" (all of the DQN papers' games) or a comma-separated list."""
    if choice == "8":
        return list(EIGHT_GAMES)
    if choice == "57":
        return list(ATARI_57)
    return [g.strip() for g in choice.split(",") if g.strip()]
