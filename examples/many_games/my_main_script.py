"""One PPO policy learns many Atari games at once, optionally in real time.

Run with:  mpiexec -n 5 python my_main_script.py
  (8 games on 2 environment ranks of 4 games each, one PPO worker per rank; 1 million steps)
All 57 games on a bigger machine, 19 environment ranks of 3 games, in real time:
  mpiexec -n 39 python my_main_script.py --games 57 --env-ranks 19 --realtime 1
Try it in a minute:  mpiexec -n 5 python my_main_script.py --total-steps 4000

--realtime 1 paces every game at the console's 60 frames per second (15 agent steps a
second, as each step is 4 frames; --realtime 30 would be 30 steps a second); a game
whose action is late repeats the last one, and the progress lines say how often. --render 1 writes a mosaic of every
game (log_comms/render/). Results: policy_1/curves_by_label.png and scores_by_label.csv.
"""

import my_config as cfg

from arena.core.stems import *
from arena.report.scores import format_table, label_scores
from arena.settings import script_settings
from arena.storage.records import PolicyRecord

settings = script_settings(__doc__, total_steps=1_000_000, env_ranks=2, render=False, realtime=0.0, games="8")
arena = make_stem(cfg.MAKE_ENV_LOCATION, cfg.LOG_COMMS_DIR)

# --- only the root process will get beyond this point ---

games = cfg.games(settings.games)
env_ranks = settings.env_ranks
if arena.world_size < 1 + 2 * env_ranks:
    raise SystemExit(f"{env_ranks} environment ranks need mpiexec -n {1 + 2 * env_ranks} or more")
groups = [games[i::env_ranks] for i in range(env_ranks)]  # each rank's games
total_steps = settings.total_steps
copies = max(len(g) for g in groups)  # a rank with fewer games plays one of them twice
steps_per_match = max(1, total_steps // (env_ranks * copies))
# --realtime 1: the console's 60 frames a second, and each agent step is 4 frames; another
# number is that many steps a second.
realtime = settings.realtime
realtime_fps = (60 / 4 if realtime == 1 else realtime) if realtime > 0 else None

arena.kickoff(
    [[1]] * env_ranks,
    {1: "ppo"},
    steps_per_match,
    env_kwargs=[{"games": tuple(g)} for g in groups],
    copies_per_env=copies,
    realtime_fps=realtime_fps,
    render=settings.render,
)
record = PolicyRecord(1, cfg.LOG_COMMS_DIR)
print(format_table(label_scores(record.ep_labels, record.ep_results)), flush=True)
