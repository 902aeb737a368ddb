"""Tournaments: every pair of players meets on both sides, as arena matches; payoffs and OpenSkill ratings.

``stem.tournament(players, policy_types, games_per_pair)`` plays, for every ordered
pair (a, b) of players, ``games_per_pair`` games with a on side 0 and b on side 1.
Side 0 is the first half of the env's entities and side 1 the second half (two-player
Atari: entity 0 against entity 1; Touchdown: team 0 against team 1). The matches run
in rounds of as many as the ranks hold, each match ending once it has played its
games (``kickoff(games_per_copy=...)``). A player's score in a game is the mean
score of its side's entities: the true game score where the env reports one in
``info["episode"]``.

Everything is written under ``log_comms_dir/<name>/`` (default ``tournament``), which
a tournament starts afresh: each player plays from a copy of its saved files there
(its checkpoint), so a tournament never changes a learner's weights or records.
Learner types play in their frozen form (``"ppo"`` as ``"ppo-eval"``); other types
(``"random"``, your scripted players) play as they are. The results:
  - ``payoff.csv``: row player's mean score against the column player;
  - ``ratings.csv``: policy, mu, sigma, ordinal (mu - 3 sigma), games, best first;
  - ``games.csv``: every game: side-0 player, side-1 player, their scores;
  - ``payoff.png``: the payoff matrix as a heatmap.
Ratings come from OpenSkill's Plackett-Luce model (``pip install openskill``), one
update per game with the two scores, games taken in turn across pairs.
"""

from __future__ import annotations

import csv
import os
import shutil
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from arena.algos import resolve_policy
from arena.algos.base import contract_of
from arena.envs.api import probe_spaces
from arena.plan.roles import ENV, count_needed_procs
from arena.ranks.root.kickoff import Root
from arena.ranks.root.kickoff_checks import KickoffError
from arena.report.plots import plot_payoff
from arena.storage.file_service import folder_files
from arena.storage.files import CHECKPOINT, LOCK_FILE, FolderLock, FolderLockedError, atomic_path
from arena.storage.records import policy_dir

TOURNAMENT_DIR = "tournament"
DEFAULT_MAX_STEPS_PER_GAME = 27_000  # 108,000 Atari frames at a frame skip of 4: the longest game we wait for


@dataclass
class Rating:
    """One player's OpenSkill rating after the tournament."""

    mu: float
    sigma: float
    games: int

    @property
    def ordinal(self) -> float:
        """mu - 3 sigma: a conservative estimate of skill, what the table is sorted by."""
        return self.mu - 3.0 * self.sigma


@dataclass
class TournamentResult:
    """What ``stem.tournament`` returns: payoffs, ratings and every game's scores."""

    players: list[int]
    payoff: dict[int, dict[int, float]]  # payoff[a][b]: a's mean score against b (both sides)
    ratings: dict[int, Rating]
    games: list[tuple[int, int, float, float]] = field(default_factory=list)  # (side 0, side 1, score 0, score 1)
    folder: str = ""

    @property
    def ranking(self) -> list[int]:
        """Players, best first (by ordinal)."""
        return sorted(self.players, key=lambda p: -self.ratings[p].ordinal)

    def payoff_matrix(self) -> np.ndarray:
        """``payoff`` as an array in ``players`` order; NaN on the diagonal."""
        n = len(self.players)
        matrix = np.full((n, n), np.nan)
        for i, a in enumerate(self.players):
            for j, b in enumerate(self.players):
                if a != b:
                    matrix[i, j] = self.payoff[a][b]
        return matrix

    def table(self) -> str:
        """The ratings as a text table, best first."""
        lines = [f"{'policy':>8} {'mu':>8} {'sigma':>7} {'ordinal':>8} {'games':>6}"]
        for p in self.ranking:
            r = self.ratings[p]
            lines.append(f"{p:>8} {r.mu:>8.2f} {r.sigma:>7.2f} {r.ordinal:>8.2f} {r.games:>6}")
        return "\n".join(lines)


# ----------------------------------------------------------------- pure parts


def ordered_pairs(players: list[int]) -> list[tuple[int, int]]:
    """Every pair of distinct players on both sides: (a, b) plays a on side 0."""
    return [(a, b) for a in players for b in players if a != b]


