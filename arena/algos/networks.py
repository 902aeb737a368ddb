"""The learners' networks: the Nature CNN for images, MLPs for vectors.

PPO's ``ActorCritic``, DQN's ``QNetwork``, and for continuous actions (SAC, TD3, DDPG)
``SquashedGaussianActor``, ``DeterministicActor`` and ``TwinQ``.
"""

from __future__ import annotations

import numpy as np
import torch
from gymnasium import spaces
from torch import nn
from torch.distributions import Categorical, Distribution, Normal

from arena.envs.masks import has_mask

# Argument checks cost more than the math for the small batches of acting.
Distribution.set_default_validate_args(False)


def layer_init(layer: nn.Module, std: float = float(np.sqrt(2)), bias: float = 0.0) -> nn.Module:
    """Orthogonal weights with gain ``std`` and constant bias, as in the PPO reference code."""
    nn.init.orthogonal_(layer.weight, std)
    nn.init.constant_(layer.bias, bias)
    return layer


def is_image_space(space: spaces.Space) -> bool:
    """uint8 Box of rank 2 or 3: an image or a stack of frames."""
    return isinstance(space, spaces.Box) and space.dtype == np.uint8 and len(space.shape) in (2, 3)


# The Nature CNN's three convolutions (8/4, 4/2, 3/1) need frames of at least 36 x 36.
SMALLEST_IMAGE = 36


def space_problem(obs_space: spaces.Space, act_space: spaces.Space) -> str | None:
    """Why ``ActorCritic`` cannot take these spaces, or None when it can."""
    if not isinstance(act_space, spaces.Discrete) and not (
        isinstance(act_space, spaces.Box) and len(act_space.shape) == 1
    ):
        return f"it acts in Discrete or 1-D Box action spaces, not {act_space}"
    if has_mask(obs_space):
        return (
            f"its observations carry an action mask ({obs_space}), which the learners do not read yet; "
            '"random" players (and arena.check_env) play only the legal actions'
        )
    if not isinstance(obs_space, spaces.Box):
        return f"it observes Box spaces (images or vectors), not {obs_space}"
    if is_image_space(obs_space):
        _, _, h, w = image_layout(obs_space.shape)
        if min(h, w) < SMALLEST_IMAGE:
            return (
                f"uint8 observations {obs_space.shape} are read as {h} x {w} images, smaller than the Nature "
                f"CNN's smallest ({SMALLEST_IMAGE} x {SMALLEST_IMAGE}); give a board like this a float dtype "
                "(the MLP reads it as a vector) or scale the frames up"
            )
    return None


def image_layout(shape: tuple[int, ...]) -> tuple[bool, int, int, int]:
    """``(channels_last, C, H, W)``; channels are the small axis (HWC frames or CHW stacks)."""
    if len(shape) == 2:
        return False, 1, shape[0], shape[1]
    if shape[-1] <= 4 < shape[0]:
        return True, shape[2], shape[0], shape[1]
    return False, shape[0], shape[1], shape[2]


def action_head(act_space: spaces.Space) -> tuple[bool, int]:
    """``(continuous, outputs)`` of a policy head: logits for Discrete, means for a 1-D Box; TypeError otherwise."""
    if isinstance(act_space, spaces.Discrete):
        return False, int(act_space.n)
    if isinstance(act_space, spaces.Box) and len(act_space.shape) == 1:
        return True, int(act_space.shape[0])
    raise TypeError(f"PPO supports Discrete or 1-D Box actions, not {act_space}")


MASKED_LOGIT = -1e8  # an illegal action's logit: probability 0, without the NaNs that -inf brings


