"""Action masks: the checker checks them and plays only legal actions; the random player picks legal ones."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium import spaces

from arena.algos.dqn import DQN, bootstrap_values, legal_q
from arena.algos.networks import ActorCritic
from arena.algos.ppo import PPO
from arena.algos.ppo_lstm import PPOLSTM
from arena.algos.random_policy import RandomPolicy
from arena.algos.replay import Replay
from arena.algos.sac import SAC
from arena.envs.check_env import check_env
from arena.envs.masks import has_mask, legal_sample, mask_of, mask_problem
from arena.mpi import comm as mpi
from arena.storage.records import PolicyRecord


class Takeaway(gym.Env):
    """Take 1 to 3 of N stones; more than are left is illegal (and raises). The last taker wins."""

    def __init__(self, stones: int = 7, bad_mask: str = ""):
        self.stones, self.bad_mask = stones, bad_mask
        self.action_space = spaces.Discrete(3)  # take action + 1 stones
        self.observation_space = spaces.Dict(
            {
                "observation": spaces.Box(0, stones, (1,), np.int64),
                "action_mask": spaces.MultiBinary(4 if bad_mask == "shape" else 3),  # "shape": a space that lies
            }
        )

    def _obs(self) -> dict:
        mask = (np.arange(1, 4) <= self.left).astype(np.int8)
        if self.bad_mask == "none" and self.left < self.stones:
            mask[:] = 0
        if self.bad_mask == "shape":
            mask = np.ones(4, np.int8)
        return {"observation": np.array([self.left]), "action_mask": mask}

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.left = self.stones
        return self._obs(), {}

    def step(self, action):
        if action + 1 > self.left:
            raise ValueError(f"illegal move: take {action + 1} of {self.left}")
        self.left -= action + 1
        return self._obs(), float(self.left == 0), self.left == 0, False, {}


def takeaways(copies: int, stones: int) -> gym.Env:
    """One Takeaway, or ``copies`` of them in a vector env that resets copies in the step they end (as the arena)."""
    if copies == 1:
        return Takeaway(stones=stones)
    same_step = gym.vector.AutoresetMode.SAME_STEP
    return gym.vector.SyncVectorEnv([lambda: Takeaway(stones=stones) for _ in range(copies)], autoreset_mode=same_step)


def make_takeaway(**kwargs):
    from arena.wrappers.single_agent_wrappers import single_agent_wrapper

    return single_agent_wrapper(Takeaway(**kwargs))


def test_a_mask_is_read_from_the_observation_or_the_info_and_checked():
    assert has_mask(Takeaway().observation_space) and not has_mask(spaces.Box(0, 1, (2,)))
    assert mask_of({"action_mask": [1, 0, 1]}).tolist() == [True, False, True]
    assert mask_of(np.zeros(2), {"action_mask": [0, 1]}).tolist() == [False, True]
    assert mask_of(np.zeros(2), {}) is None
    act = spaces.Discrete(3)
    assert mask_problem([1, 0, 1], act) is None
    assert "shape (2,)" in mask_problem([1, 0], act)
    assert "only 0 and 1" in mask_problem([2, 0, 1], act)
    assert "allows no action" in mask_problem([0, 0, 0], act)
    assert "Discrete" in mask_problem([1], spaces.Box(0, 1, (1,)))


def test_legal_samples_never_pick_a_masked_action():
    act = spaces.Discrete(5)
    act.seed(0)
    drawn = {int(legal_sample(act, np.array([0, 1, 0, 1, 0], bool))) for _ in range(200)}
    assert drawn == {1, 3}


def test_the_checker_plays_only_legal_actions_and_names_a_bad_mask():
    report = check_env(make_takeaway, steps=300)
    assert report.ok, str(report)  # an illegal move would raise inside the env
    assert "action masks checked on 300 steps, and only legal actions played" in str(report)
    none = check_env(make_takeaway, steps=50, bad_mask="none")
    assert not none.ok and "step 2, entity 0: the action mask allows no action" in str(none)
    shape = check_env(make_takeaway, steps=50, bad_mask="shape")
    assert not shape.ok and "the action mask has shape (4,), but the action space Discrete(3) needs (3,)" in str(shape)


@pytest.mark.parametrize("copies", [1, 4])
def test_the_random_player_picks_only_legal_actions(copies):
    if copies == 1:
        env = Takeaway(stones=5)
    else:
        env = gym.vector.SyncVectorEnv([lambda: Takeaway(stones=5) for _ in range(copies)])
    player = RandomPolicy(env, None, seed=3)
    player.run(400, "unused")  # Takeaway raises on an illegal move
    obs, _ = env.reset(seed=1)
    taken = player.act(obs)
    assert np.all(np.asarray(taken) <= 2)


def test_ppo_takes_masked_games_and_the_learners_that_cannot_refuse_them_at_kickoff():
    obs = Takeaway().observation_space
    PPO.check_spaces(obs, spaces.Discrete(3))  # PPO and recurrent PPO read the mask
    PPOLSTM.check_spaces(obs, spaces.Discrete(3))
    DQN.check_spaces(obs, spaces.Discrete(3))
    with pytest.raises(ValueError, match="an action mask needs a Discrete action space"):
        PPO.check_spaces(obs, spaces.Box(-1, 1, (3,)))
    with pytest.raises(ValueError, match="observations carry an action mask .* do not read yet"):
        SAC.check_spaces(obs, spaces.Box(-1, 1, (3,)))


def test_a_masked_action_has_probability_zero_and_no_nan():
    agent = ActorCritic(spaces.Box(0, 7, (1,), np.int64), spaces.Discrete(3))
    obs = torch.zeros((64, 1))
    mask = torch.tensor([[False, True, False]] * 64)
    action, log_prob, entropy, _ = agent.act_and_value(obs, mask=mask)
    assert (action == 1).all() and torch.allclose(log_prob, torch.zeros(64), atol=1e-6)
    assert torch.isfinite(entropy).all() and entropy.abs().max() < 1e-5
    scored = agent.act_and_value(obs, torch.zeros(64, dtype=torch.long), mask=mask)[1]
    assert (scored < -1e6).all()  # an illegal action scored under the mask: no probability


@pytest.mark.parametrize("learner,copies", [(PPO, 1), (PPO, 4), (PPOLSTM, 1), (PPOLSTM, 4)])
def test_ppo_plays_only_legal_moves_and_learns_from_them(learner, copies, tmp_path):
    env = takeaways(copies, stones=6)
    record = PolicyRecord(1, str(tmp_path))
    ppo = learner(env, mpi.world(), seed=0, n_steps=16, n_minibatches=2, evaluation=False)
    ppo.run(160, record.data_dir, record)  # Takeaway raises on an illegal move
    assert ppo.masked and ppo.obs_space.shape == (1,) and ppo.updates == 10
    assert ppo.global_step == 160 * copies


@pytest.mark.parametrize("learner", [PPO, PPOLSTM])
def test_the_update_scores_the_rollouts_actions_under_the_same_masks(learner):
    env = takeaways(3, stones=4)
    ppo = learner(env, mpi.world(), seed=1, n_steps=12, evaluation=False)
    buf, _ = ppo.collect_rollout(ppo.reset(), 12, is_last=False)
    assert buf["masks"].shape == (12, 3, 3) and not buf["masks"].all()  # some moves were illegal
    ppo.last_rollout_length = 12
    flat = {k: v.reshape(36, *v.shape[2:]) for k, v in buf.items()}
    idx = torch.as_tensor(np.concatenate(ppo.minibatches(12, 36)))
    mb = {k: v[idx] for k, v in flat.items()}
    logprob = ppo.evaluate_actions(mb, mb["actions"].long())[0]
    assert torch.allclose(logprob, mb["logprobs"], atol=1e-5)  # the ratio starts at 1: the same legal actions
    unmasked = ppo.evaluate_actions({k: v for k, v in mb.items() if k != "masks"}, mb["actions"].long())[0]
    assert not torch.allclose(unmasked, mb["logprobs"], atol=1e-3)  # without the masks it would not


@pytest.mark.parametrize("copies", [1, 4])
def test_dqn_explores_and_exploits_only_legal_moves(copies, tmp_path):
    env = takeaways(copies, stones=6)
    record = PolicyRecord(1, str(tmp_path))
    dqn = DQN(env, mpi.world(), seed=0, learning_starts=40, batch_size=8, replay_size=400, evaluation=False)
    dqn.run(200, record.data_dir, record)  # epsilon falls from 1: random and greedy moves; an illegal one raises
    assert dqn.masked and dqn.updates > 0 and dqn.replay.masks is not None
    batch = dqn.replay.sample(16)
    left = batch.next_obs[:, 0]  # stones left: actions taking more are illegal there
    legal = np.arange(1, 4)[None, :] <= left[:, None]
    expected = np.where(left[:, None] > 0, legal, True)  # a game's last observation keeps no mask: all allowed
    assert np.array_equal(batch.next_masks, expected)


def test_targets_take_the_best_legal_action_and_a_finished_game_never_makes_nan():
    q = torch.tensor([[5.0, 1.0, 2.0], [3.0, 4.0, 0.0]])
    mask = torch.tensor([[False, True, True], [False, False, False]])
    assert legal_q(q, mask)[0].argmax() == 2 and torch.isfinite(legal_q(q, mask)[1]).all()
    net = torch.nn.Identity()
    values = bootstrap_values(net, net, q, double=False, mask=mask)
    assert values.tolist() == [2.0, 4.0]  # the legal max; an all-illegal row (a game's end) keeps its max
    assert bootstrap_values(net, net, q, double=True, mask=mask).tolist() == [2.0, 4.0]
    assert torch.isfinite(values * 0).all()


def test_the_replay_keeps_each_observations_mask_for_the_target():
    replay = Replay(64, 1, (1,), np.float32, n_step=2, mask_size=3)
    replay.start(0, np.array([6.0]), np.array([True, True, True]))
    for left in (4.0, 3.0, 1.0):
        replay.add(0, 1, 0.0, False, False, np.array([left]), np.arange(1, 4) <= left)
    batch = replay.sample(32)
    for nxt, mask in zip(batch.next_obs[:, 0], batch.next_masks):
        assert mask.tolist() == (np.arange(1, 4) <= nxt).tolist()  # two steps on: the mask of where it led


TAKEAWAY_FILE = """
import numpy as np
from gymnasium import spaces

