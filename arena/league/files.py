"""A league's files under ``log_comms_dir/league/``, written by rank 0 after every round and rating.

- ``members.csv``: id, role, parent, born_round, frozen, type, retired_round;
- ``matches.csv``: round, learner, opponent, games, wins, draws, losses (each round's games per pair);
- ``win_rates.csv``: learner, opponent, games, decayed_games, win_rate (what matchmaking reads now);
- ``ratings.csv``: round, member, mu, sigma, ordinal (a block of rows per ``rate``);
- ``ratings.png``: each member's ordinal over the rounds it was rated at, colored by role, anchors dashed;
- ``ratings.json``: every rating tournament's games, so that a re-run rates again without playing.

Every file is rewritten whole from the league's state, so a re-run that replays the same rounds
leaves them as they were.
"""

from __future__ import annotations

import json
import os

from arena.league.matchmaking import WinRates
from arena.league.members import Roster
from arena.report.plots import plot_ratings_over_rounds
from arena.storage.files import atomic_path
from arena.tournament import write_csv

MATCH_COLUMNS = ["round", "learner", "opponent", "games", "wins", "draws", "losses"]
WIN_RATE_COLUMNS = ["learner", "opponent", "games", "decayed_games", "win_rate"]
RATING_COLUMNS = ["round", "member", "mu", "sigma", "ordinal"]
RATINGS_JOURNAL = "ratings.json"


def write_state(folder: str, roster: Roster, match_rows: list[list], rates: WinRates) -> None:
    """members.csv, matches.csv and win_rates.csv, from the league's state."""
    os.makedirs(folder, exist_ok=True)
    write_csv(os.path.join(folder, "members.csv"), roster.rows())
    write_csv(os.path.join(folder, "matches.csv"), [MATCH_COLUMNS, *match_rows])
    write_csv(os.path.join(folder, "win_rates.csv"), [WIN_RATE_COLUMNS, *rates.rows()])


def write_ratings(folder: str, rating_rows: list[list], roster: Roster) -> None:
    """ratings.csv and ratings.png, from every rating so far."""
    os.makedirs(folder, exist_ok=True)
    write_csv(os.path.join(folder, "ratings.csv"), [RATING_COLUMNS, *rating_rows])
    points = [(int(r), int(m), float(ordinal)) for r, m, _, _, ordinal in rating_rows]
    roles = {m.id: (m.role, m.frozen) for m in roster.members.values()}
    plot_ratings_over_rounds(points, roles, os.path.join(folder, "ratings.png"))


class RatingsJournal:
    """Every ``rate`` call's setting and games, in call order: a re-run's same call replays them."""

    def __init__(self, folder: str):
        self.path = os.path.join(folder, RATINGS_JOURNAL)
        self.entries: list[dict] = []
        if os.path.exists(self.path):
            with open(self.path) as f:
                self.entries = json.load(f)["ratings"]

    def games(self, index: int, setting: dict) -> list[tuple[int, int, float, float]] | None:
        """The games of call ``index`` if an earlier run made it with this setting; a changed one is dropped."""
        if index >= len(self.entries):
            return None
        if self.entries[index]["setting"] != setting:
            print(f"[league] rating {index}: its setting changed since {self.path}; it and later ones play again")
            del self.entries[index:]
            return None
        return [(int(a), int(b), float(x), float(y)) for a, b, x, y in self.entries[index]["games"]]

    def add(self, index: int, setting: dict, games: list[tuple[int, int, float, float]]) -> None:
        """Record call ``index``'s games."""
        del self.entries[index:]
        self.entries.append({"setting": setting, "games": [list(g) for g in games]})
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        with atomic_path(self.path) as tmp, open(tmp, "w") as f:
            json.dump({"ratings": self.entries}, f)
