"""Where the arena finds the environment and writes its logs."""

MAKE_ENV_LOCATION = "."  # a directory holding make_env.py
LOG_COMMS_DIR = "log_comms/"
