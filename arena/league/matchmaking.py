"""A league's matchmaking, as in AlphaStar: win rates kept online, PFSP weights, whom each role plays, when it freezes.

Pure: no MPI, no files. Everything random draws from the ``numpy`` generator passed in, so a
league that replays the same games makes the same choices.

Prioritised fictitious self-play (PFSP) draws an opponent with a weight that depends on the
learner's win rate p against it:

- ``"hard"``: (1 - p)^2, the opponents it still loses to (AlphaStar's main agents);
- ``"variance"``: p (1 - p), the opponents it is even with (a curriculum);
- ``"even"``: 1, every opponent alike (plain fictitious self-play).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

PFSP_WEIGHTINGS = ("hard", "variance", "even")
UNPLAYED_WIN_RATE = 0.5  # AlphaStar's prior: an opponent never met counts as an even one
MAIN, MAIN_EXPLOITER, LEAGUE_EXPLOITER, ANCHOR = "main", "main_exploiter", "league_exploiter", "anchor"
LEARNER_ROLES = (MAIN, MAIN_EXPLOITER, LEAGUE_EXPLOITER)


def pfsp_weights(win_rates: Sequence[float], weighting: str) -> np.ndarray:
    """PFSP's probabilities of drawing each opponent, from the learner's win rates against them.

    When every weight is 0 (a "hard" learner that beats everyone), the draw is even.
    """
    p = np.asarray(win_rates, dtype=np.float64)
    if weighting == "hard":
        w = (1.0 - p) ** 2
    elif weighting == "variance":
        w = p * (1.0 - p)
    elif weighting == "even":
        w = np.ones_like(p)
    else:
        raise ValueError(f"PFSP weighting must be one of {PFSP_WEIGHTINGS}, got {weighting!r}")
    total = w.sum()
    return w / total if total > 0 else np.full_like(p, 1.0 / len(p))


@dataclass
class Tally:
    """Decayed counts of one learner's games against one opponent."""

    wins: float = 0.0
    draws: float = 0.0
    losses: float = 0.0
    games: int = 0  # every game, undecayed

    @property
    def weight(self) -> float:
        """The decayed number of games the win rate rests on."""
        return self.wins + self.draws + self.losses

    @property
    def win_rate(self) -> float:
        """(wins + draws / 2) / games, over the decayed counts; ``UNPLAYED_WIN_RATE`` before any game."""
        return (self.wins + 0.5 * self.draws) / self.weight if self.weight > 0 else UNPLAYED_WIN_RATE


class WinRates:
    """Each learner's win rate against each opponent, from every game it played, older games decayed.

    Learners change as they learn, so a game counts ``decay`` times less for every later game
    of the same pair (AlphaStar: 0.99): the rate follows the learner's current strength.
    """

    def __init__(self, decay: float = 0.99):
        if not 0.0 < decay <= 1.0:
            raise ValueError(f"win-rate decay must be in (0, 1], got {decay!r}")
        self.decay = decay
        self.tallies: dict[tuple[int, int], Tally] = {}

    def add(self, learner: int, opponent: int, learner_score: float, opponent_score: float) -> str:
        """Take in one game; returns its outcome for the learner: "win", "draw" or "loss"."""
        tally = self.tallies.setdefault((learner, opponent), Tally())
        tally.wins, tally.draws, tally.losses = (self.decay * v for v in (tally.wins, tally.draws, tally.losses))
        tally.games += 1
        if learner_score > opponent_score:
            tally.wins += 1.0
            return "win"
        if learner_score < opponent_score:
            tally.losses += 1.0
            return "loss"
        tally.draws += 1.0
        return "draw"

    def rate(self, learner: int, opponent: int) -> float:
        """The learner's win rate against the opponent (0.5 before they meet)."""
        tally = self.tallies.get((learner, opponent))
        return tally.win_rate if tally is not None else UNPLAYED_WIN_RATE

    def rates(self, learner: int, opponents: Sequence[int]) -> list[float]:
        """The learner's win rates against each of ``opponents``."""
        return [self.rate(learner, o) for o in opponents]

    def rows(self) -> list[list]:
        """learner, opponent, games, decayed games, win rate: one row per pair that met, sorted."""
        return [[a, b, t.games, round(t.weight, 4), round(t.win_rate, 4)] for (a, b), t in sorted(self.tallies.items())]


