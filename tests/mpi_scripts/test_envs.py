"""Small environments for the MPI tests."""

import numpy as np
from gymnasium import spaces


class EchoEnv:
    """Entity e observes [e, t]; rewards are e; episodes last ``length`` steps.

    ``fail_at`` makes step number ``fail_at`` raise, to test failure handling.
    """

    def __init__(self, entities=2, length=10, fail_at=None, legacy=False):
        self.n, self.length, self.fail_at, self.legacy = entities, length, fail_at, legacy
        self.observation_spaces = [spaces.Box(-1e9, 1e9, (2,), np.float64) for _ in range(entities)]
        self.action_spaces = [spaces.Discrete(3) for _ in range(entities)]
        self.t = self.total = 0

    def _obs(self):
        return [np.array([e, self.t], dtype=np.float64) for e in range(self.n)]

    def reset(self, seed=None):
        self.t = 0
        return self._obs() if self.legacy else (self._obs(), [{"reset_of": e} for e in range(self.n)])

    def step(self, actions):
        assert len(actions) == self.n
        self.t += 1
        self.total += 1
        if self.fail_at is not None and self.total >= self.fail_at:
            raise RuntimeError(f"EchoEnv failing on purpose at step {self.total}")
        done = self.t >= self.length
        rewards = [float(e) for e in range(self.n)]
        if self.legacy:
            return self._obs(), rewards, done, [{} for _ in range(self.n)]
        return self._obs(), rewards, done, False, [{} for _ in range(self.n)]


def make_env(**kwargs):
    return EchoEnv(**kwargs)
