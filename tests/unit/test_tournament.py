"""Tournaments: the pure parts (pairs, rounds, payoffs, ratings, checks), and one played through MPI."""

import numpy as np
import pytest

from arena.ranks.root.kickoff_checks import KickoffError
from arena.tournament import (
    TournamentResult,
    check_name,
    check_players,
    entity_count,
    interleave,
    ordered_pairs,
    payoffs,
    playing_type,
    rate_games,
    schedule,
    side_match,
)

POLICIES = {
    "random": "arena.algos.random_policy:RandomPolicy",
    "ppo": "arena.algos.ppo:PPO",
    "ppo-eval": "arena.algos.ppo_eval:PPOEval",
    "dqn": "arena.algos.dqn:DQN",
}


def test_every_pair_meets_on_both_sides():
    pairs = ordered_pairs([1, 2, 3])
    assert sorted(pairs) == [(1, 2), (1, 3), (2, 1), (2, 3), (3, 1), (3, 2)]
    assert side_match(1, 2, 2) == [1, 2]
    assert side_match(1, 2, 4) == [1, 1, 2, 2]  # teams of two: each side is half the entities


def test_rounds_hold_as_many_matches_as_the_ranks_allow():
    pairs = ordered_pairs([1, 2, 3, 4])  # 12 matches of 3 ranks each (an env rank and two workers)
    rounds = schedule(pairs, 2, 7)  # rank 0 plus 6: two matches a round
    assert [len(r) for r in rounds] == [2] * 6
    assert [p for r in rounds for p in r] == pairs
    assert [len(r) for r in schedule(pairs, 2, 16)] == [5, 5, 2]
    with pytest.raises(KickoffError, match="more than the job's 3 ranks"):
        schedule(pairs, 2, 3)


def test_payoffs_average_both_sides_and_are_antisymmetric_for_zero_sum_games():
    games = [(1, 2, 1.0, -1.0), (2, 1, 0.0, 0.0), (2, 1, -1.0, 1.0), (1, 3, 3.0, -3.0), (3, 1, -2.0, 2.0)]
    p = payoffs([1, 2, 3], games)
    assert p[1][2] == pytest.approx(2 / 3) and p[2][1] == pytest.approx(-2 / 3)
    assert p[1][3] == 2.5 and p[3][1] == -2.5
    assert np.isnan(p[2][3]) and np.isnan(p[3][2])  # they never met
    matrix = TournamentResult([1, 2, 3], p, {}).payoff_matrix()
    finite = np.isfinite(matrix)
    np.testing.assert_allclose(matrix[finite], -matrix.T[finite])


def test_games_are_rated_in_turn_across_pairs():
    per_pair = {(1, 2): [(1.0, -1.0), (1.0, -1.0)], (2, 1): [(0.0, 0.0)], (1, 3): [(5.0, 0.0)] * 3}
    order = [(a, b) for a, b, _, _ in interleave(per_pair)]
    assert order == [(1, 2), (2, 1), (1, 3), (1, 2), (1, 3), (1, 3)]


def test_ratings_order_players_by_results():
    # 1 beats 2 and 3; 2 beats 3; a draw between 2 and 3 as well.
    games = [(1, 2, 1.0, -1.0), (2, 3, 1.0, -1.0), (1, 3, 1.0, -1.0), (3, 2, 0.0, 0.0)] * 3
    ratings = rate_games([3, 2, 1], games)
    assert ratings[1].ordinal > ratings[2].ordinal > ratings[3].ordinal
    assert ratings[1].games == 6 and ratings[2].games == 9 and ratings[3].games == 9
    assert ratings[1].ordinal == pytest.approx(ratings[1].mu - 3 * ratings[1].sigma)
    even = rate_games([1, 2], [(1, 2, 0.0, 0.0), (2, 1, 0.0, 0.0)])
    assert even[1].mu == pytest.approx(even[2].mu)


