"""League training in the style of AlphaStar, driven from rank 0's script like everything else in the arena.

    league = League(arena, policy_type="ppo", main_agents=1, main_exploiters=1, league_exploiters=1,
                    anchors={100: "random"}, seed=1)
    for r in range(rounds):
        league.play_round(steps_per_match)   # every learner plays opponents that matchmaking draws
    result = league.rate(games_per_pair)     # a tournament of the members and anchors

Every round each learner plays ``matches_per_learner`` matches of ``steps_per_match`` steps, on
alternating sides, against opponents its role draws (``arena.league.matchmaking``):

- main agents: themselves with chance ``self_play``, else PFSP over every frozen member and anchor;
- main exploiters: a current main agent, or its snapshots while the main agent is out of reach;
- league exploiters: PFSP over every frozen member and anchor.

After the round every game's scores (``kickoff(report_games=True)``) update the win rates, and
each learner is checked: it freezes (a ``PolicyRecord.fork`` into a new id, never written again)
once it beats each of its targets (main exploiters: the main agents; the others: the frozen
members and anchors) at ``freeze_win_rate``, or after ``snapshot_steps`` steps unfrozen. A main
exploiter then starts afresh; a league exploiter does with chance ``reset_probability``. A learner
that starts afresh is a new id (its role goes on; the old id is retired), so no file is overwritten.

Frozen members, and current learners as opponents, play from seats: ``"<type>-eval"`` players
with ``source_policy``. Every choice draws from one generator seeded by ``seed``, and every round
goes through the journal, so a re-run of the script replays the same league.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from arena.league.files import RatingsJournal, write_ratings, write_state
from arena.league.matchmaking import (
    LEAGUE_EXPLOITER,
    MAIN,
    MAIN_EXPLOITER,
    Rules,
    WinRates,
    draw_pfsp,
    head_to_head,
    main_exploiter_opponent,
    main_opponent,
    ready_to_freeze,
)
from arena.league.members import SEAT_BASE, Roster
from arena.plan.roles import ENV, count_needed_procs
from arena.ranks.root.kickoff_checks import KickoffError
from arena.ranks.serve import Stem
from arena.storage.records import PolicyRecord
from arena.tournament import (
    TournamentResult,
    check_name,
    entity_count,
    is_frozen,
    payoffs,
    playing_type,
    rate_games,
    side_match,
)

ENDLESS_SCHEDULE = 10**12  # schedule_steps when the rounds are open-ended: learning rates stay where they start


@dataclass
class Pairing:
    """One match of a round: a learner against an opponent, the learner on ``side`` 0 or 1."""

    learner: int
    opponent: int
    side: int


@dataclass
class RoundReport:
    """What ``play_round`` returns: the matches, each pair's games, who froze and who started afresh."""

    round: int
    pairings: list[Pairing]
    games: dict[tuple[int, int], list[int]] = field(default_factory=dict)  # (learner, opponent) -> [g, w, d, l]
    frozen: list[tuple[int, int]] = field(default_factory=list)  # (learner, its new snapshot)
    reset: list[tuple[int, int]] = field(default_factory=list)  # (retired learner, the new one in its role)


