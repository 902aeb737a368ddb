"""Turn-based games through the arena: only the entity to move is asked, and only legal moves are played."""

import re

import pytest
from helpers import assert_ok, run_script

from arena.storage.records import load_records

pytest.importorskip("pettingzoo.classic")


def test_random_ppo_and_dqn_play_tic_tac_toe_in_turns_and_legally(tmp_path):
    result = run_script(4, "turn_cases.py", "play", str(tmp_path), timeout=180)
    assert_ok(result)
    assert "Illegal move" not in result.output  # PettingZoo warns (and ends the game) on one
    records = load_records(str(tmp_path))
    # Every policy took exactly its own moves; its partner went on at random once it had played them.
    assert records[1].steps_done == 300 and records[3].steps_done == 320 and records[4].steps_done == 300
    assert records[2].steps_done == 300 + 320 + 300
    for pid in (1, 3, 4):  # whole games of 3 to 5 moves each, scored -1, 0 or 1
        assert set(records[pid].ep_results) <= {-1.0, 0.0, 1.0} and len(records[pid].ep_results) >= 300 // 5
    # Both players of a game record it, with opposite scores; the first round's games are all policy 1's and 2's.
    first = len(records[1].ep_results)
    assert records[2].ep_results[:first] == [-r for r in records[1].ep_results]


def test_openspiel_games_through_shimmy_play_in_turns_with_their_masks(tmp_path):
    pytest.importorskip("shimmy")
    pytest.importorskip("pyspiel")
    result = run_script(4, "turn_cases.py", "openspiel", str(tmp_path), timeout=180)
    assert_ok(result)  # OpenSpiel raises on an illegal move
    records = load_records(str(tmp_path))
    assert records[1].steps_done == records[2].steps_done == 256
    assert set(records[1].ep_results) <= {-1.0, 0.0, 1.0} and len(records[1].ep_results) >= 256 // 5


def test_a_tournament_of_turn_based_games_plays_every_pair_on_both_sides(tmp_path):
    # Three rounds on the same ranks: a worker's last message of a match must not be read in the next one.
    result = run_script(7, "turn_cases.py", "tournament", str(tmp_path), timeout=180)
    assert_ok(result)
    assert "GAMES 18" in result.output  # 3 pairs x 2 sides x 3 games
    assert "Illegal move" not in result.output


def test_a_turn_based_game_refuses_pacing_and_copies_at_kickoff(tmp_path):
    result = run_script(4, "turn_cases.py", "copies", str(tmp_path), timeout=120)
    assert result.returncode != 0
    assert "REFUSED match 0: a turn-based game cannot be paced (realtime_fps)" in result.output
    assert "[arena] kickoff error: match 0: a turn-based game plays one copy per environment rank" in result.output
    assert "copies_per_env=2" in result.output


# Policy 1's moves in training, and games per side against random afterwards. Measured on 2 cores:
# 6,000 and 12,000 moves won 13 and 12 of 20 games; 20,000 won 20 of 20 in 58 s, so 14 keeps a margin.
MOVES, GAMES = 20_000, 10


def test_ppo_trained_against_random_at_connect_four_beats_it_in_a_tournament(tmp_path):
    result = run_script(7, "turn_cases.py", "learn", str(tmp_path), str(MOVES), str(GAMES), timeout=600)
    assert_ok(result)
    assert "Illegal move" not in result.output
    wins, games = map(int, re.search(r"WINS (\d+) OF (\d+)", result.output).groups())
    assert games == 2 * GAMES and wins >= 0.7 * games, result.output[-3000:]
