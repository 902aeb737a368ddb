"""AtariBatch (ale-py's C++ preprocessing) plays step for step like wrap_deepmind (the Gymnasium wrappers).

Both start from one seed with no-op starts off and take one action sequence; every
step's observations, rewards, learning ends, game ends, scores and lengths must agree.
The one known difference: when a game ends within a frame skip, ale-py keeps the
frames from before the skip, so a game's very last observation may differ in its
newest frame. No learning uses it (a game's end is a true termination).
"""

import numpy as np
import pytest

from arena.envs.atari import AtariBatch, AtariOptions, make_atari_game
from arena.envs.batch import CopiesBatch, stepping_threads

SEEDS = [3, 4]


def _pair(game, clip_rewards=True):
    reference = CopiesBatch([make_atari_game(game, noop_max=0, clip_rewards=clip_rewards) for _ in SEEDS])
    batch = AtariBatch(game, len(SEEDS), AtariOptions(noop_max=0, clip_rewards=clip_rewards))
    return reference, batch


def _play(game, steps, clip_rewards=True):
    """Step both with one random action sequence; returns counts of what was compared."""
    reference, batch = _pair(game, clip_rewards)
    ref_obs, ref_infos = reference.reset(SEEDS)
    obs, infos = batch.reset(SEEDS)
    assert np.array_equal(np.asarray(ref_obs[0]), obs[0])
    assert [i[0]["lives"] for i in ref_infos] == [i[0]["lives"] for i in infos]
    rng = np.random.default_rng(0)
    seen = {"games": 0, "lives_lost": 0, "rewarded_steps": 0}
    for t in range(steps):
        actions = rng.integers(0, batch.action_spaces[0].n, len(SEEDS))
        ref, got = reference.step([list(actions)]), batch.step([actions])
        assert np.array_equal(np.asarray(ref.obs[0]), got.obs[0]), f"observations differ at step {t}"
        assert np.array_equal(ref.rewards, got.rewards), f"rewards differ at step {t}"
        assert np.array_equal(ref.terminated, got.terminated), f"learning ends differ at step {t}"
        assert np.array_equal(ref.truncated, got.truncated), f"truncations differ at step {t}"
        assert set(ref.ended) == set(got.ended), f"episode ends differ at step {t}"
        seen["rewarded_steps"] += int((got.rewards != 0).sum())
        for k, ended in got.ended.items():
            mine, theirs = ended.final_infos[0], ref.ended[k].final_infos[0]
            assert mine["game_over"] == theirs["game_over"]
            final, ref_final = ended.final_obs[0], np.asarray(ref.ended[k].final_obs[0])
            if mine["game_over"]:
                assert mine["episode"] == {"r": theirs["episode"]["r"], "l": theirs["episode"]["l"]}
                assert np.array_equal(final[:-1], ref_final[:-1])  # only the newest frame may differ
                seen["games"] += 1
            else:
                assert np.array_equal(final, ref_final)
                seen["lives_lost"] += 1
    batch.close()
    return seen


def test_breakout_step_for_step():
    """Breakout: FIRE after every start and lost life, lives end learning episodes, whole games in the records."""
    seen = _play("Breakout", 700)
    assert seen["games"] >= 4 and seen["lives_lost"] >= 15 and seen["rewarded_steps"] >= 5


def test_pong_step_for_step():
    """Pong: no lives, rewards of both signs."""
    seen = _play("Pong", 1000)
    assert seen["games"] >= 1 and seen["rewarded_steps"] >= 30


def test_true_rewards_step_for_step():
    """SpaceInvaders unclipped: rewards of 5 to 30 per kill must match too."""
    seen = _play("SpaceInvaders", 700, clip_rewards=False)
    assert seen["games"] >= 1 and seen["lives_lost"] >= 2 and seen["rewarded_steps"] >= 5


def test_a_lost_life_in_breakout_serves_a_new_ball():
    """After a lost life the game must not wait for the agent's FIRE: a NOOP-only player loses every life."""
    batch = AtariBatch("Breakout", 2, AtariOptions(noop_max=0))
    batch.reset(SEEDS)
    lives_lost, games = 0, 0
    for _ in range(2000):
        step = batch.step([np.zeros(2, np.int64)])
        for ended in step.ended.values():
            games += ended.final_infos[0]["game_over"]
            lives_lost += not ended.final_infos[0]["game_over"]
    batch.close()
    assert games >= 2 and lives_lost >= 8


def test_single_frames_and_options():
    batch = AtariBatch("Pong", 2, AtariOptions(noop_max=0), frame_stack=1)
    obs, _ = batch.reset(SEEDS)
    assert obs[0].shape == (2, 84, 84) and batch.observation_spaces[0].shape == (84, 84)
    assert batch.render(1).shape == (84, 84, 3)
    assert stepping_threads(batch) == 2  # every copy at once, by default: its workers leave it their cores
    batch.close()
    one_at_a_time = AtariBatch("Pong", 2, num_threads=1)
    assert stepping_threads(one_at_a_time) == 1
    one_at_a_time.close()
    with pytest.raises(ValueError, match="num_threads"):
        AtariBatch("Pong", 2, num_threads=0)
