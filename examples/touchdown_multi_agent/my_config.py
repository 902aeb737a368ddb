"""Where the arena finds the environment and writes its logs."""

from arena.envs import Touchdown

MAKE_ENV_LOCATION = "."
LOG_COMMS_DIR = "log_comms/"
_ENV = Touchdown(players_per_team=3)
OBS_SPACES = _ENV.observation_spaces
ACT_SPACES = _ENV.action_spaces
