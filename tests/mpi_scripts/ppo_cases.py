"""PPO scenarios for tests/mpi/test_ppo.py: python ppo_cases.py CASE LOG_DIR [STEPS]."""

import sys

import gymnasium as gym

from arena import make_stem, single_agent_wrapper
from arena.envs import Touchdown

CASE, LOG = sys.argv[1], sys.argv[2]
STEPS = int(sys.argv[3]) if len(sys.argv) > 3 else 0


def make_env(game="cartpole", **kwargs):
    if game == "cartpole":
        return single_agent_wrapper(gym.make("CartPole-v1"))
    return Touchdown(**kwargs)


arena = make_stem(make_env, LOG, additional_policies={"checked-ppo": "checked_learners:CheckedPPO"})

if CASE == "cartpole":
    arena.kickoff([[1]], {1: "checked-ppo"}, STEPS or 12_500, scale=True, seed=1, copies_per_env=4)
elif CASE == "touchdown":
    arena.kickoff([[1, 2]], {1: "checked-ppo", 2: "random"}, STEPS or 20_000, env_kwargs={"game": "touchdown"}, seed=3)
elif CASE == "paths":
    # Blocks share one network: team 0 sees 84x84 images and moves continuously, team 1 vectors and discrete.
    td = {"game": "touchdown", "players_per_team": 2, "obs_types": ("image", "vector")}
    td["action_types"] = ("continuous", "discrete")
    small = {"n_steps": 32, "n_minibatches": 2, "n_epochs": 2}
    arena.kickoff(
        [[[1, 1], [2, 2]]],
        {1: "checked-ppo", 2: "ppo"},
        STEPS or 200,
        env_kwargs=td,
        policy_kwargs={1: small, 2: small},
    )
elif CASE == "vector":
    # 8 copies per environment rank, 2 ranks: each PPO worker acts for 8 copies in one batch.
    td = {"game": "touchdown"}
    arena.kickoff([[1, 2]], {1: "checked-ppo", 2: "random"}, STEPS or 5000, env_kwargs=td, scale=True, copies_per_env=8)
elif CASE == "eval":
    arena.kickoff([[1, 2]], {1: "ppo-eval", 2: "random"}, STEPS or 2_000, env_kwargs={"game": "touchdown"})
print(f"CASE {CASE} FINISHED", flush=True)
