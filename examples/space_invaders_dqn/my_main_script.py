"""Space Invaders: one DQN policy ("modern" preset: Double + Dueling + PER + 3-step), as the
Space Invaders DQN project trains it (10M steps there; --total-steps 10000000).

Run with:  mpiexec -n 3 python my_main_script.py
About 2.5M agent steps (10M emulator frames) by default; run it again to continue from the checkpoint
(the replay is not saved: it refills first).
Try it in a minute:  mpiexec -n 3 python my_main_script.py --total-steps 3000 --replay 20000
The paper's settings (Nature DQN):  --preset paper
"""

import my_config as cfg

from arena.core.stems import *
from arena.settings import script_settings

settings = script_settings(__doc__, total_steps=2_500_000, preset="modern", replay=1_000_000)
arena = make_stem(cfg.MAKE_ENV_LOCATION, cfg.LOG_COMMS_DIR, cfg.OBS_SPACES, cfg.ACT_SPACES)

# --- only the root process will get beyond this point ---

match_list = [[1]]
policy_types = {1: "dqn"}
total_steps = settings.total_steps
dqn_options = {
    "preset": settings.preset,
    "replay_size": settings.replay,  # about 7 GB for 1M transitions
}
if total_steps < 100_000:  # a quick try: learn from the start, small enough to finish in a minute
    dqn_options |= {"learning_starts": min(1_000, total_steps // 2)}
arena.kickoff(match_list, policy_types, total_steps, policy_kwargs={1: dqn_options})
