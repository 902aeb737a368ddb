"""League matchmaking without MPI: PFSP weights against hand values, win rates, whom each role plays, freezes."""

import numpy as np
import pytest

from arena.league.files import write_ratings
from arena.league.league import Pairing, due_freezes, match_games
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
    pfsp_weights,
    ready_to_freeze,
)
from arena.league.members import SNAPSHOT_BASE, Roster


def test_pfsp_weights_match_hand_values():
    rates = [0.2, 0.5, 1.0]
    # hard: (1 - p)^2 = 0.64, 0.25, 0 over 0.89
    assert pfsp_weights(rates, "hard") == pytest.approx([0.64 / 0.89, 0.25 / 0.89, 0.0])
    # variance: p (1 - p) = 0.16, 0.25, 0 over 0.41
    assert pfsp_weights(rates, "variance") == pytest.approx([0.16 / 0.41, 0.25 / 0.41, 0.0])
    assert pfsp_weights(rates, "even") == pytest.approx([1 / 3] * 3)
    # a learner that beats everyone draws evenly rather than dividing by zero
    assert pfsp_weights([1.0, 1.0], "hard") == pytest.approx([0.5, 0.5])
    with pytest.raises(ValueError, match="PFSP weighting must be one of"):
        pfsp_weights(rates, "linear")


def test_win_rates_count_draws_as_half_and_decay_older_games():
    rates = WinRates(decay=0.5)
    assert rates.rate(1, 2) == 0.5  # never met: even
    assert rates.add(1, 2, 1.0, -1.0) == "win"
    assert rates.rate(1, 2) == 1.0
    assert rates.add(1, 2, -1.0, 1.0) == "loss"
    assert rates.rate(1, 2) == pytest.approx(0.5 / 1.5)  # the win counts half now
    assert rates.add(1, 2, 0.0, 0.0) == "draw"
    # wins 0.25, losses 0.5, draws 1: (0.25 + 0.5) / 1.75
    assert rates.rate(1, 2) == pytest.approx(0.75 / 1.75)
    assert rates.rate(2, 1) == 0.5  # kept per learner: the opponent's view is its own
    assert rates.rows() == [[1, 2, 3, 1.75, round(0.75 / 1.75, 4)]]
    with pytest.raises(ValueError, match="decay"):
        WinRates(decay=0.0)


def test_pfsp_draws_follow_the_weights():
    rates, rng = WinRates(), np.random.default_rng(0)
    for _ in range(20):
        rates.add(1, 10, 1.0, 0.0)  # 1 always beats 10
        rates.add(1, 11, 0.0, 1.0)  # and always loses to 11
    draws = [draw_pfsp(rng, 1, [10, 11, 12], rates, "hard") for _ in range(2000)]
    # hard weights: 10 -> 0, 11 -> 1, 12 (never met, 0.5) -> 0.25
    assert draws.count(10) == 0
    assert draws.count(11) / len(draws) == pytest.approx(1 / 1.25, abs=0.03)
    with pytest.raises(ValueError, match="nobody to play"):
        draw_pfsp(rng, 1, [], rates, "hard")


def test_a_main_agent_plays_itself_only_once_it_has_weights():
    rates, rules = WinRates(), Rules(self_play=1.0)
    rng = np.random.default_rng(1)
    assert main_opponent(rng, 1, [100], rates, rules, can_self_play=True) == 1
    assert main_opponent(rng, 1, [100], rates, rules, can_self_play=False) == 100
    never = Rules(self_play=0.0)
    assert {main_opponent(rng, 1, [100, 1001], rates, never, True) for _ in range(50)} == {100, 1001}


def test_a_main_exploiter_plays_the_main_agent_or_its_snapshots_when_it_is_out_of_reach():
    rates, rules, rng = WinRates(), Rules(), np.random.default_rng(2)
    older = {1: [1001, 1002]}
    assert main_exploiter_opponent(rng, 2, [1], older, rates, rules, [100]) == 1  # 0.5 before they meet
    for _ in range(10):
        rates.add(2, 1, -1.0, 1.0)  # the main agent beats it every time: under exploiter_give_up
    assert {main_exploiter_opponent(rng, 2, [1], older, rates, rules, [100]) for _ in range(50)} == {1001, 1002}
    assert main_exploiter_opponent(rng, 2, [1], {1: []}, rates, rules, [100]) == 1  # no snapshot to fall back on
    assert main_exploiter_opponent(rng, 2, [], {}, rates, rules, [100]) == 100  # no main agent has weights yet


def test_a_learner_freezes_when_it_beats_every_target_or_after_snapshot_steps():
    rates, rules = WinRates(), Rules(freeze_win_rate=0.7)
    for _ in range(8):
        rates.add(1, 100, 1.0, 0.0)
    rates.add(1, 1001, 1.0, 0.0)
    rates.add(1, 1001, 0.0, 1.0)  # about 0.5 against 1001
    assert not ready_to_freeze(1, [100, 1001], rates, rules, steps_since=10, snapshot_steps=100)
    assert ready_to_freeze(1, [100], rates, rules, steps_since=10, snapshot_steps=100)
    assert ready_to_freeze(1, [100, 1001], rates, rules, steps_since=100, snapshot_steps=100)
    assert not ready_to_freeze(1, [100], rates, rules, steps_since=0, snapshot_steps=100)  # nothing new to freeze
    assert not ready_to_freeze(1, [], rates, rules, steps_since=10, snapshot_steps=100)


