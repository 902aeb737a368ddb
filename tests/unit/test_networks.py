"""PPO's networks: image layouts, action distributions, initialisation."""

import numpy as np
import pytest
import torch
from gymnasium import spaces

from arena.algos.networks import ActorCritic, image_layout, is_image_space
from arena.algos.ppo import IMAGE_DEFAULTS, PPO, VECTOR_DEFAULTS


@pytest.mark.parametrize(
    "shape, layout",
    [((84, 84, 1), (True, 1, 84, 84)), ((4, 84, 84), (False, 4, 84, 84)), ((84, 84), (False, 1, 84, 84))],
)
def test_image_layouts(shape, layout):
    assert image_layout(shape) == layout
    assert is_image_space(spaces.Box(0, 255, shape, np.uint8))


def test_float_boxes_are_vectors():
    assert not is_image_space(spaces.Box(0, 1, (84, 84, 1), np.float32))


@pytest.mark.parametrize("shape", [(84, 84, 1), (4, 84, 84), (84, 84)])
def test_nature_cnn_takes_uint8_frames_in_any_layout(shape):
    model = ActorCritic(spaces.Box(0, 255, shape, np.uint8), spaces.Discrete(6))
    obs = torch.randint(0, 256, (5, *shape), dtype=torch.uint8)
    action, logp, entropy, value = model.act_and_value(obs)
    assert action.shape == (5,) and logp.shape == (5,) and value.shape == (5,)
    assert torch.all(entropy > 1.7)  # near-uniform over 6 actions at init (log 6 = 1.79)


def test_gaussian_head_for_box_actions():
    model = ActorCritic(spaces.Box(-1, 1, (3,), np.float32), spaces.Box(-2, 2, (2,), np.float32))
    obs = torch.zeros(4, 3)
    action, logp, _, _ = model.act_and_value(obs)
    assert action.shape == (4, 2) and logp.shape == (4,)
    _, again, _, _ = model.act_and_value(obs, action)
    torch.testing.assert_close(logp, again)
    mean, _, _, _ = model.act_and_value(obs, deterministic=True)
    assert torch.allclose(mean, torch.zeros_like(mean), atol=0.1)  # actor head starts small (std 0.01)


def test_orthogonal_init_of_the_policy_head():
    model = ActorCritic(spaces.Box(-1, 1, (8,), np.float32), spaces.Discrete(4))
    head = model.actor[-1].weight.detach()
    assert head.abs().max() < 0.05 and torch.all(model.actor[-1].bias == 0)


def test_defaults_are_the_documented_ones():
    assert (IMAGE_DEFAULTS.n_steps, IMAGE_DEFAULTS.n_epochs, IMAGE_DEFAULTS.n_minibatches) == (128, 4, 4)
    assert (IMAGE_DEFAULTS.learning_rate, IMAGE_DEFAULTS.clip_coef, IMAGE_DEFAULTS.ent_coef) == (2.5e-4, 0.1, 0.01)
    assert (IMAGE_DEFAULTS.vf_coef, IMAGE_DEFAULTS.gamma, IMAGE_DEFAULTS.gae_lambda) == (0.5, 0.99, 0.95)
    assert IMAGE_DEFAULTS.max_grad_norm == 0.5
    assert VECTOR_DEFAULTS.n_steps == 256


def test_unknown_hyperparameter_is_an_error():
    import gymnasium as gym

    with pytest.raises(TypeError, match="unknown PPO hyperparameters"):
        PPO(gym.make("CartPole-v1"), policy_comm=None, learning_rte=1e-3)