from arena.wrappers.single_agent_wrappers import single_agent_wrapper


class Takeaway:
    def __init__(self):
        self.observation_space = spaces.Dict(
            {"observation": spaces.Box(0, 6, (1,), np.int64), "action_mask": spaces.MultiBinary(3)}
        )
        self.action_space = spaces.Discrete(3)

    def _obs(self):
        return {"observation": np.array([self.left]), "action_mask": (np.arange(1, 4) <= self.left).astype(np.int8)}

    def reset(self, seed=None, options=None):
        self.left = 6
        return self._obs(), {}

    def step(self, action):
        assert action + 1 <= self.left, "illegal move"
        self.left -= action + 1
        return self._obs(), float(self.left == 0), self.left == 0, False, {}

    def close(self):
        pass


def make_env():
    return single_agent_wrapper(Takeaway())
"""


@pytest.mark.parametrize("learner", [PPO, DQN])
def test_arena_evaluate_plays_a_masked_game_legally(learner, tmp_path):
    from arena.evaluate import main as evaluate_main

    record = PolicyRecord(1, str(tmp_path / "log_comms"))
    options = {"n_steps": 16} if learner is PPO else {"learning_starts": 20, "batch_size": 8, "replay_size": 200}
    learner(Takeaway(stones=6), mpi.world(), seed=0, evaluation=False, **options).run(64, record.data_dir, record)
    (tmp_path / "make_env.py").write_text(TAKEAWAY_FILE)
    assert evaluate_main([str(tmp_path), "--policy", "1", "--games", "20", "--no-video", "--epsilon", "0.5"]) == 0
    assert (tmp_path / "log_comms" / "policy_1" / "eval.json").exists()  # every move legal: the env asserts it


class InfoTakeaway(Takeaway):
    """Takeaway with its mask in the info, and a plain Box observation (as some envs give it)."""

    def __init__(self, stones: int = 7):
        super().__init__(stones)
        self.observation_space = self.observation_space["observation"]

    def reset(self, seed=None, options=None):
        obs, _ = super().reset(seed=seed)
        return obs["observation"], {"action_mask": obs["action_mask"]}

    def step(self, action):
        obs, reward, terminated, truncated, _ = super().step(action)
        return obs["observation"], reward, terminated, truncated, {"action_mask": obs["action_mask"]}


def test_a_mask_in_the_info_moves_into_the_observation_where_every_player_reads_it():
    from arena.envs.masks import masks_from_info
    from arena.wrappers.single_agent_wrappers import single_agent_wrapper

    assert check_env(lambda: single_agent_wrapper(InfoTakeaway()), steps=100).ok  # the checker reads info masks
    env = masks_from_info(single_agent_wrapper(InfoTakeaway()))
    assert has_mask(env.observation_spaces[0])
    obs, _ = env.reset()
    assert obs[0]["action_mask"].tolist() == [1, 1, 1] and obs[0]["observation"].tolist() == [7]
    assert check_env(lambda: masks_from_info(single_agent_wrapper(InfoTakeaway())), steps=100).ok
    assert PPO.spaces_problem(env.observation_spaces[0], env.action_spaces[0]) is None
