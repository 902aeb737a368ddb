"""Replay: frame stacks rebuilt across episodes, the ring's wrap, n-step returns, the sum tree, importance weights."""

import numpy as np
import pytest

from arena.algos.replay import Replay, SumTree


def stacked(frames: list[int], k: int = 4) -> np.ndarray:
    """A (k, 5, 6) uint8 stack whose frame j is filled with frames[j] (stands in for 84x84 frames)."""
    return np.stack([np.full((5, 6), f, np.uint8) for f in frames[-k:]])


def frame_ids(obs: np.ndarray) -> list[int]:
    return [int(f[0, 0]) for f in obs]


class Episodes:
    """Plays episodes of stacked frames whose pixel value is a running frame number, recording the truth."""

    def __init__(self, replay: Replay, row: int = 0, pad: str = "repeat"):
        self.replay, self.row, self.pad = replay, row, pad
        self.next_frame = 1
        self.truth: dict[tuple[int, ...], tuple] = {}  # obs frames -> (action, reward, next frames, term)

    def episode(self, length: int, terminated: bool = True) -> None:
        first = self.next_frame
        self.next_frame += 1
        history = [first] * 4 if self.pad == "repeat" else [0, 0, 0, first]
        self.replay.start(self.row, stacked(history))
        for t in range(length):
            new = self.next_frame
            self.next_frame += 1
            before = list(history[-4:])
            history.append(new)
            end = t == length - 1
            action, reward = new % 5, float(new)
            self.replay.add(self.row, action, reward, end and terminated, end and not terminated, stacked(history))
            self.truth[tuple(before)] = (action, reward, tuple(history[-4:]), end and terminated, end)


@pytest.mark.parametrize("pad", ["repeat", "zeros"])
def test_stacks_are_rebuilt_exactly_across_episode_boundaries(pad):
    replay = Replay(1000, 1, (4, 5, 6), np.uint8, n_step=1, gamma=0.5, seed=0)
    play = Episodes(replay, pad=pad)
    for length in (3, 1, 5, 2):
        play.episode(length, terminated=length != 5)
    assert len(replay) == 11
    batch = replay.sample(200)
    seen = set()
    for i in range(200):
        obs = tuple(frame_ids(batch.obs[i]))
        action, reward, nxt, term, _ = play.truth[obs]
        assert batch.actions[i] == action and batch.returns[i] == reward
        assert tuple(frame_ids(batch.next_obs[i])) == nxt
        assert batch.discounts[i] == (0.0 if term else 0.5)
        seen.add(obs)
    assert len(seen) == 11  # every transition, including the one-step episode and the truncated end


def test_channels_last_stacks_round_trip():
    replay = Replay(100, 1, (5, 6, 4), np.uint8, seed=0)
    obs = np.moveaxis(stacked([1, 1, 1, 1]), 0, -1)
    replay.start(0, obs)
    nxt = np.moveaxis(stacked([1, 1, 1, 2]), 0, -1)
    replay.add(0, 3, 1.0, True, False, nxt)
    batch = replay.sample(4)
    assert batch.obs.shape == (4, 5, 6, 4)
    np.testing.assert_array_equal(batch.obs[0], obs)
    np.testing.assert_array_equal(batch.next_obs[0], nxt)


def test_observations_that_are_not_frame_stacks_are_refused():
    replay = Replay(100, 1, (4, 5, 6), np.uint8, seed=0)
    replay.start(0, stacked([1, 2, 3, 4]))
    with pytest.raises(ValueError, match="frame_stack=False"):
        replay.add(0, 0, 0.0, False, False, stacked([9, 9, 9, 9]))
    whole = Replay(100, 1, (4, 5, 6), np.uint8, frame_stack=False, seed=0)
    whole.start(0, stacked([1, 2, 3, 4]))
    whole.add(0, 0, 0.0, True, False, stacked([9, 9, 9, 9]))
    assert frame_ids(whole.sample(1).next_obs[0]) == [9, 9, 9, 9]


def test_the_ring_wraps_and_only_whole_stacks_are_sampled():
    replay = Replay(20, 1, (4, 5, 6), np.uint8, n_step=1, seed=1)
    play = Episodes(replay)
    for _ in range(6):
        play.episode(7)  # 6 episodes x 11 entries: the ring of 20 wraps three times
    assert replay.written[0] == 66
    batch = replay.sample(500)
    for i in range(500):
        obs = tuple(frame_ids(batch.obs[i]))
        assert obs in play.truth  # a stack mixing overwritten frames would not be
        assert tuple(frame_ids(batch.next_obs[i])) == play.truth[obs][2]
    # Entries still in the ring whose stacks are whole: the last episode's 7 and the previous one's last ones.
    oldest = max(frame_ids(batch.obs[i])[-1] for i in range(500))
    assert oldest == play.next_frame - 2
    assert 7 <= len(replay) <= 20 - 3


