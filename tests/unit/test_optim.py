"""arena.algos.optim: Adam gives torch.optim.Adam's weights bit for bit, and their state dicts load either way."""

import copy
import subprocess
import sys

import pytest
import torch
from torch import nn

from arena.algos.optim import Adam, CenteredRMSprop


def net(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(2, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))


def train(model: nn.Module, optimizer, steps: range, lr_at=None) -> None:
    """Steps of a fixed regression; the learning rate set per step when ``lr_at`` is given (as PPO anneals it)."""
    for i in steps:
        torch.manual_seed(100 + i)
        x, y = torch.randn(16, 2, 8, 8), torch.randn(16, 3)
        if lr_at is not None:
            optimizer.param_groups[0]["lr"] = lr_at(i)
        optimizer.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        optimizer.step()


def same_weights(a: nn.Module, b: nn.Module) -> bool:
    return all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


@pytest.mark.parametrize("kwargs", [{}, {"lr": 2.5e-4, "eps": 1e-5}, {"lr": 3e-4, "betas": (0.5, 0.99)}])
def test_adam_gives_torchs_weights_bit_for_bit(kwargs):
    ours, theirs = net(), net()
    anneal = lambda i: kwargs.get("lr", 1e-3) * (1 - i / 40)  # noqa: E731
    train(ours, Adam(ours.parameters(), **kwargs), range(30), anneal)
    train(theirs, torch.optim.Adam(theirs.parameters(), **kwargs), range(30), anneal)
    assert same_weights(ours, theirs)


def test_state_dicts_load_either_way_and_training_goes_on_the_same():
    a, b, c = net(), net(), net()
    adam_a, adam_b = Adam(a.parameters(), lr=1e-3), torch.optim.Adam(b.parameters(), lr=1e-3)
    train(a, adam_a, range(5))
    train(b, adam_b, range(5))
    c.load_state_dict(b.state_dict())
    adam_c = Adam(c.parameters(), lr=1.0)  # the learning rate comes back from the saved groups
    # Copies, as a checkpoint gives: like torch's, the state dict holds the optimizer's live tensors.
    adam_c.load_state_dict(copy.deepcopy(adam_b.state_dict()))  # torch's state into ours
    adam_b.load_state_dict(copy.deepcopy(adam_a.state_dict()))  # ours into torch's
    train(a, adam_a, range(5, 10))
    train(b, adam_b, range(5, 10))
    train(c, adam_c, range(5, 10))
    assert same_weights(a, b) and same_weights(a, c)
    assert adam_c.param_groups[0]["lr"] == 1e-3 and adam_c.state_dict()["state"][0]["step"].item() == 10


def test_a_state_dict_survives_a_weights_only_checkpoint_and_refuses_other_shapes(tmp_path):
    model = net()
    adam = Adam(model.parameters())
    train(model, adam, range(3))
    torch.save({"optimizer": adam.state_dict()}, tmp_path / "c.pt")
    again = Adam(net().parameters())
    again.load_state_dict(torch.load(tmp_path / "c.pt", weights_only=True)["optimizer"])
    saved, loaded = adam.state_dict()["state"], again.state_dict()["state"]
    assert all(torch.equal(saved[i]["exp_avg_sq"], loaded[i]["exp_avg_sq"]) for i in saved)
    with pytest.raises(ValueError, match="groups of"):
        Adam(nn.Linear(2, 2).parameters()).load_state_dict(adam.state_dict())
    decayed = torch.optim.Adam(model.parameters(), weight_decay=0.01)
    with pytest.raises(ValueError, match="weight_decay"):
        again.load_state_dict(decayed.state_dict())


def test_centered_rmsprop_puts_epsilon_under_the_root():
    w = nn.Parameter(torch.tensor([1.0]))
    opt = CenteredRMSprop([w], lr=0.1, alpha=0.5, eps=0.01)
    w.grad = torch.tensor([2.0])
    opt.step()  # mean = 1, mean square = 2: w -= 0.1 * 2 / sqrt(2 - 1 + 0.01)
    assert w.item() == pytest.approx(1 - 0.2 / 1.01**0.5)
    again = CenteredRMSprop([nn.Parameter(torch.tensor([1.0]))])
    again.load_state_dict(opt.state_dict())
    assert again.param_groups[0]["alpha"] == 0.5 and again.state_dict()["state"][0]["mean"].item() == 1.0


def test_neither_optimizer_imports_torchs_compiler():
    # In a fresh interpreter: this process has imported torch._dynamo through torch.optim above.
    code = (
        "import sys, torch; from arena.algos.optim import Adam, CenteredRMSprop\n"
        "model = torch.nn.Linear(3, 2)\n"
        "for opt in (Adam(model.parameters()), CenteredRMSprop(model.parameters())):\n"
        "    model(torch.ones(1, 3)).sum().backward(); opt.step(); opt.load_state_dict(opt.state_dict())\n"
        "print(sorted(m for m in sys.modules if m.startswith('torch._dynamo')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
