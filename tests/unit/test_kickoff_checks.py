"""Kickoff checks that need the spaces rank 0 found (no mpiexec)."""

import numpy as np
import pytest
from gymnasium import spaces

from arena.algos.ppo import PPO
from arena.algos.random_policy import RandomPolicy
from arena.plan.roles import make_plan
from arena.ranks.root.kickoff_checks import KickoffError, check_policy_memory, check_policy_spaces

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


def test_replays_larger_than_a_host_are_refused():
    from arena.algos.dqn import DQN
    from arena.plan.placement import HostInfo

    frames = spaces.Box(0, 255, (4, 84, 84), np.uint8)
    plan = make_plan([[1]], 5, scale=True)  # two matches: policy 1 has two workers (ranks 2 and 4)
    spaces_of = {0: ([frames], [spaces.Discrete(6)]), 1: ([frames], [spaces.Discrete(6)])}
    one_host = [HostInfo("a", 0, (0,), 4 * 10**9)] * 5
    check_policy_memory(plan, spaces_of, {1: DQN}, {1: {"replay_size": 500_000}}, one_host)  # 3.5 GB fits in 4
    with pytest.raises(KickoffError, match=r"need 7\.\d GB on host a, which has 4\.0 GB.*replay_size"):
        check_policy_memory(plan, spaces_of, {1: DQN}, {1: {}}, one_host)
    # On two hosts each worker keeps half of the replay: 3.5 GB each fits.
    two_hosts = [HostInfo("a", 0, (0,), 4 * 10**9)] * 3 + [HostInfo("b", 0, (0,), 4 * 10**9)] * 2
    check_policy_memory(plan, spaces_of, {1: DQN}, {1: {}}, two_hosts)
