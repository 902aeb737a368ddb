"""A scripted Connect Four player that looks one move ahead: win now if it can, block if it must, else random."""

from __future__ import annotations

from typing import Any

import numpy as np

from arena import Policy

ROWS, COLUMNS = 6, 7


def drop(board: np.ndarray, column: int) -> int | None:
    """The row a piece dropped in ``column`` lands on (row 0 is the top), or None if the column is full."""
    empty = np.flatnonzero(board[:, column].sum(axis=-1) == 0)
    return int(empty[-1]) if len(empty) else None


def wins(pieces: np.ndarray, row: int, column: int) -> bool:
    """True when the piece at (row, column) completes four in a row in ``pieces`` (one player's plane)."""
    for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
        count = 1
        for sign in (1, -1):
            r, c = row + sign * dr, column + sign * dc
            while 0 <= r < ROWS and 0 <= c < COLUMNS and pieces[r, c]:
                count, r, c = count + 1, r + sign * dr, c + sign * dc
        if count >= 4:
            return True
    return False


def winning_column(board: np.ndarray, plane: int, legal: np.ndarray) -> int | None:
    """A legal column where the player of ``plane`` (0: the one to move, 1: the opponent) would win now."""
    for column in np.flatnonzero(legal):
        row = drop(board, int(column))
        if row is None:
            continue
        pieces = board[:, :, plane].copy()
        pieces[row, column] = 1
        if wins(pieces, row, int(column)):
            return int(column)
    return None


def choose(observation: dict, rng: np.random.Generator) -> int:
    """Win now; else block the opponent's win; else a random legal column."""
    board, legal = np.asarray(observation["observation"]), np.asarray(observation["action_mask"]).astype(bool)
    for plane in (0, 1):
        column = winning_column(board, plane, legal)
        if column is not None:
            return column
    return int(rng.choice(np.flatnonzero(legal)))


class OneStepLookahead(Policy):
    """The scripted player, as a policy type (``make_stem(additional_policies={"lookahead": OneStepLookahead})``)."""

    def __init__(self, env: Any, policy_comm: Any, seed: int | None = None):
        super().__init__(env, policy_comm)
        self.rng = np.random.default_rng(seed)

    def run(self, num_steps: int, data_dir: str, policy_record: Any = None) -> None:
        """Play ``num_steps`` moves of its own."""
        obs, _ = self.env.reset()
        for step in range(1, num_steps + 1):
            obs, _, terminated, truncated, _ = self.env.step(choose(obs, self.rng))
            if (terminated or truncated) and step < num_steps:
                obs, _ = self.env.reset()
