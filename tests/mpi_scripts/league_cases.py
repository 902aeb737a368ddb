"""Scenarios for tests/mpi/test_league.py: leagues on PettingZoo's turn-based classic games."""

import sys

from pettingzoo.classic import connect_four_v3, tictactoe_v3

from arena import make_stem
from arena.league import League
from arena.wrappers import pettingzoo_env

CASE, LOG = sys.argv[1], sys.argv[2]
GAMES = {"tictactoe": tictactoe_v3, "connect_four": connect_four_v3}


def make_env(game="tictactoe"):
    return pettingzoo_env(GAMES[game].env())


arena = make_stem(make_env, LOG)
if CASE == "mechanics":  # tic-tac-toe: every learner freezes after each round (snapshot_steps), exploiters restart
    league = League(
        arena, "ppo", 1, 1, 1, {100: "random"}, {"n_steps": 32, "evaluation": False}, seed=3,
        matches_per_learner=1, snapshot_steps=100, rounds=2,
    )  # fmt: skip
    for _ in range(2):
        league.play_round(100)
    result = league.rate(1)
    print(f"RATED {sorted(result.players)}", flush=True)
elif CASE == "learn":  # Connect Four: the league, six rounds; then how the main agent fares against random
    rounds, moves, games = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    ppo = {"n_steps": 128, "evaluation": False}
    league = League(
        arena, "ppo", 1, 1, 1, {100: "random"}, ppo, seed=1, env_kwargs={"game": "connect_four"},
        matches_per_learner=1, rounds=rounds,
    )  # fmt: skip
    for _ in range(rounds):
        league.play_round(moves)
    result = league.rate(games)
    main = league.roster.learners("main")[0]
    mine = [s0 if a == main else s1 for a, b, s0, s1 in result.games if 100 in (a, b) and main in (a, b)]
    print(f"MAIN {main} RANKING {result.ranking} WINS {sum(s > 0 for s in mine)} OF {len(mine)}", flush=True)
print(f"CASE {CASE} FINISHED", flush=True)