def masked_logits(logits: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """``logits`` with the illegal actions (``mask`` False) pushed to ``MASKED_LOGIT``; no mask keeps them."""
    return logits if mask is None else logits.masked_fill(~mask, MASKED_LOGIT)


def action_distribution(
    out: torch.Tensor, log_std: torch.Tensor | None, continuous: bool, mask: torch.Tensor | None = None
) -> Distribution:
    """The actor's distribution: a diagonal Gaussian (state-independent ``log_std``), else a categorical over
    the legal actions."""
    if continuous:
        return Normal(out, log_std.exp().expand_as(out))
    return Categorical(logits=masked_logits(out, mask))


def sample_and_score(
    dist: Distribution, action: torch.Tensor | None, deterministic: bool, continuous: bool
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(action, log_prob, entropy)``: the given action, else the most likely one or a sample, scored."""
    if action is None:
        if deterministic:
            action = dist.mean if continuous else dist.probs.argmax(-1)
        else:
            action = dist.sample()
    log_prob, entropy = dist.log_prob(action), dist.entropy()
    if continuous:  # independent dimensions
        log_prob, entropy = log_prob.sum(-1), entropy.sum(-1)
    return action, log_prob, entropy


class ImageEncoder(nn.Module):
    """The Nature DQN CNN; uint8 frames are scaled to [0, 1] here, on the device."""

    def __init__(self, shape: tuple[int, ...], features: int = 512):
        super().__init__()
        self.shape = shape
        self.channels_last, c, h, w = image_layout(shape)
        self.conv = nn.Sequential(
            layer_init(nn.Conv2d(c, 32, 8, stride=4)),
            nn.ReLU(),
            layer_init(nn.Conv2d(32, 64, 4, stride=2)),
            nn.ReLU(),
            layer_init(nn.Conv2d(64, 64, 3, stride=1)),
            nn.ReLU(),
            nn.Flatten(),
        )
        with torch.no_grad():
            flat = self.conv(torch.zeros(1, c, h, w)).shape[1]
        self.fc = nn.Sequential(layer_init(nn.Linear(flat, features)), nn.ReLU())
        self.out_features = features
        # NHWC convolutions run about 1.6x faster on CPU (measured for PPO's update); weights are unchanged.
        self.conv.to(memory_format=torch.channels_last)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """Features of a batch of frames."""
        x = obs
        if x.dim() == 3:  # (B, H, W) grayscale without a channel axis
            x = x.unsqueeze(1)
        elif self.channels_last:
            x = x.permute(0, 3, 1, 2)
        # Reorder while still uint8 (a quarter of the bytes), then scale to [0, 1].
        x = x.contiguous(memory_format=torch.channels_last).float() / 255.0
        return self.fc(self.conv(x))


class ActorCritic(nn.Module):
    """Policy and value heads over a shared CNN (images) or two separate MLPs (vectors)."""

    def __init__(self, obs_space: spaces.Space, act_space: spaces.Space, hidden: int = 64):
        super().__init__()
        self.continuous, n_out = action_head(act_space)
        self.image = is_image_space(obs_space)
        if self.image:
            self.encoder = ImageEncoder(obs_space.shape)
            self.actor = layer_init(nn.Linear(self.encoder.out_features, n_out), std=0.01)
            self.critic = layer_init(nn.Linear(self.encoder.out_features, 1), std=1.0)
        else:
            n_in = int(np.prod(obs_space.shape))
            self.encoder = nn.Flatten()
            self.actor = nn.Sequential(
                layer_init(nn.Linear(n_in, hidden)),
                nn.Tanh(),
                layer_init(nn.Linear(hidden, hidden)),
                nn.Tanh(),
                layer_init(nn.Linear(hidden, n_out), std=0.01),
            )
            self.critic = nn.Sequential(
                layer_init(nn.Linear(n_in, hidden)),
                nn.Tanh(),
                layer_init(nn.Linear(hidden, hidden)),
                nn.Tanh(),
                layer_init(nn.Linear(hidden, 1), std=1.0),
            )
        if self.continuous:
            self.log_std = nn.Parameter(torch.zeros(n_out))  # state-independent

    def _features(self, obs: torch.Tensor) -> torch.Tensor:
        return self.encoder(obs) if self.image else self.encoder(obs.float())

    def mark_episode_ends(self, ends: np.ndarray) -> None:
        """Nothing: a feed-forward network keeps no state between steps."""

    def value(self, obs: torch.Tensor) -> torch.Tensor:
        """V(obs), shape (B,)."""
        return self.critic(self._features(obs)).squeeze(-1)

    def dist(self, features: torch.Tensor, mask: torch.Tensor | None = None) -> torch.distributions.Distribution:
        """The action distribution from encoded features; ``mask`` (rows, actions) rules illegal actions out."""
        return action_distribution(self.actor(features), getattr(self, "log_std", None), self.continuous, mask)

    def act_and_value(
        self,
        obs: torch.Tensor,
        action: torch.Tensor | None = None,
        deterministic: bool = False,
        mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Sample (or score) an action, a legal one where ``mask`` says: ``(action, log_prob, entropy, value)``."""
        features = self._features(obs)
        dist = self.dist(features, mask)
        action, log_prob, entropy = sample_and_score(dist, action, deterministic, self.continuous)
        return action, log_prob, entropy, self.critic(features).squeeze(-1)


class QNetwork(nn.Module):
    """Action values over the Nature CNN (images) or an MLP (vectors); ``dueling`` splits value and advantage.

    The dueling head (Wang et al. 2016) is ``V(s) + A(s, a) - mean_a A(s, a)``, two linear
    streams over the shared features.
    """

    def __init__(self, obs_space: spaces.Space, n_actions: int, dueling: bool = False, hidden: int = 128):
        super().__init__()
        self.image = is_image_space(obs_space)
        if self.image:
            self.encoder = ImageEncoder(obs_space.shape)
            features = self.encoder.out_features
        else:
            n_in = int(np.prod(obs_space.shape))
            self.encoder = nn.Sequential(
                nn.Flatten(), nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU()
            )
            features = hidden
        self.dueling = dueling
        self.head = nn.Linear(features, n_actions)  # the advantages, when dueling
        self.value = nn.Linear(features, 1) if dueling else None

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """Q(obs, .), shape (B, n_actions)."""
        features = self.encoder(obs) if self.image else self.encoder(obs.float())
        q = self.head(features)
        if self.dueling:
            q = self.value(features) + q - q.mean(dim=1, keepdim=True)
        return q


# ------------------------------------------------------------ continuous actions
LOG_STD_MIN, LOG_STD_MAX = -5.0, 2.0  # SAC's log standard deviation range (CleanRL's)


def mlp(n_in: int, hidden: int, n_out: int) -> nn.Sequential:
    """Two ReLU hidden layers of ``hidden`` units, the shape every continuous learner of CleanRL uses."""
    return nn.Sequential(
        nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, n_out)
    )


def continuous_space_problem(obs_space: spaces.Space, act_space: spaces.Space) -> str | None:
    """Why SAC, TD3 or DDPG cannot take these spaces, or None: they act in a 1-D Box with finite bounds."""
    if not isinstance(act_space, spaces.Box) or len(act_space.shape) != 1:
        return f"it needs a 1-D Box action space, not {act_space}"
    if not (np.all(np.isfinite(act_space.low)) and np.all(np.isfinite(act_space.high))):
        return f"its actions are squashed into the bounds of {act_space}, which must be finite"
    return space_problem(obs_space, act_space)


class ObservationEncoder(nn.Module):
    """The Nature CNN for images, else the flattened vector as floats; ``out_features`` wide."""

    def __init__(self, obs_space: spaces.Space):
        super().__init__()
        self.image = is_image_space(obs_space)
        self.cnn = ImageEncoder(obs_space.shape) if self.image else None
        self.out_features = self.cnn.out_features if self.image else int(np.prod(obs_space.shape))

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """Features of a batch of observations."""
        return self.cnn(obs) if self.image else obs.float().reshape(obs.shape[0], -1)


class ActionScaling(nn.Module):
    """Maps tanh's (-1, 1) onto a Box's bounds: ``action = y * scale + bias``."""

    def __init__(self, act_space: spaces.Box):
        super().__init__()
        low, high = (torch.as_tensor(b, dtype=torch.float32) for b in (act_space.low, act_space.high))
        self.register_buffer("scale", (high - low) / 2.0)
        self.register_buffer("bias", (high + low) / 2.0)


class SquashedGaussianActor(ActionScaling):
    """SAC's policy: a Gaussian whose sample is squashed by tanh into the action bounds."""

    def __init__(self, obs_space: spaces.Space, act_space: spaces.Box, hidden: int = 256):
        super().__init__(act_space)
        self.encoder = ObservationEncoder(obs_space)
        n_act = int(act_space.shape[0])
        self.net = mlp(self.encoder.out_features, hidden, 2 * n_act)

    def forward(self, obs: torch.Tensor, deterministic: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """``(action, log_prob)``; the log-probability includes tanh's change of variables."""
        mean, log_std = self.net(self.encoder(obs)).chunk(2, dim=-1)
        log_std = LOG_STD_MIN + 0.5 * (LOG_STD_MAX - LOG_STD_MIN) * (torch.tanh(log_std) + 1)
        normal = Normal(mean, log_std.exp())
        x = mean if deterministic else normal.rsample()  # rsample: gradients flow through the sample
        y = torch.tanh(x)
        log_prob = normal.log_prob(x) - torch.log(self.scale * (1 - y.pow(2)) + 1e-6)
        return y * self.scale + self.bias, log_prob.sum(-1)

    def play(self, obs: torch.Tensor, deterministic: bool) -> torch.Tensor:
        """Actions to play: sampled, or the mean's."""
        return self(obs, deterministic)[0]


class DeterministicActor(ActionScaling):
    """TD3's and DDPG's policy: observations to an action inside the bounds (tanh, then scaled)."""

    def __init__(self, obs_space: spaces.Space, act_space: spaces.Box, hidden: int = 256):
        super().__init__(act_space)
        self.encoder = ObservationEncoder(obs_space)
        self.net = mlp(self.encoder.out_features, hidden, int(act_space.shape[0]))

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """The action for each observation."""
        return torch.tanh(self.net(self.encoder(obs))) * self.scale + self.bias

    def play(self, obs: torch.Tensor, deterministic: bool) -> torch.Tensor:
        """Actions to play: the actor's own (exploration noise is added by the learner, never here)."""
        return self(obs)


class TwinQ(nn.Module):
    """Q(s, a) for continuous actions, twice (``twin``) or once; images share one CNN between both heads."""

    def __init__(self, obs_space: spaces.Space, act_space: spaces.Box, hidden: int = 256, twin: bool = True):
        super().__init__()
        self.encoder = ObservationEncoder(obs_space)
        n_in = self.encoder.out_features + int(act_space.shape[0])
        self.heads = nn.ModuleList(mlp(n_in, hidden, 1) for _ in range(2 if twin else 1))

    def forward(self, obs: torch.Tensor, action: torch.Tensor) -> list[torch.Tensor]:
        """Each head's Q(obs, action), shape (B,)."""
        x = torch.cat([self.encoder(obs), action.float()], dim=-1)
        return [head(x).squeeze(-1) for head in self.heads]


# ------------------------------------------------------------------ recurrent
