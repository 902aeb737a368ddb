"""The league's games: Connect Four (PettingZoo's classic, in turns) or two-player Pong (simultaneous moves).

``make_env(game="connect_four")``: each player sees the board from its own side with the legal
columns. ``make_env(game="pong")``: DeepMind-preprocessed frames and a plane that says which
paddle the player holds, so one policy learns both sides. Needs: pip install -e ".[multiagent]"
"""

from pettingzoo.classic import connect_four_v3

from arena.envs.atari import make_two_player
from arena.wrappers import pettingzoo_env


def make_env(game="connect_four", max_cycles=100_000):
    if game == "pong":
        return make_two_player("pong", side_channel=True, max_cycles=max_cycles)
    if game == "connect_four":
        return pettingzoo_env(connect_four_v3.env())
    raise ValueError(f"game must be 'connect_four' or 'pong', got {game!r}")