def test_roster_ids_skip_anchors_and_snapshots_count_from_their_base():
    roster = Roster("ppo", {MAIN: 1, MAIN_EXPLOITER: 1, LEAGUE_EXPLOITER: 1}, {2: "random"})
    assert roster.learners() == [1, 3, 4] and roster.anchors() == [2]
    assert roster.pool() == [2]
    snap = roster.freeze(3, born_round=1)
    assert snap == SNAPSHOT_BASE and roster.members[snap].role == MAIN_EXPLOITER and roster.members[snap].parent == 3
    assert roster.pool() == [SNAPSHOT_BASE, 2]
    assert roster.reset(3, last_round=0) == 5
    assert roster.learners(MAIN_EXPLOITER) == [5] and roster.members[3].retired_round == 0
    assert roster.rows()[0] == ["id", "role", "parent", "born_round", "frozen", "type", "retired_round"]
    assert [SNAPSHOT_BASE, MAIN_EXPLOITER, 3, 1, "true", "ppo", ""] in roster.rows()
    with pytest.raises(ValueError, match="at least one anchor"):
        Roster("ppo", {MAIN: 1}, {})
    with pytest.raises(ValueError, match="anchor ids"):
        Roster("ppo", {MAIN: 1}, {SNAPSHOT_BASE: "random"})


def rates_where(wins: dict[tuple[int, int], bool]) -> WinRates:
    """Win rates of 1.0 (True) or 0.0 (False) for each pair, from ten games."""
    rates = WinRates()
    for (a, b), won in wins.items():
        for _ in range(10):
            rates.add(a, b, float(won), float(not won))
    return rates


def test_freeze_and_reset_rules_on_fake_win_rates():
    roster = Roster("ppo", {MAIN: 1, MAIN_EXPLOITER: 1, LEAGUE_EXPLOITER: 1}, {100: "random"})
    main, exploiter, league_exploiter = 1, 2, 3
    # The main agent and the league exploiter beat the anchor; the main exploiter loses to the main agent.
    rates = rates_where({(main, 100): True, (league_exploiter, 100): True, (exploiter, main): False})
    never_reset, rng = Rules(reset_probability=0.0), np.random.default_rng(0)
    frozen, reset = due_freezes(roster, rates, never_reset, rng, 0, played=10, snapshot_steps=1000)
    assert frozen == [(main, 1001), (league_exploiter, 1002)] and reset == []
    assert roster.learners() == [1, 2, 3] and roster.snapshots() == [1001, 1002]
    # Round 1: the exploiter now beats the main agent: frozen, and always restarted as a new learner.
    rates = rates_where({(exploiter, main): True})
    frozen, reset = due_freezes(roster, rates, never_reset, rng, 1, played=10, snapshot_steps=1000)
    assert frozen == [(exploiter, 1003)] and reset == [(exploiter, 4)]
    assert roster.learners(MAIN_EXPLOITER) == [4] and roster.members[4].born_round == 2
    # A league exploiter that freezes restarts with reset_probability.
    always = Rules(reset_probability=1.0)
    rates = rates_where({(league_exploiter, p): True for p in roster.pool()})
    frozen, reset = due_freezes(roster, rates, always, rng, 2, played=10, snapshot_steps=1000)
    assert (league_exploiter, 1004) in frozen and reset == [(league_exploiter, 5)]
    # Without a win, a learner freezes once it has played snapshot_steps since it was last frozen.
    roster = Roster("ppo", {MAIN: 1}, {100: "random"})
    lost = rates_where({(1, 100): False})
    assert due_freezes(roster, lost, never_reset, rng, 0, played=10, snapshot_steps=20) == ([], [])
    assert due_freezes(roster, lost, never_reset, rng, 1, played=10, snapshot_steps=20) == ([(1, 1001)], [])


class FakeRole:
    def __init__(self, role: str, match_index: int | None = None):
        self.role = role
        self.match = type("Match", (), {"match_index": match_index})()


def test_match_games_gathers_each_matchs_games_from_its_environment_rank():
    plan = type("Plan", (), {"roles": [FakeRole("root"), FakeRole("env", 1), FakeRole("worker"), FakeRole("env", 0)]})
    ranks = {1: {"game_scores": [[1.0, -1.0]]}, 2: {}, 3: {"game_scores": [[0.0, 0.0], [-1.0, 1.0]]}}
    assert match_games({"ranks": ranks, "plan": plan}, 2) == {0: [[0.0, 0.0], [-1.0, 1.0]], 1: [[1.0, -1.0]]}
    assert Pairing(1, 100, 0).side == 0


def test_rules_refuse_values_out_of_range():
    with pytest.raises(ValueError, match="pfsp must be one of"):
        Rules(pfsp="linear").check()
    with pytest.raises(ValueError, match="freeze_win_rate must be a probability"):
        Rules(freeze_win_rate=1.5).check()


def test_head_to_head_counts_wins_draws_and_losses_on_either_side():
    games = [(1, 100, 1.0, -1.0), (100, 1, 1.0, -1.0), (100, 1, 0.0, 0.0), (1, 2, -1.0, 1.0), (100, 1, -1.0, 1.0)]
    assert head_to_head(games, 1, 100) == (2, 1, 1)
    assert head_to_head(games, 100, 1) == (1, 1, 2)
    assert head_to_head(games, 2, 100) == (0, 0, 0)


def test_the_ratings_picture_colors_members_by_role(tmp_path):
    roster = Roster("ppo", {MAIN: 1}, {100: "random"})
    rows = [[2, 1, 0, 0, 20.0], [2, 100, 0, 0, 5.0], [4, 1, 0, 0, 22.0], [4, 100, 0, 0, 6.0]]
    write_ratings(str(tmp_path), rows, roster)
    assert (tmp_path / "ratings.png").stat().st_size > 10_000
    assert (tmp_path / "ratings.csv").read_text().splitlines()[0] == "round,member,mu,sigma,ordinal"
