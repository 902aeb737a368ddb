"""Connect Four from PettingZoo's classic games, played in turns: only the player to move is asked.

Each player observes the board from its own side, ``{"observation": (6, 7, 2) planes of its
pieces and the opponent's, "action_mask": the columns that are not full}``, so one policy
can play both seats. Needs: pip install -e ".[multiagent]"
"""

from pettingzoo.classic import connect_four_v3

from arena.wrappers import pettingzoo_env


def make_env():
    return pettingzoo_env(connect_four_v3.env())