def side_match(a: int, b: int, entities: int) -> list[int]:
    """The match list entry for a on side 0 and b on side 1 (each side half the entities)."""
    half = entities // 2
    return [a] * half + [b] * half


def schedule(pairs: list[tuple[int, int]], entities: int, world_size: int) -> list[list[tuple[int, int]]]:
    """The pairs in rounds, each round as many matches as ``world_size`` ranks hold."""
    rounds: list[list[tuple[int, int]]] = [[]]
    for pair in pairs:
        trial = rounds[-1] + [pair]
        if count_needed_procs([side_match(a, b, entities) for a, b in trial]) > world_size:
            if not rounds[-1]:
                raise KickoffError(f"one match of {entities} entities needs more than the job's {world_size} ranks")
            rounds.append([pair])
        else:
            rounds[-1] = trial
    return rounds


def rating_model() -> Any:
    """OpenSkill's Plackett-Luce model; KickoffError naming the extra when openskill is not installed."""
    try:
        from openskill.models import PlackettLuce
    except ImportError:
        raise KickoffError('tournaments rate players with openskill: pip install -e ".[multiagent]"') from None
    return PlackettLuce()


def rate_games(players: list[int], games: list[tuple[int, int, float, float]]) -> dict[int, Rating]:
    """OpenSkill (Plackett-Luce) ratings from the games, in the order given; higher score wins, equal draws."""
    model = rating_model()
    ratings = {p: model.rating(name=str(p)) for p in players}
    counts = dict.fromkeys(players, 0)
    for a, b, score_a, score_b in games:
        [[ratings[a]], [ratings[b]]] = model.rate([[ratings[a]], [ratings[b]]], scores=[score_a, score_b])
        counts[a] += 1
        counts[b] += 1
    return {p: Rating(float(ratings[p].mu), float(ratings[p].sigma), counts[p]) for p in players}


def interleave(per_pair: dict[tuple[int, int], list[tuple[float, float]]]) -> list[tuple[int, int, float, float]]:
    """Games in turn across pairs (each pair's first game, then each pair's second...), so no pair rates last."""
    games, turn = [], 0
    while any(turn < len(g) for g in per_pair.values()):
        for (a, b), scores in per_pair.items():
            if turn < len(scores):
                games.append((a, b, *scores[turn]))
        turn += 1
    return games


def payoffs(players: list[int], games: list[tuple[int, int, float, float]]) -> dict[int, dict[int, float]]:
    """payoff[a][b]: a's mean score in its games against b, on either side (NaN if they never finished one)."""
    sums = {a: {b: [] for b in players if b != a} for a in players}
    for a, b, score_a, score_b in games:
        sums[a][b].append(score_a)
        sums[b][a].append(score_b)
    return {a: {b: float(np.mean(s)) if s else float("nan") for b, s in row.items()} for a, row in sums.items()}


# ----------------------------------------------------------------- checks and files


def check_players(players: Any, policy_types: dict, games_per_pair: Any, policies: dict) -> list[int]:
    """The players as a list of ids; KickoffError for anything a tournament cannot play."""
    if not isinstance(players, list | tuple) or len(set(players)) < 2:
        raise KickoffError(f"a tournament needs a list of at least two distinct policy ids, got {players!r}")
    if len(set(players)) != len(players):
        raise KickoffError(f"players {players} name a policy twice")
    unknown = [p for p in players if p not in policy_types]
    if unknown:
        raise KickoffError(f"players {unknown} have no entry in policy_types")
    for p in players:
        if policy_types[p] not in policies:
            raise KickoffError(f"policy {p}: unknown policy type {policy_types[p]!r}; known: {sorted(policies)}")
    if isinstance(games_per_pair, bool) or not isinstance(games_per_pair, int) or games_per_pair < 1:
        raise KickoffError(f"games_per_pair must be a positive integer, got {games_per_pair!r}")
    return list(players)


