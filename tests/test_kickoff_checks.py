"""Kickoff checks that need the spaces rank 0 found (no mpiexec)."""

import pytest
from gymnasium import spaces

from arena.algos.ppo import PPO
from arena.algos.random_policy import RandomPolicy
from arena.core.plan import make_plan
from arena.core.validation import KickoffError, check_policy_spaces

SMALL, LARGE = spaces.Box(0, 1, (3,)), spaces.Box(0, 1, (5,))
MOVE = spaces.Discrete(4)


def test_a_policy_with_different_spaces_in_two_matches_is_refused():
    plan = make_plan([[1, 2], [1, 3]], world_size=7)
    env_spaces = {0: ([SMALL, SMALL], [MOVE, MOVE]), 1: ([LARGE, SMALL], [MOVE, MOVE])}
    with pytest.raises(KickoffError, match=r"policy 1 sees different spaces in match 0 .* and in match 1"):
        check_policy_spaces(plan, env_spaces, {})


def test_different_policies_may_see_different_spaces():
    plan = make_plan([[1, 2], [3, 1]], world_size=7)
    env_spaces = {0: ([SMALL, LARGE], [MOVE, MOVE]), 1: ([LARGE, SMALL], [MOVE, MOVE])}
    check_policy_spaces(plan, env_spaces, {})  # policy 1 sees SMALL in both; 2 and 3 see LARGE


def test_ppo_refuses_a_small_uint8_board_that_the_cnn_cannot_take():
    board = spaces.Box(0, 255, (10, 10), dtype="uint8")
    plan = make_plan([[1, 2]], world_size=4)
    env_spaces = {0: ([board, board], [MOVE, MOVE])}
    with pytest.raises(KickoffError, match=r"policy 1 in match 0: PPO cannot play .* 10 x 10 images"):
        check_policy_spaces(plan, env_spaces, {1: PPO, 2: RandomPolicy})
    check_policy_spaces(plan, env_spaces, {1: RandomPolicy, 2: RandomPolicy})  # random plays anything
    frames = spaces.Box(0, 255, (4, 84, 84), dtype="uint8")
    check_policy_spaces(plan, {0: ([frames, frames], [MOVE, MOVE])}, {1: PPO, 2: PPO})
