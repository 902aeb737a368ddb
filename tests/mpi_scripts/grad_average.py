"""Gradient averaging over 2+ ranks equals the gradient of the same loss over all ranks' data, in one process.

Ranks hold unequal batches (16, 32, 48, ... samples), so an unweighted mean of their gradients would differ.
"""

import numpy as np
import torch
from gymnasium import spaces

from arena.algos.networks import ActorCritic
from arena.algos.torch_sync import GradientAverager
from arena.mpi import comm as mpi

comm = mpi.world()  # stands in for a policy_comm
rank, size = mpi.rank_of(comm), mpi.size_of(comm)
obs_space, act_space = spaces.Box(-1, 1, (6,), np.float32), spaces.Discrete(4)


def batch(r):
    g = torch.Generator().manual_seed(100 + r)
    n = 16 * (r + 1)
    return torch.randn(n, 6, generator=g), torch.randint(0, 4, (n,), generator=g), torch.randn(n, generator=g)


def loss_of(model, obs, actions, returns):
    _, logp, ent, value = model.act_and_value(obs, actions)
    return -(logp * returns).mean() + 0.5 * ((value - returns) ** 2).mean() - 0.01 * ent.mean()


torch.manual_seed(0)
model = ActorCritic(obs_space, act_space)
loss_of(model, *batch(rank)).backward()
GradientAverager(list(model.parameters()), comm)(samples=len(batch(rank)[0]))
averaged = torch.cat([p.grad.reshape(-1) for p in model.parameters()]).numpy()

torch.manual_seed(0)
reference = ActorCritic(obs_space, act_space)
data = [batch(r) for r in range(size)]
obs, actions, returns = (torch.cat([d[i] for d in data]) for i in range(3))
loss_of(reference, obs, actions, returns).backward()
expected = torch.cat([p.grad.reshape(-1) for p in reference.parameters()]).numpy()

np.testing.assert_allclose(averaged, expected, rtol=1e-4, atol=1e-6)
root = averaged.copy()
mpi.broadcast_array(root, comm)
assert np.array_equal(root, averaged), "averaged gradients differ between ranks"
print(f"rank {rank}: averaged gradient matches ({averaged.size} values)", flush=True)