def check_name(name: Any) -> str:
    """The tournament's folder name; KickoffError unless it is a plain folder inside the log folder.

    The folder is deleted and rebuilt: a name that could reach anything else (``..``, an absolute
    path, a policy's folder) is refused. Plain names may nest (a league's ``league/tournament``).
    """
    parts = name.split("/") if isinstance(name, str) else []
    plain = bool(parts) and all(p not in ("", ".", "..") and os.path.basename(p) == p for p in parts)
    if not plain or parts[0].startswith("policy_") or parts[0] in ("tb", "render"):
        raise KickoffError(f"tournament name must be a plain folder name such as 'tournament', not {name!r}")
    return name


def is_frozen(name: str, policies: dict) -> bool:
    """True for a type that plays a saved checkpoint (``Policy.plays_frozen``: the "-eval" types)."""
    return contract_of(resolve_policy(policies[name])).plays_frozen


def playing_type(pid: int, name: str, policies: dict) -> str:
    """The type a player plays as: a learner's frozen form ("ppo" -> "ppo-eval"), anything else as it is."""
    if f"{name}-eval" in policies and is_frozen(f"{name}-eval", policies):
        return f"{name}-eval"
    if contract_of(resolve_policy(policies[name])).learns and not is_frozen(name, policies):
        raise KickoffError(
            f"policy {pid} is a {name!r} learner, which has no frozen form {name + '-eval'!r}: a tournament "
            "never trains its players"
        )
    return name


def entity_count(stem: Any, env_kwargs: dict) -> int:
    """How many entities the tournament's game has; KickoffError unless they split into two equal sides."""
    if stem.make_env is None:
        n = len(stem.obs_spaces or [])
    else:
        try:
            n = len(probe_spaces(stem.make_env, env_kwargs)[0])
        except ValueError as err:
            raise KickoffError(f"tournament: {err}") from None
    if n < 2 or n % 2:
        raise KickoffError(
            f"a tournament plays two sides, each half of the entities; this game has {n} entities, which have no "
            "two-sided layout"
        )
    return n


