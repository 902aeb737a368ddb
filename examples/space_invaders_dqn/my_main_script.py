"""Space Invaders: one DQN policy ("modern" preset: Double + Dueling + PER + 3-step), as the
Space Invaders DQN project trains it (10M steps there; set ARENA_TOTAL_STEPS=10000000).

Run with:  mpiexec -n 3 python my_main_script.py
About 2.5M agent steps (10M emulator frames) by default; run it again to continue from the checkpoint
(the replay is not saved: it refills first).
Try it in a minute:  ARENA_TOTAL_STEPS=3000 ARENA_REPLAY=20000 mpiexec -n 3 python my_main_script.py
The paper's settings (Nature DQN):  ARENA_PRESET=paper
"""

import os

import my_config as cfg

from arena.core.stems import *

arena = make_stem(cfg.MAKE_ENV_LOCATION, cfg.LOG_COMMS_DIR, cfg.OBS_SPACES, cfg.ACT_SPACES)

# --- only the root process will get beyond this point ---

match_list = [[1]]
policy_types = {1: "dqn"}
total_steps = int(os.environ.get("ARENA_TOTAL_STEPS", 2_500_000))
dqn_options = {
    "preset": os.environ.get("ARENA_PRESET", "modern"),
    "replay_size": int(os.environ.get("ARENA_REPLAY", 1_000_000)),  # about 7 GB for 1M transitions
}
if total_steps < 100_000:  # a quick try: learn from the start, small enough to finish in a minute
    dqn_options |= {"learning_starts": min(1_000, total_steps // 2)}
arena.kickoff(match_list, policy_types, total_steps, policy_kwargs={1: dqn_options})