def test_n_step_returns_stop_at_terminations_and_bootstrap_at_truncations():
    gamma = 0.9
    replay = Replay(200, 1, (4, 5, 6), np.uint8, n_step=3, gamma=gamma, seed=2)
    play = Episodes(replay)
    play.episode(5, terminated=True)  # rewards are the frame numbers 2..6
    play.episode(2, terminated=False)  # frames 8, 9; cut by a time limit
    expected = {
        # first frame of the obs -> (n-step return, discount, frames of the bootstrap obs)
        (1, 1, 1, 1): (2 + gamma * 3 + gamma**2 * 4, gamma**3, (1, 2, 3, 4)),
        (1, 1, 2, 3): (4 + gamma * 5 + gamma**2 * 6, 0.0, (3, 4, 5, 6)),  # terminated after 3 steps
        (2, 3, 4, 5): (6, 0.0, (3, 4, 5, 6)),
        (7, 7, 7, 7): (8 + gamma * 9, gamma**2, (7, 7, 8, 9)),  # truncated: bootstrap from the last obs
        (7, 7, 7, 8): (9, gamma, (7, 7, 8, 9)),
    }
    batch = replay.sample(300)
    hits = set()
    for i in range(300):
        obs = tuple(frame_ids(batch.obs[i]))
        if obs in expected:
            ret, disc, nxt = expected[obs]
            assert batch.returns[i] == pytest.approx(ret, rel=1e-6)
            assert batch.discounts[i] == pytest.approx(disc, rel=1e-6)
            assert tuple(frame_ids(batch.next_obs[i])) == nxt
            hits.add(obs)
    assert hits == set(expected)
    assert len(replay) == 7


def test_n_step_entries_wait_for_their_n_steps():
    replay = Replay(200, 1, (4, 5, 6), np.uint8, n_step=3, seed=0)
    replay.start(0, stacked([1, 1, 1, 1]))
    for t, new in enumerate(range(2, 5)):
        replay.add(0, 0, 1.0, False, False, stacked([1, 1, 1] + list(range(2, new + 1))))
        assert len(replay) == (1 if t == 2 else 0)


def test_rows_keep_separate_episodes():
    replay = Replay(100, 2, (4, 5, 6), np.uint8, n_step=2, gamma=1.0, seed=0)
    a, b = Episodes(replay, row=0), Episodes(replay, row=1)
    b.next_frame = 100
    a.episode(3)
    b.episode(4)
    batch = replay.sample(200)
    for i in range(200):
        obs = tuple(frame_ids(batch.obs[i]))
        assert obs in a.truth or obs in b.truth
        nxt = frame_ids(batch.next_obs[i])
        assert (obs[0] < 100) == (nxt[0] < 100)


def test_vector_observations_are_stored_whole():
    replay = Replay(50, 1, (3,), np.float32, n_step=1, seed=0)
    replay.start(0, np.array([0.1, 0.2, 0.3], np.float32))
    replay.add(0, 1, 2.0, False, True, np.array([1.0, 2.0, 3.0], np.float32))
    batch = replay.sample(2)
    np.testing.assert_allclose(batch.obs[0], [0.1, 0.2, 0.3])
    np.testing.assert_allclose(batch.next_obs[0], [1.0, 2.0, 3.0])
    assert batch.discounts[0] == pytest.approx(0.99)


def test_sum_tree_samples_in_proportion_to_priority():
    tree = SumTree(5)
    priorities = np.array([1.0, 0.0, 3.0, 6.0, 0.0])
    tree.set(np.arange(5), priorities)
    assert tree.total == pytest.approx(10.0)
    assert tree.count == 3
    rng = np.random.default_rng(0)
    draws = np.concatenate([tree.sample(32, rng) for _ in range(1000)])
    freq = np.bincount(draws, minlength=5) / len(draws)
    np.testing.assert_allclose(freq, priorities / 10, atol=0.01)
    tree.set(np.array([3, 3]), np.array([2.0, 0.0]))  # a repeated index keeps its last value
    assert tree.total == pytest.approx(4.0) and tree.count == 2


def test_importance_weights_follow_priorities():
    replay = Replay(100, 1, (3,), np.float32, alpha=1.0, seed=0)
    replay.start(0, np.zeros(3, np.float32))
    for t in range(4):
        replay.add(0, t, 0.0, t == 3, False, np.full(3, t + 1, np.float32))
    assert len(replay) == 4
    idx = replay.sample(4).indices
    replay.update_priorities(np.sort(idx), np.array([1.0, 2.0, 4.0, 8.0]))
    batch = replay.sample(2000, beta=0.5)
    total = 15.0 + 4e-6
    prob = {a: (2**a + 1e-6) / total for a in range(4)}
    for action, weight in zip(batch.actions, batch.weights):
        # w = (N P)^-beta / max over the batch; the smallest priority (action 0) always has weight 1
        expected = (4 * prob[int(action)]) ** -0.5 / (4 * prob[0]) ** -0.5
        assert weight == pytest.approx(expected, rel=1e-5)
    counts = np.bincount(batch.actions, minlength=4) / 2000
    np.testing.assert_allclose(counts, [prob[a] for a in range(4)], atol=0.03)
    assert replay.max_priority == pytest.approx(8.0 + 1e-6)


def test_new_transitions_get_the_highest_priority_so_far():
    replay = Replay(100, 1, (3,), np.float32, alpha=0.6, seed=0)
    replay.start(0, np.zeros(3, np.float32))
    replay.add(0, 0, 0.0, False, False, np.ones(3, np.float32))
    replay.update_priorities(replay.sample(1).indices, np.array([5.0]))
    replay.add(0, 1, 0.0, True, False, np.ones(3, np.float32))
    assert replay.tree.get(np.array([1]))[0] == pytest.approx((5.0 + 1e-6) ** 0.6)


def test_memory_estimate_counts_one_frame_per_stacked_step():
    atari = Replay.bytes_needed(1_000_000, (4, 84, 84), np.uint8)
    assert 7.0e9 < atari < 7.2e9
    assert Replay.bytes_needed(1_000_000, (4, 84, 84), np.uint8, frame_stack=False) > 28e9


def test_too_small_a_replay_is_refused():
    with pytest.raises(ValueError, match="too small"):
        Replay(8, 2, (4, 5, 6), np.uint8, n_step=3)
