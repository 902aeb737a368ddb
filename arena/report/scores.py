"""Per-label score tables, with human-normalised scores for the 57 Atari games.

A policy that plays many games records each episode under its match's label
(``game=Pong``). ``label_scores`` sums those up: the mean score of each label's last
N games and, where the label names an Atari game, its human-normalised score

    (score - random) / (human - random),

0 for a uniformly random agent and 1 for a professional human tester, with the mean
and median over games. The reference scores are the per-game random and human
scores of the DQN papers: Mnih et al. 2015, "Human-level control through deep
reinforcement learning" (Nature 518, Extended Data Table 2) for 49 games, completed
to 57 by later DeepMind papers (the set Badia et al. 2020, "Agent57: Outperforming
the Atari Human Benchmark", normalises by), as DeepMind's DQN Zoo tabulates them
(``dqn_zoo/atari_data.py``): averages of at least 3 games, each begun with 1-30
no-op frames and capped at 30 minutes.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from arena.storage.files import atomic_path

# Game -> (random agent's score, human tester's score).
ATARI_REFERENCE_SCORES: dict[str, tuple[float, float]] = {
    "Alien": (227.8, 7127.7),
    "Amidar": (5.8, 1719.5),
    "Assault": (222.4, 742.0),
    "Asterix": (210.0, 8503.3),
    "Asteroids": (719.1, 47388.7),
    "Atlantis": (12850.0, 29028.1),
    "BankHeist": (14.2, 753.1),
    "BattleZone": (2360.0, 37187.5),
    "BeamRider": (363.9, 16926.5),
    "Berzerk": (123.7, 2630.4),
    "Bowling": (23.1, 160.7),
    "Boxing": (0.1, 12.1),
    "Breakout": (1.7, 30.5),
    "Centipede": (2090.9, 12017.0),
    "ChopperCommand": (811.0, 7387.8),
    "CrazyClimber": (10780.5, 35829.4),
    "Defender": (2874.5, 18688.9),
    "DemonAttack": (152.1, 1971.0),
    "DoubleDunk": (-18.6, -16.4),
    "Enduro": (0.0, 860.5),
    "FishingDerby": (-91.7, -38.7),
    "Freeway": (0.0, 29.6),
    "Frostbite": (65.2, 4334.7),
    "Gopher": (257.6, 2412.5),
    "Gravitar": (173.0, 3351.4),
    "Hero": (1027.0, 30826.4),
    "IceHockey": (-11.2, 0.9),
    "Jamesbond": (29.0, 302.8),
    "Kangaroo": (52.0, 3035.0),
    "Krull": (1598.0, 2665.5),
    "KungFuMaster": (258.5, 22736.3),
    "MontezumaRevenge": (0.0, 4753.3),
    "MsPacman": (307.3, 6951.6),
    "NameThisGame": (2292.3, 8049.0),
    "Phoenix": (761.4, 7242.6),
    "Pitfall": (-229.4, 6463.7),
    "Pong": (-20.7, 14.6),
    "PrivateEye": (24.9, 69571.3),
    "Qbert": (163.9, 13455.0),
    "Riverraid": (1338.5, 17118.0),
    "RoadRunner": (11.5, 7845.0),
    "Robotank": (2.2, 11.9),
    "Seaquest": (68.4, 42054.7),
    "Skiing": (-17098.1, -4336.9),
    "Solaris": (1236.3, 12326.7),
    "SpaceInvaders": (148.0, 1668.7),
    "StarGunner": (664.0, 10250.0),
    "Surround": (-10.0, 6.5),
    "Tennis": (-23.8, -8.3),
    "TimePilot": (3568.0, 5229.2),
    "Tutankham": (11.4, 167.6),
    "UpNDown": (533.4, 11693.2),
    "Venture": (0.0, 1187.5),
    "VideoPinball": (16256.9, 17667.9),
    "WizardOfWor": (563.5, 4756.5),
    "YarsRevenge": (3092.9, 54576.9),
    "Zaxxon": (32.5, 9173.3),
}
ATARI_57 = tuple(ATARI_REFERENCE_SCORES)
SCORES_FILE = "scores_by_label.csv"
LAST_GAMES = 100  # the score of a label: the mean of its last this-many games


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


_BY_KEY = {_key(game): game for game in ATARI_57}


def reference_game(name: str) -> str | None:
    """The reference table's name for a game (``"space_invaders"``, ``"ALE/SpaceInvaders-v5"``), or None."""
    base = name.split("/")[-1].split("-v")[0].removesuffix("NoFrameskip").removesuffix("Deterministic")
    return _BY_KEY.get(_key(base))