def test_bad_players_get_clear_errors():
    types = {1: "ppo", 2: "random"}
    with pytest.raises(KickoffError, match="at least two distinct"):
        check_players([1], types, 2, POLICIES)
    with pytest.raises(KickoffError, match="name a policy twice"):
        check_players([1, 2, 2], types, 2, POLICIES)
    with pytest.raises(KickoffError, match=r"players \[5\] have no entry"):
        check_players([1, 5], types, 2, POLICIES)
    with pytest.raises(KickoffError, match="unknown policy type 'nope'"):
        check_players([1, 2], {1: "nope", 2: "random"}, 2, POLICIES)
    with pytest.raises(KickoffError, match="games_per_pair must be a positive integer"):
        check_players([1, 2], types, 0, POLICIES)
    assert check_players((2, 1), types, 3, POLICIES) == [2, 1]
    # The tournament's folder is rebuilt from scratch: it can never be the log folder or a policy's.
    for name in ("", ".", "..", "../x", "a/../..", "/tmp/x", "a//b", "a/", "policy_1", "policy_1/x", "tb", 3):
        with pytest.raises(KickoffError, match="plain folder name"):
            check_name(name)
    assert check_name("final_tournament") == "final_tournament"
    assert check_name("league/tournament") == "league/tournament"  # plain names may nest


def test_learners_play_frozen_and_a_learner_without_a_frozen_form_is_refused():
    assert playing_type(1, "ppo", POLICIES) == "ppo-eval"
    assert playing_type(1, "ppo-eval", POLICIES) == "ppo-eval"
    assert playing_type(2, "random", POLICIES) == "random"
    from arena.algos import BUILTIN_POLICIES

    with pytest.raises(KickoffError, match="'maddpg' learner, which has no frozen form 'maddpg-eval'"):
        playing_type(3, "maddpg", BUILTIN_POLICIES)

    for learner in ("ppo", "ppo-lstm", "dqn", "sac", "td3", "ddpg"):
        assert playing_type(3, learner, BUILTIN_POLICIES) == f"{learner}-eval"


def test_a_frozen_player_without_a_checkpoint_is_refused_before_anything_is_written(tmp_path):
    from arena.tournament import prepare_folder

    stem = _Stem(2)
    stem.log_comms_dir = str(tmp_path)
    (tmp_path / "policy_5").mkdir()
    (tmp_path / "policy_5" / "checkpoint.pt").write_bytes(b"weights")
    (tmp_path / "policy_5" / "records.csv").write_text("episode,return,length,steps,time\n")
    folder = str(tmp_path / "tournament")
    kwargs = prepare_folder(stem, folder, [5, 6], {6: {"source_policy": 5, "deterministic": True}}, {5, 6})
    assert kwargs == {6: {"deterministic": True}}  # each plays the copy in its own folder
    for pid in (5, 6):
        assert (tmp_path / "tournament" / f"policy_{pid}" / "checkpoint.pt").read_bytes() == b"weights"
        assert not (tmp_path / "tournament" / f"policy_{pid}" / "records.csv").exists()  # records stay home
    (tmp_path / "tournament" / "payoff.csv").write_text("an earlier tournament's")
    with pytest.raises(KickoffError, match="policy 7 plays frozen but .*policy_7 has no checkpoint.pt"):
        prepare_folder(stem, folder, [5, 7], {}, {5, 7})
    assert (tmp_path / "tournament" / "payoff.csv").exists()  # nothing was touched


class _Stem:
    def __init__(self, entities):
        self.make_env, self.obs_spaces = None, [None] * entities


def test_a_game_without_two_equal_sides_is_refused():
    assert entity_count(_Stem(2), {}) == 2
    assert entity_count(_Stem(4), {}) == 4
    for n in (1, 3):
        with pytest.raises(KickoffError, match=f"this game has {n} entities, which have no two-sided layout"):
            entity_count(_Stem(n), {})
