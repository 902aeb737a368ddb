"""DQN scenarios for tests/mpi/test_dqn.py: python dqn_cases.py CASE LOG_DIR [STEPS]."""

import os
import sys

import gymnasium as gym

from arena import make_stem, single_agent_wrapper
from arena.mpi import comm as mpi

CASE, LOG = sys.argv[1], sys.argv[2]
STEPS = int(sys.argv[3]) if len(sys.argv) > 3 else 0


def make_env(game="cartpole", num_copies=1):
    if game == "cartpole":
        return single_agent_wrapper(gym.make("CartPole-v1"))
    from arena.envs.atari import make_atari_game

    return make_atari_game("Pong", num_copies=num_copies)


arena = make_stem(make_env, LOG, additional_policies={"checked-dqn": "checked_learners:CheckedDQN"})

if CASE == "cartpole":
    arena.kickoff([[1]], {1: "checked-dqn"}, STEPS or 30_000, scale=True, seed=2)
elif CASE == "eval":  # policy 2 plays policy 1's checkpoint greedily, learning nothing
    kwargs = {"source_policy": 1, "deterministic": True}
    arena.kickoff([[2]], {2: "dqn-eval"}, STEPS or 2_000, seed=5, policy_kwargs={2: kwargs})
elif CASE == "pong":
    # The image path with every option of the modern preset, K=2 copies per environment rank, tiny sizes;
    # a second round starts from the first one's checkpoint.
    small = {"replay_size": 4_000, "learning_starts": 300, "target_update_every": 20, "log_every": 10}
    for _ in range(2):
        arena.kickoff(
            [[1]],
            {1: "checked-dqn"},
            STEPS or 1_200,
            scale=True,
            seed=3,
            copies_per_env=2,
            env_kwargs={"game": "pong"},
            policy_kwargs={1: small},
        )
        if mpi.rank_of(mpi.world()) == 0:
            os.replace(f"{LOG}/policy_1/identical.json", f"{LOG}/policy_1/identical_{arena.rounds}.json")
