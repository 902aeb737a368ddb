"""The learners' optimizers: Adam as ``torch.optim.Adam`` computes it, and DeepMind's centred RMSProp.

Why not ``torch.optim``: building any of its optimizers, and each ``step``, goes through
torch's compiler hooks, and the first use imports ``torch._dynamo``: 1.2 CPU-seconds per
learner rank, spent before the first update. Fifteen ranks on two cores pay it fifteen
times. These classes do the same arithmetic in the same order, so a run gives the very
same weights as with ``torch.optim.Adam`` (``tests/unit/test_optim.py`` checks it bit for
bit), and their ``state_dict`` has torch's layout: checkpoints load either way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch


class Optimizer:
    """Parameter groups, per-parameter state, ``zero_grad`` and torch's ``state_dict`` layout; no step."""

    def __init__(self, params: Iterable, defaults: dict[str, Any]):
        params = list(params)
        groups = params if params and isinstance(params[0], dict) else [{"params": params}]
        self.param_groups = [{**defaults, **group, "params": list(group["params"])} for group in groups]
        self.state: dict[torch.Tensor, dict[str, Any]] = {}

    def _params(self) -> list[torch.Tensor]:
        # Every parameter, in the order of the groups (the order state_dict numbers them in). Not named
        # parameters(): torch.optim has none, and code tells networks from optimizers by that name.
        return [p for group in self.param_groups for p in group["params"]]

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop every parameter's gradient (or zero it in place, with ``set_to_none=False``)."""
        for p in self._params():
            if p.grad is not None and not set_to_none:
                p.grad.zero_()
            elif p.grad is not None:
                p.grad = None

    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [index, ...]}]}``, as torch.optim writes it."""
        index = {id(p): i for i, p in enumerate(self._params())}
        groups = [{**group, "params": [index[id(p)] for p in group["params"]]} for group in self.param_groups]
        state = {index[id(p)]: dict(s) for p, s in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Take a ``state_dict`` of this class or of torch.optim's (values copied onto each parameter's device)."""
        saved = state_dict["param_groups"]
        sizes, saved_sizes = [len(g["params"]) for g in self.param_groups], [len(g["params"]) for g in saved]
        if saved_sizes != sizes:
            raise ValueError(f"the saved optimizer has groups of {saved_sizes} parameters, not {sizes}")
        by_index = dict(zip((i for g in saved for i in g["params"]), self._params()))
        self.param_groups = [{**s, "params": g["params"]} for s, g in zip(saved, self.param_groups)]
        self.state = {}
        for i, values in state_dict["state"].items():
            p = by_index[int(i)]
            self.state[p] = {k: _to_param(k, v, p) for k, v in values.items()}


def _to_param(key: str, value: Any, param: torch.Tensor) -> Any:
    """A copy of one saved state value; torch keeps Adam's ``step`` a float32 tensor on the CPU."""
    if key == "step":
        return torch.tensor(float(value), dtype=torch.float32)
    if isinstance(value, torch.Tensor):
        return value.to(device=param.device, dtype=param.dtype, copy=True)
    return value


class Adam(Optimizer):
    """Adam (Kingma and Ba), step for step ``torch.optim.Adam`` with its defaults (no weight decay, no AMSGrad)."""

    # torch.optim.Adam's other group settings, at the values this class computes with: a saved state names
    # them, so torch loads it too, and a torch state with other values is refused rather than misread.
    FIXED = {"weight_decay": 0, "amsgrad": False, "maximize": False, "foreach": None, "capturable": False}
    FIXED |= {"differentiable": False, "fused": None, "decoupled_weight_decay": False}

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8):
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps, **self.FIXED})

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Take a saved state, refusing a torch Adam's that used weight decay, AMSGrad or maximize."""
        for group in state_dict["param_groups"]:
            other = {k: group[k] for k in ("weight_decay", "amsgrad", "maximize") if group.get(k, self.FIXED[k])}
            if other:
                raise ValueError(f"the saved Adam state used {other}; arena.algos.optim.Adam computes without them")
        super().load_state_dict(state_dict)

    @torch.no_grad()
    def step(self) -> None:
        """One update of every parameter with a gradient."""
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if params:
                self._update(params, group["lr"], *group["betas"], group["eps"])

    def _update(self, params: list[torch.Tensor], lr: float, beta1: float, beta2: float, eps: float) -> None:
        # torch.optim.Adam's single-tensor arithmetic, one operation at a time over every tensor (torch's
        # _foreach_ operations: fewer passes through Python, each element computed as alone, the same bits).
        states = [self.state.get(p) or self._fresh_state(p) for p in params]
        grads = [p.grad for p in params]
        exp_avgs, exp_avg_sqs = [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states]
        steps = []
        for s in states:  # a float32 count on the CPU, as torch keeps it; read back as a Python float
            s["step"] += 1
            steps.append(s["step"].item())
        torch._foreach_lerp_(exp_avgs, grads, 1 - beta1)  # m = beta1 m + (1 - beta1) g
        torch._foreach_mul_(exp_avg_sqs, beta2)  # v = beta2 v + (1 - beta2) g^2
        torch._foreach_addcmul_(exp_avg_sqs, grads, grads, value=1 - beta2)
        denom = torch._foreach_sqrt(exp_avg_sqs)  # sqrt(v) / sqrt(1 - beta2^t) + eps
        torch._foreach_div_(denom, [(1 - beta2**t) ** 0.5 for t in steps])
        torch._foreach_add_(denom, eps)
        torch._foreach_addcdiv_(params, exp_avgs, denom, [-lr / (1 - beta1**t) for t in steps])  # w -= lr_t m / denom

    def _fresh_state(self, p: torch.Tensor) -> dict[str, torch.Tensor]:
        zeros = torch.zeros_like(p, memory_format=torch.preserve_format)
        self.state[p] = {"step": torch.tensor(0.0), "exp_avg": zeros, "exp_avg_sq": zeros.clone()}
        return self.state[p]


class CenteredRMSprop(Optimizer):
    """DeepMind's RMSProp from the Nature DQN code: ``w -= lr * g / sqrt(E[g^2] - E[g]^2 + eps)``.

    It differs from ``torch.optim.RMSprop(centered=True)`` in where epsilon goes: inside
    the square root (0.01 there, a floor on the variance), not added after it.
    Both running averages use ``alpha`` (0.95, the paper's "gradient momentum").
    """

    def __init__(self, params: Iterable, lr: float = 2.5e-4, alpha: float = 0.95, eps: float = 0.01):
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps})

    @torch.no_grad()
    def step(self) -> None:
        """One update of every parameter with a gradient."""
        for group in self.param_groups:
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state.setdefault(p, {})
                if not state:
                    state["mean"] = torch.zeros_like(p)
                    state["mean_square"] = torch.zeros_like(p)
                mean, mean_square = state["mean"], state["mean_square"]
                mean.mul_(alpha).add_(p.grad, alpha=1 - alpha)
                mean_square.mul_(alpha).addcmul_(p.grad, p.grad, value=1 - alpha)
                p.addcdiv_(p.grad, (mean_square - mean * mean + eps).sqrt(), value=-lr)
