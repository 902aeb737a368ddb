"""The scripted Connect Four player of examples/connect_four: it wins when it can and blocks when it must."""

import os
import sys

import numpy as np
from helpers import REPO

sys.path.insert(0, os.path.join(REPO, "examples", "connect_four"))
from lookahead import choose, drop, wins  # noqa: E402


def board(mine: list[tuple[int, int]], theirs: list[tuple[int, int]]) -> dict:
    """An observation from the mover's side: plane 0 its pieces, plane 1 the opponent's (row 0 is the top)."""
    planes = np.zeros((6, 7, 2), np.int8)
    for r, c in mine:
        planes[r, c, 0] = 1
    for r, c in theirs:
        planes[r, c, 1] = 1
    legal = (planes.sum(axis=-1)[0] == 0).astype(np.int8)
    return {"observation": planes, "action_mask": legal}


def test_pieces_drop_to_the_lowest_empty_row_and_four_in_a_row_wins():
    obs = board([(5, 0), (4, 0)], [(5, 1)])
    assert drop(obs["observation"], 0) == 3 and drop(obs["observation"], 1) == 4 and drop(obs["observation"], 6) == 5
    diagonal = np.zeros((6, 7), np.int8)
    for i in range(4):
        diagonal[5 - i, i] = 1
    assert wins(diagonal, 2, 3)
    row = np.zeros((6, 7), np.int8)
    row[5, 0:3] = 1
    assert not wins(row, 5, 2)  # three are not four
    row[5, 3] = 1
    assert wins(row, 5, 3)


def test_it_wins_now_before_it_blocks_and_blocks_before_playing_at_random():
    rng = np.random.default_rng(0)
    win_and_threat = board([(5, 0), (5, 1), (5, 2)], [(4, 0), (4, 1), (4, 2), (5, 5), (5, 6)])
    assert choose(win_and_threat, rng) == 3  # its own row of three: it wins
    threat = board([(5, 6)], [(5, 0), (5, 1), (5, 2)])
    assert choose(threat, rng) == 3  # the opponent's row of three: it blocks
    column_full = board([], [])
    column_full["action_mask"][3] = 0
    assert all(choose(column_full, rng) != 3 for _ in range(50))  # only legal columns