class League:
    """Main agents, exploiters, frozen snapshots and anchors, matched by win rate, rated by tournaments."""

    def __init__(
        self,
        arena: Stem,
        policy_type: str = "ppo",
        main_agents: int = 1,
        main_exploiters: int = 1,
        league_exploiters: int = 1,
        anchors: dict[int, str] | None = None,
        policy_kwargs: dict | None = None,
        seed: int = 0,
        *,
        env_kwargs: dict | None = None,
        matches_per_learner: int = 2,
        rounds: int | None = None,
        snapshot_steps: int | None = None,
        pfsp: str = "hard",
        self_play: float = 0.35,
        freeze_win_rate: float = 0.7,
        exploiter_give_up: float = 0.1,
        reset_probability: float = 0.25,
        win_rate_decay: float = 0.99,
        kickoff_kwargs: dict | None = None,
        name: str = "league",
    ):
        """``anchors``: id -> type of the fixed yardsticks (default ``{100: "random"}``); ``policy_kwargs``: one dict
        for every learner; ``rounds``: the rounds you plan, over which learners' schedules run (None: their rates stay
        put); ``snapshot_steps``: a learner's steps between forced snapshots (None: two rounds' worth);
        ``kickoff_kwargs``: more kickoff options (``copies_per_env``, ``silence_timeout``...)."""
        self.arena, self.policy_type, self.seed = arena, policy_type, int(seed)
        self.rules = Rules(pfsp, self_play, freeze_win_rate, exploiter_give_up, reset_probability)
        self.rules.check()
        self.check_types(policy_type, anchors if anchors is not None else {100: "random"})
        counts = {MAIN: main_agents, MAIN_EXPLOITER: main_exploiters, LEAGUE_EXPLOITER: league_exploiters}
        self.roster = Roster(policy_type, counts, dict(anchors if anchors is not None else {100: "random"}))
        self.rates, self.rng = WinRates(win_rate_decay), np.random.default_rng(int(seed))
        self.policy_kwargs, self.env_kwargs = dict(policy_kwargs or {}), dict(env_kwargs or {})
        self.kickoff_kwargs = dict(kickoff_kwargs or {})
        self.matches_per_learner, self.planned_rounds, self.snapshot_steps = matches_per_learner, rounds, snapshot_steps
        self.name = check_name(name)
        self.folder = os.path.join(arena.log_comms_dir, name)
        self.entities = entity_count(arena, self.env_kwargs)
        self.check_ranks()
        self.round, self.match_rows, self.rating_rows = 0, [], []
        self.ratings = RatingsJournal(self.folder)
        self.ratings_done = 0

    # ------------------------------------------------------------- checks

    def check_types(self, policy_type: str, anchors: dict) -> None:
        """KickoffError for a learner type without a frozen form, or an anchor of an unknown type."""
        known = self.arena.policies
        if policy_type not in known:
            raise KickoffError(f"league: unknown policy type {policy_type!r}; known: {sorted(known)}")
        playing_type(0, policy_type, known)  # a learner must have a "-eval" form to play as a snapshot
        for pid, kind in anchors.items():
            if kind not in known:
                raise KickoffError(f"league: anchor {pid}: unknown policy type {kind!r}; known: {sorted(known)}")

    def check_ranks(self) -> None:
        """KickoffError unless the job has the ranks a round's matches need (each learner's, side by side)."""
        learners = len(self.roster.learners())
        matches = [side_match(1, SEAT_BASE + i, self.entities) for i in range(learners * self.matches_per_learner)]
        needed = count_needed_procs(matches)
        if needed > self.arena.world_size:
            raise KickoffError(
                f"league: {learners} learners x {self.matches_per_learner} matches each need {needed} ranks a round; "
                f"run with mpiexec -n {needed} or more, or lower matches_per_learner"
            )

    # ------------------------------------------------------------- a round

    def play_round(self, steps_per_match: int) -> RoundReport:
        """One round: draw every learner's opponents, play the matches, update win rates, freeze and reset."""
        report = RoundReport(self.round, self.draw())
        match_list, types, kwargs = self.setup(report.pairings, steps_per_match)
        print(f"[league] round {self.round}: " + self.describe(report.pairings), flush=True)
        result = self.arena.kickoff(
            match_list,
            types,
            steps_per_match,
            policy_kwargs=kwargs,
            env_kwargs=self.env_kwargs,
            seed=self.seed * 1000 + self.round,
            report_games=True,
            **self.kickoff_kwargs,
        )
        report.games = self.tally(report.pairings, match_games(result, len(report.pairings)))
        self.freeze_and_reset(report, steps_per_match)
        self.round += 1
        write_state(self.folder, self.roster, self.match_rows, self.rates)
        self.print_outcome(report)
        return report

    def draw(self) -> list[Pairing]:
        """Each learner's opponents this round, by its role's rule; sides alternate by round and match."""
        pool, pairings = self.roster.pool(), []
        for learner in self.roster.learners():
            member = self.roster.members[learner]
            for j in range(self.matches_per_learner):
                if member.role == MAIN:
                    can_self_play = member.born_round < self.round  # it has weights to play against
                    opponent = main_opponent(self.rng, learner, pool, self.rates, self.rules, can_self_play)
                elif member.role == MAIN_EXPLOITER:
                    mains = self.roster.mains_with_weights(self.round)
                    older = {m: self.roster.snapshots(m) for m in mains}
                    anchors = self.roster.anchors()
                    opponent = main_exploiter_opponent(self.rng, learner, mains, older, self.rates, self.rules, anchors)
                else:
                    opponent = draw_pfsp(self.rng, learner, pool, self.rates, self.rules.pfsp)
                pairings.append(Pairing(learner, opponent, (self.round + j) % 2))
        return pairings

    def setup(self, pairings: list[Pairing], steps_per_match: int) -> tuple[list, dict, dict]:
        """The kickoff's match list, policy types and kwargs: learners as themselves, opponents from seats."""
        match_list, types, kwargs = [], {}, {}
        for i, p in enumerate(pairings):
            types[p.learner], kwargs[p.learner] = self.policy_type, self.learner_kwargs(steps_per_match)
            seat, kind = p.opponent, playing_type(p.opponent, self.roster.members[p.opponent].type, self.arena.policies)
            if is_frozen(kind, self.arena.policies):  # weights to play: from a seat, never its own folder
                seat = SEAT_BASE + i
                kwargs[seat] = {"source_policy": p.opponent}
            types[seat] = kind
            sides = (p.learner, seat) if p.side == 0 else (seat, p.learner)
            match_list.append(side_match(*sides, self.entities))
        return match_list, types, kwargs

    def learner_kwargs(self, steps_per_match: int) -> dict:
        """The learners' kwargs: the user's, with a schedule that spans the planned rounds (or never ends)."""
        if "schedule_steps" in self.policy_kwargs:
            return dict(self.policy_kwargs)
        if self.planned_rounds is None:
            horizon = ENDLESS_SCHEDULE
        else:
            copies = self.kickoff_kwargs.get("copies_per_env", 1)
            horizon = self.planned_rounds * self.matches_per_learner * steps_per_match * copies
        return self.policy_kwargs | {"schedule_steps": horizon}

    def tally(self, pairings: list[Pairing], games: dict[int, list[list[float]]]) -> dict:
        """Every game into the win rates, in match order; the round's games, wins, draws, losses per pair."""
        half, counts = self.entities // 2, {}
        for i, p in enumerate(pairings):
            row = counts.setdefault((p.learner, p.opponent), [0, 0, 0, 0])
            for scores in games.get(i, []):
                mine, theirs = float(np.mean(scores[:half])), float(np.mean(scores[half:]))
                if p.side == 1:
                    mine, theirs = theirs, mine
                outcome = self.rates.add(p.learner, p.opponent, mine, theirs)
                row[0] += 1
                row[("win", "draw", "loss").index(outcome) + 1] += 1
        for (learner, opponent), row in counts.items():
            self.match_rows.append([self.round, learner, opponent, *row])
        return counts

    def freeze_and_reset(self, report: RoundReport, steps_per_match: int) -> None:
        """Freeze every learner that is ready (a fork into a new id); main exploiters, and some league ones, restart."""
        played = self.matches_per_learner * steps_per_match
        threshold = self.snapshot_steps or 2 * played
        report.frozen, report.reset = due_freezes(
            self.roster, self.rates, self.rules, self.rng, self.round, played, threshold
        )
        for learner, snapshot in report.frozen:
            PolicyRecord(learner, self.arena.log_comms_dir).load().fork(snapshot)

    # ------------------------------------------------------------- rating

    def rate(self, games_per_pair: int, seed: int = 0) -> TournamentResult:
        """A tournament of the learners that have played, the snapshots and the anchors; ratings.csv gets its rows."""
        members = self.roster.members
        players = [p for p in self.roster.learners() if members[p].born_round < self.round] + self.roster.pool()
        types = {p: members[p].type for p in players}
        setting = {"round": self.round, "players": players, "games_per_pair": games_per_pair, "seed": seed}
        folder = os.path.join(self.folder, "tournament")
        games = self.ratings.games(self.ratings_done, setting)
        if games is None:
            result = self.arena.tournament(
                players, types, games_per_pair, env_kwargs=self.env_kwargs, name=f"{self.name}/tournament", seed=seed
            )
            self.ratings.add(self.ratings_done, setting, result.games)
        else:
            print(f"[league] rating {self.ratings_done}: its games are in {self.ratings.path}; not played again")
            result = TournamentResult(players, payoffs(players, games), rate_games(players, games), games, folder)
        self.ratings_done += 1
        for p in result.ranking:
            r = result.ratings[p]
            self.rating_rows.append([self.round, p, round(r.mu, 4), round(r.sigma, 4), round(r.ordinal, 4)])
        write_ratings(self.folder, self.rating_rows, self.roster)
        self.print_against_anchors(result)
        return result

    # ------------------------------------------------------------- output

    def describe(self, pairings: list[Pairing]) -> str:
        """'1 (main) v 100, v 1001; 2 (main_exploiter) v 1' for a round's matches."""
        parts: dict[int, list[str]] = {}
        for p in pairings:
            parts.setdefault(p.learner, []).append(f"v {p.opponent}")
        roles = self.roster.members
        return "; ".join(f"{pid} ({roles[pid].role}) " + ", ".join(vs) for pid, vs in parts.items())

    def print_against_anchors(self, result: TournamentResult) -> None:
        """Each main agent's record against each anchor in a rating: the yardstick ratings alone hide."""
        for main in self.roster.learners(MAIN):
            for anchor in self.roster.anchors():
                if main in result.players and anchor in result.players:
                    won, drew, lost = head_to_head(result.games, main, anchor)
                    print(
                        f"[league] rating: main {main} v anchor {anchor}: won {won}, drew {drew}, lost {lost}",
                        flush=True,
                    )

    def print_outcome(self, report: RoundReport) -> None:
        """Each pair's wins, draws and losses this round, and who froze or started afresh."""
        games = ", ".join(f"{a} v {b}: {w}-{d}-{lost}" for (a, b), (_, w, d, lost) in report.games.items())
        print(f"[league] round {report.round} games (won-drawn-lost): {games}", flush=True)
        for learner, snapshot in report.frozen:
            print(f"[league] round {report.round}: {learner} frozen into {snapshot}", flush=True)
        for old, new in report.reset:
            print(f"[league] round {report.round}: {old} retired; its role goes on afresh as {new}", flush=True)