@dataclass(frozen=True)
class Rules:
    """The thresholds and probabilities of the roles (AlphaStar's values by default)."""

    pfsp: str = "hard"  # the weighting of every PFSP draw of main agents and league exploiters
    self_play: float = 0.35  # a main agent's chance of playing its current self instead of a PFSP draw
    freeze_win_rate: float = 0.7  # a learner freezes once it beats every one of its targets this often
    exploiter_give_up: float = 0.1  # below this win rate against a main agent, a main exploiter plays its snapshots
    reset_probability: float = 0.25  # a league exploiter's chance of starting afresh when it freezes

    def check(self) -> None:
        """ValueError naming the first setting out of its range."""
        if self.pfsp not in PFSP_WEIGHTINGS:
            raise ValueError(f"pfsp must be one of {PFSP_WEIGHTINGS}, got {self.pfsp!r}")
        for name in ("self_play", "freeze_win_rate", "exploiter_give_up", "reset_probability"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")


def draw_pfsp(rng: np.random.Generator, learner: int, pool: Sequence[int], rates: WinRates, weighting: str) -> int:
    """One opponent from ``pool``, drawn by PFSP on the learner's win rates against each."""
    if not pool:
        raise ValueError(f"learner {learner} has nobody to play: the league has no frozen member and no anchor")
    p = pfsp_weights(rates.rates(learner, pool), weighting)
    return int(pool[int(rng.choice(len(pool), p=p))])


def main_opponent(
    rng: np.random.Generator, learner: int, pool: Sequence[int], rates: WinRates, rules: Rules, can_self_play: bool
) -> int:
    """A main agent's opponent: itself with chance ``self_play`` (once it has weights), else PFSP over the league."""
    if can_self_play and rng.random() < rules.self_play:
        return learner
    return draw_pfsp(rng, learner, pool, rates, rules.pfsp)


def main_exploiter_opponent(
    rng: np.random.Generator,
    learner: int,
    mains: Sequence[int],
    snapshots_of: dict[int, list[int]],
    rates: WinRates,
    rules: Rules,
    fallback: Sequence[int],
) -> int:
    """A main exploiter's opponent: a current main agent; past snapshots of it while it is out of reach.

    While the exploiter wins under ``exploiter_give_up`` of its games against the main agent,
    it plays that agent's snapshots instead, by PFSP "variance" (the ones it is even with).
    ``fallback`` (the anchors) stands in before any main agent has weights.
    """
    if not mains:
        return draw_pfsp(rng, learner, fallback, rates, rules.pfsp)
    main = int(mains[int(rng.integers(len(mains)))])
    older = snapshots_of.get(main, [])
    if rates.rate(learner, main) >= rules.exploiter_give_up or not older:
        return main
    return draw_pfsp(rng, learner, older, rates, "variance")


def ready_to_freeze(
    learner: int, targets: Sequence[int], rates: WinRates, rules: Rules, steps_since: int, snapshot_steps: int
) -> bool:
    """True once the learner beats each target at ``freeze_win_rate`` or has played ``snapshot_steps`` unfrozen."""
    if steps_since <= 0:
        return False
    if steps_since >= snapshot_steps:
        return True
    return bool(targets) and min(rates.rates(learner, targets)) >= rules.freeze_win_rate


def head_to_head(games: Sequence[tuple[int, int, float, float]], a: int, b: int) -> tuple[int, int, int]:
    """``a``'s wins, draws and losses against ``b`` in ``(side 0, side 1, score 0, score 1)`` games, either side."""
    outcomes = [0, 0, 0]
    for p, q, score_p, score_q in games:
        if {p, q} != {a, b}:
            continue
        mine, theirs = (score_p, score_q) if p == a else (score_q, score_p)
        outcomes[0 if mine > theirs else 1 if mine == theirs else 2] += 1
    return outcomes[0], outcomes[1], outcomes[2]
