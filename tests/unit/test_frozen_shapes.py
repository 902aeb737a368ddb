"""A frozen player builds its networks to its checkpoint's shape, whatever its own defaults (no mpiexec)."""

import gymnasium as gym
import pytest
import torch
from helpers import ScriptedVector

from arena.algos.dqn import DQN, DQNEval
from arena.algos.ppo import PPO
from arena.algos.ppo_eval import PPOEval
from arena.algos.sac import SAC, SACEval
from arena.algos.td3 import TD3, TD3Eval
from arena.mpi import comm as mpi

CASES = [
    (PPO, PPOEval, ScriptedVector, {"hidden": 32}),
    (DQN, DQNEval, lambda: gym.make("CartPole-v1"), {"hidden": 32, "dueling": True}),
    (SAC, SACEval, lambda: gym.make("Pendulum-v1"), {"hidden": 16}),
    (TD3, TD3Eval, lambda: gym.make("Pendulum-v1"), {"hidden": 16, "twin": False}),
]


@pytest.mark.parametrize("learner, frozen, make_env, shape", CASES, ids=[c[0].name for c in CASES])
def test_a_frozen_player_takes_the_shape_of_a_checkpoint_trained_wider_or_narrower(learner, frozen, make_env, shape):
    trained = learner(make_env(), mpi.world(), seed=0, **shape)
    state = {k: v for k, v in trained.state().items() if "optimizer" not in k}  # what Frozen loads
    player = frozen(make_env(), mpi.world(), seed=1)
    assert any(getattr(player.cfg, k) != v for k, v in shape.items())  # its defaults differ
    player.adopt(state)
    assert {k: getattr(player.cfg, k) for k in shape} == shape
    mine, theirs = player.model_state(), trained.model_state()
    for name in (k for k in theirs if "optimizer" not in k and k != "log_alpha"):
        a, b = mine[name], theirs[name]
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a), name


def test_a_frozen_player_of_its_own_shape_keeps_its_networks():
    trained = PPO(ScriptedVector(), mpi.world(), seed=0)
    player = PPOEval(ScriptedVector(), mpi.world(), seed=1)
    agent = player.agent
    player.adopt({k: v for k, v in trained.state().items() if "optimizer" not in k})
    assert player.agent is agent
