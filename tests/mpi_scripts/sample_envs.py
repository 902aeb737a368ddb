"""Small environments for the MPI tests, with faults to inject on request."""

import os
import time

import numpy as np
from gymnasium import spaces


def world_rank():
    """This process's MPI rank, from the launcher's environment (MPICH or Open MPI)."""
    for name in ("PMI_RANK", "OMPI_COMM_WORLD_RANK"):
        if name in os.environ:
            return int(os.environ[name])
    return 0


def write_pid(path):
    """Write this process's pid whole: the test polls for the file, so it must never see it half-written."""
    with open(path + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.replace(path + ".tmp", path)


_RAISED: list[int] = []  # "step_once" has raised in this process


class EchoEnv:
    """Entity e observes [e, t]; rewards are e; episodes last ``length`` steps.

    Faults, each at the env's ``fault_at``-th step over all episodes:
    ``fault="step"`` raises, ``"step_once"`` raises in the first env of its process only
    (a crash that a rebuilt env does not repeat), ``"stuck"`` sleeps forever, ``"bad_obs"`` returns an
    observation of the wrong shape, ``"nan_reward"`` a NaN reward; ``"reset"`` makes
    reset raise. ``step_sleep`` slows every step, ``pid_file`` is written when an env
    rank (not rank 0, which only probes the env) builds it.
    """

    def __init__(
        self,
        entities=2,
        length=10,
        fail_at=None,
        legacy=False,
        fault=None,
        fault_at=50,
        step_sleep=0.0,
        pid_file=None,
        hold_file=None,
    ):
        self.n, self.length, self.legacy = entities, length, legacy
        self.fault, self.fault_at = ("step", fail_at) if fail_at is not None else (fault, fault_at)
        self.step_sleep = step_sleep
        self.hold_file = hold_file  # at step fault_at, wait until the test creates this file
        self.observation_spaces = [spaces.Box(-1e9, 1e9, (2,), np.float64) for _ in range(entities)]
        self.action_spaces = [spaces.Discrete(3) for _ in range(entities)]
        self.t = self.total = 0
        if pid_file and world_rank() != 0:
            write_pid(pid_file)

    def _obs(self):
        return [np.array([e, self.t], dtype=np.float64) for e in range(self.n)]

    def reset(self, seed=None):
        if self.fault == "reset":
            raise RuntimeError("EchoEnv failing on purpose in reset")
        self.t = 0
        return self._obs() if self.legacy else (self._obs(), [{"reset_of": e} for e in range(self.n)])

    def step(self, actions):
        assert len(actions) == self.n
        self.t += 1
        self.total += 1
        time.sleep(self.step_sleep)
        done = self.t >= self.length
        obs, rewards = self._obs(), [float(e) for e in range(self.n)]
        while self.hold_file and self.total == self.fault_at and not os.path.exists(self.hold_file):
            time.sleep(0.05)  # polling for the test's cue
        if self.fault is not None and self.total >= self.fault_at:
            if self.fault == "step":
                raise RuntimeError(f"EchoEnv failing on purpose at step {self.total}")
            if self.fault == "step_once" and not _RAISED:
                _RAISED.append(self.total)
                raise RuntimeError(f"EchoEnv failing once on purpose at step {self.total}")
            if self.fault == "stuck":
                time.sleep(1e6)
            if self.fault == "bad_obs":
                obs[1] = np.zeros(3)
            if self.fault == "nan_reward":
                rewards[1] = float("nan")
        if self.legacy:
            return obs, rewards, done, [{} for _ in range(self.n)]
        return obs, rewards, done, False, [{} for _ in range(self.n)]


class UnequalSpacesEnv(EchoEnv):
    """One more observation space than action spaces."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.observation_spaces = self.observation_spaces + self.observation_spaces[:1]


class ShiftingSpacesEnv(EchoEnv):
    """Every build has a different observation shape, as if spaces came from a random draw."""

    builds = 0

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        ShiftingSpacesEnv.builds += 1
        self.observation_spaces = [spaces.Box(0, 1, (ShiftingSpacesEnv.builds,)) for _ in range(self.n)]


class ClaimEnv:
    """Two entities claim free cells at once; a cell both claim is blocked. The mask is the free cells.

    A claim of a cell that is not free raises: a run that ends cleanly played only legal moves.
    Each entity scores the cells it claimed; the game ends when no cell is free.
    """

    def __init__(self, cells=9, **_):
        self.cells, self.n = cells, 2
        board = spaces.Box(0.0, 1.0, (cells,), np.float32)  # the cells this entity owns
        obs = spaces.Dict({"observation": board, "action_mask": spaces.MultiBinary(cells)})
        self.observation_spaces = [obs, obs]
        self.action_spaces = [spaces.Discrete(cells), spaces.Discrete(cells)]

    def _obs(self):
        free = (self.owner == -1).astype(np.int8)
        return [{"observation": (self.owner == e).astype(np.float32), "action_mask": free.copy()} for e in range(2)]

    def reset(self, seed=None, options=None):
        self.owner = np.full(self.cells, -1)  # -1 free, 0 or 1 claimed, 2 blocked
        return self._obs(), [{}, {}]

    def step(self, actions):
        a, b = int(actions[0]), int(actions[1])
        if self.owner[a] != -1 or self.owner[b] != -1:
            raise ValueError(f"illegal claim: cells {a} and {b} of owners {self.owner.tolist()}")
        rewards = [0.0, 0.0]
        if a == b:
            self.owner[a] = 2
        else:
            self.owner[a], self.owner[b], rewards = 0, 1, [1.0, 1.0]
        over = bool((self.owner != -1).all())
        return self._obs(), rewards, over, False, [{}, {}]


def make_env(variant="echo", fail_everywhere=False, fail_on_env_ranks=False, **kwargs):
    if fail_everywhere or (fail_on_env_ranks and world_rank() != 0):
        raise RuntimeError("make_env failing on purpose")
    variants = {"echo": EchoEnv, "unequal": UnequalSpacesEnv, "shifting": ShiftingSpacesEnv, "claim": ClaimEnv}
    return variants[variant](**kwargs)
