"""Where the arena finds the environment and writes its logs."""

from arena.envs import Touchdown

MAKE_ENV_LOCATION = "."  # a directory holding make_env.py
LOG_COMMS_DIR = "log_comms/"
_ENV = Touchdown()
OBS_SPACES = _ENV.observation_spaces
ACT_SPACES = _ENV.action_spaces