def human_normalized(game: str, score: float) -> float:
    """``(score - random) / (human - random)`` for one of the 57 games; ValueError for any other."""
    name = reference_game(game)
    if name is None:
        raise ValueError(
            f"no reference scores for {game!r}; arena.report.scores.ATARI_57 lists the games that have them"
        )
    random, human = ATARI_REFERENCE_SCORES[name]
    return (float(score) - random) / (human - random)


def game_of_label(label: str) -> str | None:
    """The Atari game a label names (``"game=Pong"``, ``"Pong"``), if it names one of the 57."""
    for part in label.split(","):
        name = reference_game(part.split("=", 1)[-1].strip())
        if name is not None:
            return name
    return None


@dataclass(frozen=True)
class LabelScore:
    """One label's row of the table: how many games it has, and the mean of the last few."""

    label: str
    episodes: int
    last: int  # games in the mean
    mean: float
    game: str | None  # the Atari game the label names, if any
    normalized: float | None  # the mean, human-normalised (only for a game)


def label_scores(labels: Sequence[str], returns: Sequence[float], last: int = LAST_GAMES) -> list[LabelScore]:
    """One row per label (in order of first appearance, unlabelled episodes left out)."""
    by_label: dict[str, list[float]] = {}
    for label, ret in zip(labels, returns):
        if label:
            by_label.setdefault(label, []).append(float(ret))
    rows = []
    for label, values in by_label.items():
        tail = values[-last:]
        mean = sum(tail) / len(tail)
        game = game_of_label(label)
        rows.append(
            LabelScore(label, len(values), len(tail), mean, game, human_normalized(game, mean) if game else None)
        )
    return rows


def summary(rows: Sequence[LabelScore]) -> dict[str, float]:
    """The mean and median human-normalised score over the rows that have one (empty when none do)."""
    values = sorted(r.normalized for r in rows if r.normalized is not None)
    if not values:
        return {}
    mid = len(values) // 2
    median = values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2
    return {"mean": sum(values) / len(values), "median": median, "games": float(len(values))}


def format_table(rows: Sequence[LabelScore]) -> str:
    """A Markdown table of the rows, with the mean and median human-normalised score below it."""
    if not rows:
        return "(no labelled games recorded yet: a game is recorded when it ends)"
    lines = ["| label | games | mean of last | human-normalised |", "| --- | ---: | ---: | ---: |"]
    for r in rows:
        hns = f"{100 * r.normalized:.1f}%" if r.normalized is not None else "-"
        lines.append(f"| {r.label} | {r.episodes} | {r.mean:.1f} ({r.last}) | {hns} |")
    stats = summary(rows)
    if stats:
        lines.append(
            f"| **mean / median over {int(stats['games'])} games** | | | "
            f"{100 * stats['mean']:.1f}% / {100 * stats['median']:.1f}% |"
        )
    return "\n".join(lines)


def write_table(rows: Sequence[LabelScore], folder: str) -> str:
    """Write ``scores_by_label.csv`` (one row per label, then ``mean`` and ``median`` rows) into ``folder``."""
    path = os.path.join(folder, SCORES_FILE)
    os.makedirs(folder, exist_ok=True)
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(("label", "game", "episodes", "last", "mean_score", "human_normalized"))
        for r in rows:
            hns = "" if r.normalized is None else repr(round(r.normalized, 6))
            writer.writerow((r.label, r.game or "", r.episodes, r.last, repr(round(r.mean, 6)), hns))
        for name, value in summary(rows).items():
            if name != "games":
                writer.writerow((name, "", "", "", "", repr(round(value, 6))))
    return path
