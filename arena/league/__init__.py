"""League training: main agents, exploiters, frozen snapshots and anchors, matched by win rate (``League``)."""

from arena.league.league import League, Pairing, RoundReport

__all__ = ["League", "Pairing", "RoundReport"]
