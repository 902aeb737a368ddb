"""MADDPG and MASAC pieces: the centralised critic's input layout, blocks of unequal spaces, shared actors."""

import numpy as np
import pytest
import torch
from gymnasium import spaces

from arena.algos.maddpg import MADDPG, MASAC, joint_box, slices_of, with_entity_action
from arena.mpi import comm as mpi


class UnequalBlock:
    """Two entities in the list interface: entity 0 sees 3 values and moves in 1-D, entity 1 sees 2 and moves in 2-D."""

    def __init__(self):
        self.observation_spaces = [spaces.Box(-1, 1, (3,), np.float32), spaces.Box(-5, 5, (2,), np.float32)]
        self.action_spaces = [spaces.Box(-1, 1, (1,), np.float32), spaces.Box(0, 2, (2,), np.float32)]
        self.t, self.last_actions = 0, None

    def reset(self, seed=None, options=None):
        self.t = 0
        return [np.full(3, 0.1, np.float32), np.full(2, 0.2, np.float32)], [{}, {}]

    def step(self, actions):
        self.t += 1
        self.last_actions = actions
        obs = [np.full(3, 0.1 * self.t, np.float32), np.full(2, -0.2 * self.t, np.float32)]
        return obs, [1.0, -1.0], False, self.t >= 5, [{}, {}]


def test_the_joint_row_lays_entities_out_in_order_and_swaps_one_entitys_action():
    boxes = UnequalBlock().observation_spaces
    assert [(s.start, s.stop) for s in slices_of(boxes)] == [(0, 3), (3, 5)]
    joint = joint_box(boxes)
    assert joint.shape == (5,) and joint.low.tolist() == [-1, -1, -1, -5, -5]
    played = torch.tensor([[1.0, 2.0, 3.0]])  # entity 0's action, then entity 1's two
    assert with_entity_action(played, torch.tensor([[9.0, 8.0]]), slice(1, 3)).tolist() == [[1.0, 9.0, 8.0]]
    assert with_entity_action(played, torch.tensor([[7.0]]), slice(0, 1)).tolist() == [[7.0, 2.0, 3.0]]


@pytest.mark.parametrize("cls", [MADDPG, MASAC])
def test_a_block_of_unequal_spaces_plays_stores_joint_steps_and_learns(cls):
    env = UnequalBlock()
    learner = cls(env, mpi.world(), seed=0, hidden=8, batch_size=4, learning_starts=0)
    assert (learner.agents, learner.obs_space.shape, learner.act_space.shape) == (2, (5,), (3,))
    # Each critic reads the joint observation and the joint action: 5 + 3 inputs.
    assert learner.critics[0].heads[0][0].in_features == 8 and len(learner.critics) == 2
    learner.build_replay()
    obs = learner.start_episodes(learner.reset())
    assert np.allclose(obs, [[0.1, 0.1, 0.1, 0.2, 0.2]])  # entity 0's observation, then entity 1's
    for _ in range(12):
        obs = learner.play(learner.act(obs, explore_uniformly=False), last=False)
    a0, a1 = env.last_actions  # split back to each entity's shape, inside each entity's bounds
    assert a0.shape == (1,) and a1.shape == (2,) and np.all(a1 >= 0) and np.all(a1 <= 2)
    batch = learner.replay.sample(4)
    assert batch.returns.shape == (4, 2) and np.allclose(batch.returns, [[1.0, -1.0]] * 4)  # a reward per entity
    stats = {}
    learner.train_step(stats)
    assert np.isfinite(stats["qf_loss"][0]) and learner.updates == 1


def test_shared_actors_need_equal_spaces_and_give_one_actor():
    from arena.envs import Cover

    shared = MADDPG(Cover(n_agents=3), mpi.world(), share_actors=True, hidden=8)
    assert len(shared.actors) == 1 and len(shared.critics) == 3
    with pytest.raises(ValueError, match="share_actors needs equal"):
        MADDPG(UnequalBlock(), mpi.world(), share_actors=True)
    with pytest.raises(ValueError, match="vector observations"):
        MADDPG.check_spaces(spaces.Box(0, 255, (84, 84, 1), np.uint8), spaces.Box(-1, 1, (2,), np.float32))
