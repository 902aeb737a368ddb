"""Where the arena finds the environment and writes its logs."""

from make_env import make_env

MAKE_ENV_LOCATION = "."  # a directory holding make_env.py
LOG_COMMS_DIR = "log_comms/"
_ENV = make_env()
OBS_SPACES = _ENV.observation_spaces
ACT_SPACES = _ENV.action_spaces
