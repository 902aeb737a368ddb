"""Parts every off-policy learner shares: the replay it fills, target networks, and the failure gate.

DQN uses them now; the continuous learners (SAC, TD3) take the same ones.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import torch
from gymnasium import spaces

from arena.algos.replay import Replay


def make_replay(
    replay_size: int,
    workers: int,
    rows: int,
    obs_space: spaces.Space,
    act_space: spaces.Space,
    n_step: int,
    gamma: float,
    alpha: float,
    seed: int,
) -> Replay:
    """This worker's share of the policy's ``replay_size``, for ``rows`` streams of episodes."""
    discrete = isinstance(act_space, spaces.Discrete)
    return Replay(
        capacity=replay_size // workers,
        rows=rows,
        obs_shape=obs_space.shape,
        obs_dtype=obs_space.dtype,
        action_shape=() if discrete else act_space.shape,
        action_dtype=np.int64 if discrete else np.float32,
        n_step=n_step,
        gamma=gamma,
        alpha=alpha,
        seed=seed,
    )


def replay_bytes(replay_size: int, obs_space: spaces.Space) -> int:
    """The memory a policy's whole replay takes, over all its workers."""
    return Replay.bytes_needed(replay_size, obs_space.shape, obs_space.dtype)


def describe_bytes(n: float) -> str:
    """``7.1 GB``, ``350 MB``."""
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


@torch.no_grad()
def polyak_update(target: torch.nn.Module, online: torch.nn.Module, tau: float) -> None:
    """``target <- tau * online + (1 - tau) * target``, parameter by parameter; ``tau=1`` copies."""
    for t, o in zip(target.parameters(), online.parameters()):
        t.lerp_(o, tau)
    for t, o in zip(target.buffers(), online.buffers()):
        t.copy_(o)


class FailureGate:
    """Ends the run at the first non-finite loss or value, naming the policy, the step and the last losses."""

    def __init__(self, who: str, keep: int = 10):
        self.who = who
        self.losses: deque[float] = deque(maxlen=keep)

    def check(self, loss: float, values: float, step: int) -> None:
        """FloatingPointError if ``loss`` or ``values`` (e.g. the mean Q) is NaN or infinite."""
        self.losses.append(loss)
        if not (np.isfinite(loss) and np.isfinite(values)):
            last = ", ".join(f"{x:.4g}" for x in self.losses)
            raise FloatingPointError(
                f"{self.who}: non-finite loss or value at global step {step:,} (loss {loss}, values {values}); "
                f"last losses: [{last}]. Lower the learning rate, clip gradients (max_grad_norm) or check the "
                "rewards' scale"
            )
