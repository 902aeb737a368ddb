"""Where the arena finds the environment and writes its logs."""

import numpy as np
from gymnasium import spaces

MAKE_ENV_LOCATION = "."  # a directory holding make_env.py
LOG_COMMS_DIR = "log_comms/"
# Both paddles see four stacked 84x84 frames and the plane that says which side they play.
OBS_SPACES = [spaces.Box(0, 255, (5, 84, 84), dtype=np.uint8)] * 2
ACT_SPACES = [spaces.Discrete(6)] * 2
