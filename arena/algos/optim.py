"""Optimizers the papers used that torch does not ship as they were."""

from __future__ import annotations

from collections.abc import Iterable

import torch


class CenteredRMSprop(torch.optim.Optimizer):
    """DeepMind's RMSProp from the Nature DQN code: ``w -= lr * g / sqrt(E[g^2] - E[g]^2 + eps)``.

    It differs from ``torch.optim.RMSprop(centered=True)`` in where epsilon goes: inside
    the square root (0.01 there, a floor on the variance), not added after it.
    Both running averages use ``alpha`` (0.95, the paper's "gradient momentum").
    """

    def __init__(self, params: Iterable, lr: float = 2.5e-4, alpha: float = 0.95, eps: float = 0.01):
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps})

    @torch.no_grad()
    def step(self, closure: None = None) -> None:
        """One update of every parameter with a gradient."""
        for group in self.param_groups:
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["mean"] = torch.zeros_like(p)
                    state["mean_square"] = torch.zeros_like(p)
                mean, mean_square = state["mean"], state["mean_square"]
                mean.mul_(alpha).add_(p.grad, alpha=1 - alpha)
                mean_square.mul_(alpha).addcmul_(p.grad, p.grad, value=1 - alpha)
                p.addcdiv_(p.grad, (mean_square - mean * mean + eps).sqrt(), value=-lr)
