"""CartPole with its velocities hidden: the agent sees the cart's position and the pole's angle only.

Without memory a policy cannot tell which way the pole is falling; an LSTM can, from
the last few observations. ``make_env(num_copies=K)`` is not needed: the arena builds
K copies with K calls when ``kickoff(copies_per_env=K)``.
"""

import gymnasium as gym
import numpy as np

from arena import single_agent_wrapper

SEEN = [0, 2]  # cart position, pole angle (velocities 1 and 3 are hidden)


class HideVelocities(gym.ObservationWrapper):
    """Keeps the observation's entries ``SEEN``."""

    def __init__(self, env: gym.Env):
        super().__init__(env)
        low, high = env.observation_space.low[SEEN], env.observation_space.high[SEEN]
        self.observation_space = gym.spaces.Box(low, high, dtype=np.float32)

    def observation(self, observation: np.ndarray) -> np.ndarray:
        return observation[SEEN].astype(np.float32)


def make_env():
    return single_agent_wrapper(HideVelocities(gym.make("CartPole-v1")))
