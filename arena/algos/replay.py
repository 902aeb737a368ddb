"""Experience replay for the off-policy learners: frames stored once, n-step returns, prioritized sampling.

One ``Replay`` holds a worker's transitions, one ring per row (entity or copy),
all rows sharing a single priority tree. Image observations that are stacks of
frames (``(k, H, W)`` or ``(H, W, k)``) keep only each step's newest frame as
uint8; stacks are rebuilt when sampled. Every episode starts with its first
observation's whole stack, so a rebuilt stack never reaches into the previous
episode and equals what the env gave, whatever its padding. An episode's last
observation is stored too (never sampled as a start), so a time limit can
bootstrap from it.

So 1M Atari transitions take 1M x 84 x 84 bytes, about 7 GB, instead of 28 GB.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def leaves_for(size: int) -> int:
    """A sum tree's leaves for ``size`` priorities: the power of two at least ``size``."""
    return 1 << max(0, int(size - 1).bit_length())


class SumTree:
    """Sums of leaf priorities in a binary tree: set leaves, sample in proportion, both in O(log n)."""

    def __init__(self, size: int):
        self.leaves = leaves_for(size)
        self.tree = np.zeros(2 * self.leaves, dtype=np.float64)  # node i has children 2i and 2i+1; the root is 1
        self.count = 0  # leaves with a priority above 0
        self.depth = self.leaves.bit_length() - 1
        self.changes = 0

    @property
    def total(self) -> float:
        """The sum of every priority."""
        return float(self.tree[1])

    def get(self, index: np.ndarray) -> np.ndarray:
        """The priorities of leaves ``index``."""
        return self.tree[self.leaves + np.asarray(index)]

    def set(self, index: np.ndarray | int, priority: np.ndarray | float) -> None:
        """Give leaves ``index`` these priorities (repeated indices keep the last)."""
        index = np.asarray(index, dtype=np.int64).reshape(-1)
        priority = np.broadcast_to(np.asarray(priority, dtype=np.float64), index.shape)
        if len(index) > 1:  # keep each leaf's last value
            last = len(index) - 1 - np.unique(index[::-1], return_index=True)[1]
            index, priority = index[last], priority[last]
        leaves = self.leaves + index
        delta = priority - self.tree[leaves]
        self.count += int(np.count_nonzero(priority > 0) - np.count_nonzero(self.tree[leaves] > 0))
        self.tree[leaves] = priority
        # Every ancestor gains the change of its leaves; np.add.at adds repeated ancestors once each.
        ancestors = leaves[None, :] >> np.arange(1, self.depth + 1)[:, None]
        np.add.at(self.tree, ancestors.reshape(-1), np.broadcast_to(delta, ancestors.shape).reshape(-1))
        self.changes += len(index)
        if self.changes >= self.leaves:  # sums of many small changes drift: rebuild them exactly now and then
            self.rebuild()

    def rebuild(self) -> None:
        """Every inner node from its children, bottom up."""
        self.changes = 0
        level = self.leaves
        while level > 1:
            parents = np.arange(level // 2, level)
            self.tree[parents] = self.tree[2 * parents] + self.tree[2 * parents + 1]
            level //= 2

    def find(self, mass: np.ndarray) -> np.ndarray:
        """The leaves where cumulative priority reaches ``mass`` (each in [0, total))."""
        mass = np.array(mass, dtype=np.float64)
        nodes = np.ones(mass.shape, dtype=np.int64)
        while nodes[0] < self.leaves:
            left = 2 * nodes
            go_right = mass >= self.tree[left]
            mass -= np.where(go_right, self.tree[left], 0.0)
            nodes = left + go_right
        return nodes - self.leaves

    def sample(self, batch: int, rng: np.random.Generator) -> np.ndarray:
        """``batch`` leaves in proportion to priority, one from each of ``batch`` equal slices of the mass."""
        bounds = (np.arange(batch) + rng.random(batch)) * (self.total / batch)
        leaves = self.find(np.minimum(bounds, np.nextafter(self.total, 0)))
        # Floating-point sums can land a draw on an empty leaf; move those to the largest-priority neighbour.
        empty = self.get(leaves) <= 0
        if empty.any():
            leaves[empty] = self.find(np.full(int(empty.sum()), self.total * 0.5))
        return leaves


@dataclass
class Batch:
    """Sampled transitions: n-step returns, what to bootstrap from, and the importance weights."""

    obs: np.ndarray
    actions: np.ndarray
    returns: np.ndarray  # sum of discounted rewards over the (up to) n steps
    next_obs: np.ndarray
    discounts: np.ndarray  # gamma ** steps, or 0 where the episode terminated within them
    weights: np.ndarray  # importance-sampling weights (all 1 for uniform replay)
    indices: np.ndarray  # for update_priorities
    next_masks: np.ndarray | None = None  # the legal actions at next_obs, in a masked game (mask_size > 0)


def stack_axis_of(shape: tuple[int, ...]) -> int | None:
    """The axis of a frame stack in a uint8 image observation (the small one: 2 to 4 frames), or None."""
    if len(shape) != 3:
        return None
    if 2 <= shape[0] <= 4 < shape[-1]:
        return 0
    if 2 <= shape[-1] <= 4 < shape[0]:
        return 2
    return None


class Replay:
    """A worker's replay memory: ``capacity`` transitions over ``rows`` parallel episodes streams.

    ``start(row, obs)`` begins an episode; ``add(row, action, reward, terminated,
    truncated, next_obs)`` records a step. ``sample`` draws n-step transitions,
    uniformly or (``alpha > 0``) in proportion to priority ** alpha.
    """

    def __init__(
        self,
        capacity: int,
        rows: int,
        obs_shape: tuple[int, ...],
        obs_dtype: np.dtype,
        action_shape: tuple[int, ...] = (),
        action_dtype: np.dtype = np.int64,
        n_step: int = 1,
        gamma: float = 0.99,
        alpha: float = 0.0,
        frame_stack: bool | None = None,
        seed: int | None = None,
        reward_shape: tuple[int, ...] = (),
        mask_size: int = 0,
    ):
        self.rows, self.n_step, self.gamma, self.alpha = rows, n_step, gamma, alpha
        self.reward_shape = tuple(reward_shape)  # () for one reward a step; (E,) for a joint step of E entities
        self.size = capacity // rows  # entries per row
        axis = stack_axis_of(obs_shape) if np.dtype(obs_dtype) == np.uint8 else None
        self.axis = axis if frame_stack is not False else None
        if frame_stack and self.axis is None:
            raise ValueError(f"frame_stack=True needs uint8 observations stacked on a small axis, not {obs_shape}")
        self.obs_shape = tuple(obs_shape)
        self.k = obs_shape[self.axis] if self.axis is not None else 1  # frames per observation
        frame_shape = (
            tuple(s for i, s in enumerate(obs_shape) if i != self.axis) if self.axis is not None else obs_shape
        )
        if self.size < self.k + n_step + 1:
            raise ValueError(f"replay of {capacity} for {rows} rows is too small: each row needs {self.k + n_step + 1}")
        n = rows * self.size
        self.frames = np.zeros((n, *frame_shape), dtype=obs_dtype)
        self.actions = np.zeros((n, *action_shape), dtype=action_dtype)
        self.rewards = np.zeros((n, *self.reward_shape), dtype=np.float32)
        self.terminated = np.zeros(n, dtype=bool)
        # A masked game: each entry's legal actions, for the target's max over the next observation's.
        self.masks = np.ones((n, mask_size), dtype=bool) if mask_size else None
        self.ends = np.zeros(n, dtype=bool)  # the episode ended with this entry's step
        self.acted = np.zeros(n, dtype=bool)  # this entry's observation has its action and reward
        self.written = np.zeros(rows, dtype=np.int64)  # entries each row has ever written
        self.tree = SumTree(n)
        self.max_priority = 1.0
        self.rng = np.random.default_rng(seed)

    @staticmethod
    def bytes_needed(capacity: int, obs_shape: tuple[int, ...], obs_dtype: np.dtype, frame_stack: bool = True) -> int:
        """The memory ``capacity`` transitions take (observations dominate; frame stacks count one frame)."""
        frames = int(np.prod(obs_shape)) * np.dtype(obs_dtype).itemsize
        axis = stack_axis_of(obs_shape) if np.dtype(obs_dtype) == np.uint8 and frame_stack else None
        if axis is not None:
            frames //= obs_shape[axis]
        return capacity * (frames + 8 + 4 + 3) + 2 * leaves_for(capacity) * 8

    def __len__(self) -> int:
        """Transitions that can be sampled now."""
        return self.tree.count

    # ------------------------------------------------------------ writing
    def start(self, row: int, obs: np.ndarray, mask: np.ndarray | None = None) -> None:
        """Begin an episode on ``row`` with its first observation (and, in a masked game, its legal actions)."""
        if self.axis is None:
            self._push(row, obs, mask)
            return
        for frame in np.moveaxis(np.asarray(obs), self.axis, 0):
            self._push(row, frame, mask)

    def add(
        self,
        row: int,
        action: np.ndarray,
        reward: float | np.ndarray,
        terminated: bool,
        truncated: bool,
        next_obs: np.ndarray,
        next_mask: np.ndarray | None = None,
    ) -> None:
        """Record the step taken from ``row``'s newest observation; ``next_obs`` is where it led (the last one too)."""
        last = self._entry(row, self.written[row] - 1)
        self.actions[last], self.rewards[last] = action, reward
        self.terminated[last], self.ends[last], self.acted[last] = terminated, terminated or truncated, True
        if self.axis is not None:
            self._check_stack(row, next_obs)
            self._push(row, np.take(next_obs, -1, axis=self.axis), next_mask)
        else:
            self._push(row, next_obs, next_mask)
        # Entries whose n steps (or episode) are now complete become sampleable.
        if terminated or truncated:
            ready = range(max(self.written[row] - 1 - self.n_step, self._oldest_start(row)), self.written[row] - 1)
        else:
            ready = [self.written[row] - 1 - self.n_step] if self.written[row] - 1 - self.n_step >= 0 else []
        for logical in ready:
            entry = self._entry(row, logical)
            # An episode's last steps, reached again from the next episode, keep their priority.
            if self.acted[entry] and logical - (self.k - 1) >= self._oldest(row) and self.tree.get(entry) == 0:
                self.tree.set(entry, self.max_priority**self.alpha)

    def _push(self, row: int, frame: np.ndarray, mask: np.ndarray | None = None) -> None:
        """Write one entry; entries whose stack this overwrites can no longer be sampled."""
        logical = self.written[row]
        entry = self._entry(row, logical)
        self.frames[entry] = frame
        if self.masks is not None:
            self.masks[entry] = True if mask is None else mask
        self.acted[entry] = self.ends[entry] = self.terminated[entry] = False
        doomed = self._entry(row, np.arange(logical, logical + self.k))  # stacks reaching back to this slot
        doomed = doomed[self.tree.get(doomed) > 0]
        if len(doomed):
            self.tree.set(doomed, 0.0)
        self.written[row] = logical + 1

    def _check_stack(self, row: int, next_obs: np.ndarray) -> None:
        """ValueError unless ``next_obs`` is the previous stack moved on by one frame (checked once per row)."""
        if self.written[row] > self.k + 1 or self.k < 2:
            return
        previous = self._stack(np.array([self._entry(row, self.written[row] - 1)]), np.array([row]))[0]
        if not np.array_equal(
            np.take(previous, range(1, self.k), self.axis), np.take(next_obs, range(self.k - 1), self.axis)
        ):
            raise ValueError(
                f"observations {self.obs_shape} are not stacks of frames on axis {self.axis} (each step should drop "
                "the oldest frame and add one); pass frame_stack=False to store whole observations"
            )

    def _entry(self, row: int, logical: int | np.ndarray) -> int | np.ndarray:
        return row * self.size + np.mod(logical, self.size)

    def _oldest(self, row: int) -> int:
        return max(int(self.written[row]) - self.size, 0)

    def _oldest_start(self, row: int) -> int:
        return self._oldest(row) + self.k - 1

    # ----------------------------------------------------------- sampling
    def sample(self, batch: int, beta: float = 0.4) -> Batch:
        """``batch`` n-step transitions; with priorities, importance weights ``(N P(i)) ** -beta`` over their max."""
        if self.tree.total <= 0:
            raise ValueError("the replay has no complete transition to sample yet")
        if self.alpha > 0:
            entries = self.tree.sample(batch, self.rng)
            probs = self.tree.get(entries) / self.tree.total
            weights = (len(self) * probs) ** -beta
            weights = (weights / weights.max()).astype(np.float32)
        else:
            entries = self._uniform(batch)
            weights = np.ones(batch, dtype=np.float32)
        rows = entries // self.size
        returns, discounts, steps = self._n_step(entries)
        next_entries = rows * self.size + np.mod(entries + steps, self.size)
        return Batch(
            obs=self._stack(entries, rows),
            actions=self.actions[entries],
            returns=returns,
            next_obs=self._stack(next_entries, rows),
            discounts=discounts,
            weights=weights,
            indices=entries,
            next_masks=None if self.masks is None else self.masks[next_entries],
        )

    def _uniform(self, batch: int) -> np.ndarray:
        """Sampleable entries, uniformly: draw among the entries each row holds, keep those with a priority."""
        lo = np.maximum(self.written - self.size, 0)
        counts = self.written - lo
        ends = np.cumsum(counts)
        chosen: list[np.ndarray] = []
        need = batch
        while need > 0:
            draws = self.rng.integers(0, ends[-1], size=need + 8)
            rows = np.searchsorted(ends, draws, side="right")
            logical = lo[rows] + draws - (ends[rows] - counts[rows])
            entries = self._entry(rows, logical)
            entries = entries[self.tree.get(entries) > 0][:need]
            chosen.append(entries)
            need -= len(entries)
        return np.concatenate(chosen)

    def _n_step(self, entries: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Discounted rewards up to n steps or the episode's end; the bootstrap discount; the steps taken."""
        rows, pos = entries // self.size, entries % self.size
        returns = np.zeros((len(entries), *self.reward_shape), dtype=np.float32)
        discount = np.ones(len(entries), dtype=np.float32)
        steps = np.zeros(len(entries), dtype=np.int64)
        running = np.ones(len(entries), dtype=bool)
        terminated = np.zeros(len(entries), dtype=bool)
        per_reward = (slice(None),) + (None,) * len(self.reward_shape)  # broadcast over a joint step's rewards
        for i in range(self.n_step):
            at = rows * self.size + (pos + i) % self.size
            returns += np.where(running[per_reward], discount[per_reward] * self.rewards[at], 0.0).astype(np.float32)
            discount = np.where(running, discount * self.gamma, discount).astype(np.float32)
            steps += running
            terminated |= running & self.terminated[at]
            running &= ~self.ends[at]
        return returns, np.where(terminated, 0.0, discount).astype(np.float32), steps

    def _stack(self, entries: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The observations at ``entries``: the entry's frame and the k-1 before it, on the stack axis."""
        if self.axis is None:
            return self.frames[entries]
        back = np.arange(-(self.k - 1), 1)
        at = rows[:, None] * self.size + np.mod(entries[:, None] % self.size + back, self.size)
        stacks = self.frames[at]  # (B, k, H, W)
        return stacks if self.axis == 0 else np.moveaxis(stacks, 1, -1)

    def update_priorities(self, indices: np.ndarray, td_errors: np.ndarray, eps: float = 1e-6) -> None:
        """New priorities ``|td| + eps`` for sampled transitions (no effect on uniform replay)."""
        if self.alpha <= 0:
            return
        priority = np.abs(np.asarray(td_errors, dtype=np.float64)) + eps
        live = self.tree.get(indices) > 0  # an entry overwritten since it was sampled stays unsampleable
        self.tree.set(indices[live], priority[live] ** self.alpha)
        self.max_priority = max(self.max_priority, float(priority.max()))