def due_freezes(
    roster: Roster,
    rates: WinRates,
    rules: Rules,
    rng: np.random.Generator,
    round_index: int,
    played: int,
    snapshot_steps: int,
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """After round ``round_index``, in which every learner played ``played`` steps: who freezes, who restarts.

    Updates the roster (snapshots join, restarted learners retire for new ones) and returns
    (learner, snapshot) and (retired learner, its successor) pairs; the caller forks the files.
    """
    frozen, reset = [], []
    pool, mains = roster.pool(), roster.mains_with_weights(round_index + 1)
    for learner in roster.learners():
        member = roster.members[learner]
        member.steps_since_snapshot += played
        targets = mains if member.role == MAIN_EXPLOITER else pool
        if not ready_to_freeze(learner, targets, rates, rules, member.steps_since_snapshot, snapshot_steps):
            continue
        frozen.append((learner, roster.freeze(learner, born_round=round_index + 1)))
        restart = member.role == MAIN_EXPLOITER or (
            member.role == LEAGUE_EXPLOITER and rng.random() < rules.reset_probability
        )
        if restart:
            reset.append((learner, roster.reset(learner, round_index)))
    return frozen, reset


def match_games(result: dict, matches: int) -> dict[int, list[list[float]]]:
    """Each match's games (per-entity scores) from a kickoff's result, in the order its env rank played them."""
    games: dict[int, list[list[float]]] = {i: [] for i in range(matches)}
    for rank, summary in sorted(result["ranks"].items()):
        role = result["plan"].roles[int(rank)]
        if role.role == ENV:
            games[role.match.match_index].extend(summary.get("game_scores", []))
    return games
