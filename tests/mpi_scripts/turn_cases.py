"""Scenarios for tests/mpi/test_turns.py: PettingZoo's turn-based classic games played through the arena."""

import sys

from pettingzoo.classic import connect_four_v3, tictactoe_v3

from arena import KickoffError, make_stem
from arena.ranks.serve import total_steps_to_match_steps
from arena.wrappers import pettingzoo_env

CASE, LOG = sys.argv[1], sys.argv[2]
GAMES = {"tictactoe": tictactoe_v3, "connect_four": connect_four_v3}


def make_env(game="tictactoe"):
    if game.startswith("openspiel:"):  # OpenSpiel's games through Shimmy (the openspiel extra)
        from shimmy import OpenSpielCompatibilityV0

        return pettingzoo_env(OpenSpielCompatibilityV0(game_name=game.split(":", 1)[1]))
    return pettingzoo_env(GAMES[game].env())


arena = make_stem(make_env, LOG)
if CASE == "play":  # random, PPO and DQN players at tic-tac-toe; an illegal move would print PettingZoo's warning
    arena.kickoff([[1, 2]], {1: "random", 2: "random"}, 300)
    learners = {3: {"n_steps": 64, "evaluation": False}, 4: {"learning_starts": 100}}
    arena.kickoff([[3, 2]], {3: "ppo", 2: "random"}, 320, policy_kwargs=learners)
    arena.kickoff([[2, 4]], {4: "dqn", 2: "random"}, 300, policy_kwargs=learners)
elif CASE == "openspiel":  # OpenSpiel's tic-tac-toe: its legal moves come in the info; PPO against random
    game = {"game": "openspiel:tic_tac_toe"}
    arena.kickoff([[1, 2]], {1: "ppo", 2: "random"}, 256, env_kwargs=game, policy_kwargs={1: {"n_steps": 64}})
elif CASE == "tournament":  # a tournament of turn-based games: each match ends after its games
    result = arena.tournament([1, 2, 3], {1: "random", 2: "random", 3: "random"}, games_per_pair=3)
    print(f"GAMES {len(result.games)}", flush=True)
elif CASE == "learn":  # PPO learns Connect Four against random on both seats, then plays it in a tournament
    moves, games = int(sys.argv[3]), int(sys.argv[4])
    c4, ppo = {"game": "connect_four"}, {1: {"n_steps": 128, "evaluation": False}}
    steps = total_steps_to_match_steps([[1, 9], [9, 1]], moves)
    arena.kickoff(
        [[1, 9], [9, 1]], {1: "ppo", 9: "random"}, steps, scale=True, env_kwargs=c4, policy_kwargs=ppo, seed=1
    )
    result = arena.tournament([1, 9], {1: "ppo", 9: "random"}, games, env_kwargs=c4)
    mine = [s0 if a == 1 else s1 for a, b, s0, s1 in result.games]  # policy 1's score in each game
    print(f"WINS {sum(s > 0 for s in mine)} OF {len(mine)}", flush=True)
elif CASE == "copies":  # refused at kickoff: pacing, then more than one copy per environment rank
    try:
        arena.kickoff([[1, 2]], {1: "random", 2: "random"}, 100, realtime_fps=30)
    except KickoffError as err:
        print(f"REFUSED {err}", flush=True)
    arena.kickoff([[1, 2]], {1: "random", 2: "random"}, 100, copies_per_env=2)
print(f"CASE {CASE} FINISHED", flush=True)