def prepare_folder(stem: Any, folder: str, players: list[int], policy_kwargs: dict, frozen: set[int]) -> dict:
    """Start ``folder`` afresh with each player's saved files (from its ``source_policy``, if it names one).

    Returns the players' kwargs for the tournament: ``source_policy`` is dropped, since each player's
    folder there holds the files it plays. KickoffError, before anything is written, when a frozen
    player has no checkpoint.
    """
    kwargs, files = {}, {}
    for p in players:
        own = dict(policy_kwargs.get(p, {}))
        source = own.pop("source_policy", None)
        source_dir = policy_dir(stem.log_comms_dir, p if source is None else source)
        files[p] = folder_files(source_dir)  # never records or curves: those stay in the player's folder
        if p in frozen and CHECKPOINT not in files[p]:
            raise KickoffError(
                f"policy {p} plays frozen but {source_dir} has no {CHECKPOINT}; train it first, or fork a "
                "trained policy into it"
            )
        if own:
            kwargs[p] = own
    os.makedirs(folder, exist_ok=True)
    for entry in os.listdir(folder):  # afresh, but for the lock this process holds
        if entry != LOCK_FILE:
            path = os.path.join(folder, entry)
            shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    for p, named in files.items():
        for name, data in named.items():
            path = os.path.join(policy_dir(folder, p), name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
    return kwargs


def write_results(result: TournamentResult) -> None:
    """payoff.csv, ratings.csv, games.csv and payoff.png in the tournament's folder."""
    folder, players = result.folder, result.players
    rows = [["", *players]] + [[a, *(_cell(result.payoff[a].get(b)) for b in players)] for a in players]
    write_csv(os.path.join(folder, "payoff.csv"), rows)
    ratings = [["policy", "mu", "sigma", "ordinal", "games"]]
    for p in result.ranking:
        r = result.ratings[p]
        ratings.append([p, f"{r.mu:.4f}", f"{r.sigma:.4f}", f"{r.ordinal:.4f}", r.games])
    write_csv(os.path.join(folder, "ratings.csv"), ratings)
    games = [["side_0", "side_1", "score_0", "score_1"]] + [[a, b, repr(x), repr(y)] for a, b, x, y in result.games]
    write_csv(os.path.join(folder, "games.csv"), games)
    plot_payoff(result.payoff_matrix(), players, os.path.join(folder, "payoff.png"))


def _cell(value: float | None) -> str:
    return "" if value is None or np.isnan(value) else f"{value:.4f}"


def write_csv(path: str, rows: list[list]) -> None:
    """Write ``rows`` as a CSV file, replacing ``path`` at once."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        csv.writer(f).writerows(rows)


# ----------------------------------------------------------------- the run


def run_tournament(
    stem: Root,
    players: list[int],
    policy_types: dict,
    games_per_pair: int,
    policy_kwargs: dict,
    env_kwargs: dict,
    name: str = TOURNAMENT_DIR,
    seed: int = 0,
    max_steps_per_game: int = DEFAULT_MAX_STEPS_PER_GAME,
) -> TournamentResult:
    """Play the tournament on ``stem``'s ranks (see the module); write and print its results."""
    players = check_players(players, policy_types, games_per_pair, stem.policies)
    name = check_name(name)
    rating_model()  # before any game is played, not after
    types = {p: playing_type(p, policy_types[p], stem.policies) for p in players}
    frozen = {p for p in players if is_frozen(types[p], stem.policies)}
    entities = entity_count(stem, env_kwargs)
    rounds = schedule(ordered_pairs(players), entities, stem.world_size)
    folder = os.path.join(stem.log_comms_dir, name)
    stem.hold_log_folder()  # the players' folders are read, and this one written, under the stem's lock
    try:
        lock = FolderLock(folder).acquire()  # before anything in it is removed
    except FolderLockedError as err:
        raise KickoffError(str(err)) from None
    try:
        kwargs = prepare_folder(stem, folder, players, policy_kwargs, frozen)
        arena = Root(
            stem.comm, folder, stem.obs_spaces, stem.act_spaces, stem.policies, stem.make_env, stem.stop, stem.hosts,
            lock, curves=False,
        )  # fmt: skip
        print(
            f"[tournament] {len(players)} players, {games_per_pair} games per pair and side, "
            f"{len(ordered_pairs(players))} matches in {len(rounds)} rounds; results in {folder}",
            flush=True,
        )
        per_pair: dict[tuple[int, int], list[tuple[float, float]]] = {}
        for i, pairs in enumerate(rounds):
            matches = ", ".join(f"{a} v {b}" for a, b in pairs)
            print(f"[tournament] round {i + 1}/{len(rounds)}: {matches}", flush=True)
            per_pair |= _play_round(
                arena, pairs, entities, types, kwargs, env_kwargs, games_per_pair, seed + i, max_steps_per_game
            )
    finally:
        lock.release()  # a later tournament of the same name takes it again
    games = interleave(per_pair)
    result = TournamentResult(players, payoffs(players, games), rate_games(players, games), games, folder)
    write_results(result)
    short = {pair: len(s) for pair, s in per_pair.items() if len(s) < games_per_pair}
    if short:
        print(f"[tournament] pairs that hit the step cap before finishing their games (games played): {short}")
    print(f"[tournament] ratings (OpenSkill Plackett-Luce):\n{result.table()}", flush=True)
    return result


def _play_round(
    arena: Any,
    pairs: list[tuple[int, int]],
    entities: int,
    types: dict,
    kwargs: dict,
    env_kwargs: dict,
    games: int,
    seed: int,
    max_steps_per_game: int,
) -> dict[tuple[int, int], list[tuple[float, float]]]:
    """One round of matches; each pair's games as (side 0's score, side 1's score)."""
    match_list = [side_match(a, b, entities) for a, b in pairs]
    playing = {p for pair in pairs for p in pair}
    result = arena.kickoff(
        match_list,
        {p: types[p] for p in playing},
        games * max_steps_per_game,
        policy_kwargs={p: kwargs[p] for p in playing if p in kwargs},
        env_kwargs=env_kwargs,
        seed=seed,
        games_per_copy=games,
    )
    half = entities // 2
    scores: dict[tuple[int, int], list[tuple[float, float]]] = {pair: [] for pair in pairs}
    for rank, summary in result["ranks"].items():
        role = result["plan"].roles[rank]
        if role.role == ENV:
            pair = pairs[role.match.match_index]
            for game in summary.get("game_scores", []):
                scores[pair].append((float(np.mean(game[:half])), float(np.mean(game[half:]))))
    return scores
