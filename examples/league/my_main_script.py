"""League training: a main agent, a main exploiter and a league exploiter (PPO), with random as the anchor.

Every round each learner plays two matches, one on each side, against opponents that
matchmaking draws from its win rates (arena.league): the main agent plays itself or, by
prioritised fictitious self-play, the frozen snapshots and the anchor it still loses to; the
main exploiter hunts the main agent; the league exploiter hunts the whole league. A learner
that beats its targets 70% of the time (or has played two rounds unfrozen) is frozen into a
snapshot (1001, 1002, ...); exploiters then start afresh. Every few rounds a tournament
rates everyone, and log_comms/league/ratings.png draws the ratings over the rounds.

Run with:  mpiexec -n 19 python my_main_script.py                (Connect Four; about an hour on 2 cores)
           mpiexec -n 19 python my_main_script.py --game pong    (two-player Pong; many hours on 2 cores)
Try it in a minute:  mpiexec -n 10 python my_main_script.py --rounds 2 --steps-per-match 500 --matches-per-learner 1
Results: log_comms/league/ (members.csv, matches.csv, win_rates.csv, ratings.csv, ratings.png).
Run it again to continue: finished rounds and ratings are not played again.
Needs: pip install -e ".[multiagent]"
"""

import my_config as cfg

from arena.core.stems import *
from arena.league import League
from arena.settings import script_settings

settings = script_settings(
    __doc__,
    game="connect_four",
    rounds=12,
    steps_per_match=20_000,
    rate_every=4,
    tournament_games=10,
    max_cycles=20_000,
    matches_per_learner=2,
)
arena = make_stem(cfg.MAKE_ENV_LOCATION, cfg.LOG_COMMS_DIR)

# --- only the root process will get beyond this point ---

env_kwargs = {"game": settings.game} | ({"max_cycles": settings.max_cycles} if settings.game == "pong" else {})
league = League(
    arena,
    policy_type="ppo",
    main_agents=1,
    main_exploiters=1,
    league_exploiters=1,
    anchors={100: "random"},
    policy_kwargs={"evaluation": False},
    seed=1,
    env_kwargs=env_kwargs,
    matches_per_learner=settings.matches_per_learner,  # one a side: 3 learners x 2 matches need 19 ranks
    rounds=settings.rounds,  # the learning rates anneal over every round
)
for r in range(settings.rounds):
    league.play_round(settings.steps_per_match)
    if (r + 1) % settings.rate_every == 0 or r == settings.rounds - 1:
        league.rate(settings.tournament_games)
print(f"[league] members: {len(league.roster.members)}; ratings in {league.folder}/ratings.png", flush=True)
