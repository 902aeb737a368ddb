"""Where the arena finds the environment and writes its logs."""

import numpy as np
from gymnasium import spaces

MAKE_ENV_LOCATION = "."  # a directory holding make_env.py
LOG_COMMS_DIR = "log_comms/"
# Pong after wrap_deepmind: a stack of four 84x84 grayscale frames, six actions.
OBS_SPACES = [spaces.Box(0, 255, (4, 84, 84), dtype=np.uint8)]
ACT_SPACES = [spaces.Discrete(6)]
