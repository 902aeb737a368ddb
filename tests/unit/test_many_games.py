"""One policy, many games: labels, multi-game batches, human-normalised scores and real-time pacing."""

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium.vector import VectorEnv

from arena.envs.batch import BatchStep, Ended
from arena.plan.roles import PlanError, make_plan, match_labels
from arena.ranks.env.paced import Interval, late_by_policy
from arena.report.mosaic import tile_label
from arena.report.scores import ATARI_57, game_of_label, human_normalized, label_scores, reference_game, summary
from arena.storage.records import PolicyRecord


# ------------------------------------------------------------------ scores
def test_human_normalised_score_against_hand_computed_values():
    # Pong: random -20.7, human 14.6 (Mnih et al. 2015); Breakout: 1.7 and 30.5.
    assert human_normalized("Pong", 14.6) == pytest.approx(1.0)
    assert human_normalized("Pong", -20.7) == pytest.approx(0.0)
    assert human_normalized("Pong", 0.0) == pytest.approx(20.7 / 35.3)
    assert human_normalized("breakout", 30.5 * 2 - 1.7) == pytest.approx(2.0)
    assert human_normalized("ALE/SpaceInvaders-v5", 148.0 + (1668.7 - 148.0) / 4) == pytest.approx(0.25)
    # Skiing's scores are negative: a score between random and human is still between 0 and 1.
    assert human_normalized("Skiing", -10717.5) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="no reference scores"):
        human_normalized("NotAGame", 1.0)


def test_reference_table_has_the_57_games_and_knows_their_spellings():
    assert len(ATARI_57) == 57
    assert reference_game("space_invaders") == reference_game("SpaceInvadersNoFrameskip-v4") == "SpaceInvaders"
    assert reference_game("MontezumaRevenge") == "MontezumaRevenge"
    assert game_of_label("game=ms_pacman") == "MsPacman"
    assert game_of_label("level=3") is None


def test_label_scores_take_the_last_games_and_summarise_over_games():
    labels = ["game=Pong"] * 3 + ["game=Breakout"] * 2 + ["arena"] + [""]
    returns = [-21.0, -20.0, 14.6, 1.7, 30.5, 5.0, 99.0]
    rows = label_scores(labels, returns, last=2)
    assert [r.label for r in rows] == ["game=Pong", "game=Breakout", "arena"]
    pong, breakout, other = rows
    assert (pong.episodes, pong.last, pong.mean) == (3, 2, pytest.approx(-2.7))
    assert pong.normalized == pytest.approx((-2.7 + 20.7) / 35.3)
    assert breakout.normalized == pytest.approx((16.1 - 1.7) / 28.8)
    assert other.normalized is None and other.game is None
    stats = summary(rows)
    assert stats["mean"] == pytest.approx((pong.normalized + breakout.normalized) / 2)
    assert stats["median"] == pytest.approx(stats["mean"])  # two games: the median is their mean
    three = summary(rows[:2] + label_scores(["game=Freeway"], [29.6]))
    assert three["median"] == pytest.approx(pong.normalized)  # the middle of 0.51, 0.5, 1.0


# ------------------------------------------------------------------ labels
def test_match_labels_name_what_differs_between_matches():
    kwargs = [{"game": "Pong", "frame_skip": 4}, {"game": "Breakout", "frame_skip": 4}]
    assert match_labels(kwargs) == ["game=Pong", "game=Breakout"]
    assert match_labels([{"game": "Pong", "frame_skip": 4}]) == ["game=Pong,frame_skip=4"]
    assert match_labels([{}, {}]) == ["", ""]
    assert match_labels(kwargs, ["pong", "breakout"]) == ["pong", "breakout"]
    with pytest.raises(PlanError, match="one label per match"):
        match_labels(kwargs, ["pong"])
    with pytest.raises(PlanError, match="non-empty one-line"):
        match_labels(kwargs, ["pong", ""])
    plan = make_plan([[1], [1]], 5, env_kwargs=kwargs)
    assert [m.label for m in plan.matches] == ["game=Pong", "game=Breakout"]


def test_records_keep_labels_and_upgrade_files_written_before_them(tmp_path):
    record = PolicyRecord(1, str(tmp_path))
    record.add_result(3.0, 10, label="game=Pong")
    record.add_result(4.0, 12, label="game=Breakout")
    record.save()
    again = PolicyRecord(1, str(tmp_path))
    assert again.ep_labels == ["game=Pong", "game=Breakout"]
    assert again.label_names() == ["game=Pong", "game=Breakout"]
    old = tmp_path / "old"
    (old / "policy_2").mkdir(parents=True)
    (old / "policy_2" / "records.csv").write_text("episode,return,length,steps,time\n0,1.0,5,5,1.0\n")
    upgraded = PolicyRecord(2, str(old))
    assert upgraded.ep_labels == [""]
    upgraded.add_result(2.0, 5, label="game=Pong")
    upgraded.save()
    lines = (old / "policy_2" / "records.csv").read_text().splitlines()
    assert lines[0] == "episode,return,length,steps,time,label"
    assert lines[1].endswith(",") and lines[2].endswith(",game=Pong")


def test_tile_labels_show_the_game():
    assert tile_label("game=Pong", 3) == "Pong #3"
    assert tile_label("game=Pong,mode=2", 0) == "Pong 2 #0"


# ------------------------------------------------------------------ multi-game batch
def test_multi_game_batch_keeps_each_copys_label_and_game():
    from arena.envs.atari import make_atari_games

    games = ["Pong", "Breakout", "Freeway"]
    batch = make_atari_games(games, num_copies=4, noop_max=0)
    singles = [make_atari_games([g], num_copies=1, noop_max=0) for g in games]
    try:
        assert batch.games == ["Pong", "Breakout", "Freeway", "Pong"]
        assert batch.labels == ["game=Pong", "game=Breakout", "game=Freeway", "game=Pong"]
        assert batch.action_spaces[0].n == 18
        obs, _ = batch.reset([7, 7, 7, 7])
        first = [s.reset([7])[0][0][0] for s in singles]
        for k in range(4):  # each copy shows its own game's screen
            assert np.array_equal(obs[0][k], first[k % 3]), k
        assert not np.array_equal(first[0], first[1])
        step = batch.step([np.zeros(4, np.int64)])
        assert step.obs[0].shape == (4, 4, 84, 84)
    finally:
        batch.close()
        for s in singles:
            s.close()


def test_every_game_gets_the_same_eighteen_actions_even_where_ale_has_fewer():
    import ale_py

    from arena.envs.atari import make_atari_game, make_atari_games
    from arena.wrappers.deepmind import full_action_indices

    skiing_set = [ale_py.Action(a) for a in (0, 2, 3, 4, 5, 6, 7, 8, 9)]  # ALE's Skiing: no FIRE
    mapped = [skiing_set[i] for i in full_action_indices(skiing_set)]
    assert mapped[1] == ale_py.Action.NOOP  # FIRE -> no move
    assert mapped[10] == ale_py.Action.UP and mapped[17] == ale_py.Action.DOWNLEFT  # UPFIRE -> UP, ...
    assert full_action_indices([ale_py.Action(a) for a in range(18)]).tolist() == list(range(18))
    batch = make_atari_games(["Skiing", "Pong"], noop_max=0)
    single = make_atari_game("Skiing", full_action_space=True)
    try:
        assert batch.action_spaces[0].n == single.action_space.n == 18
        batch.reset([0, 0])
        batch.step([np.array([17, 17])])  # an action Skiing's set lacks is played as its move
    finally:
        batch.close()
        single.close()


def test_multi_game_batch_refuses_games_with_different_action_sets():
    from arena.envs.atari import make_atari_games

    with pytest.raises(ValueError, match=r"6 actions: Pong.*full_action_space=True|4 actions: Breakout"):
        make_atari_games(["Pong", "Breakout"], full_action_space=False)


# ------------------------------------------------------------------ pacing, pure
def _tick(rewards, ended=()):
    K = len(rewards)
    ends = {k: Ended([np.zeros(1)], [{}], [{}]) for k in ended}
    terminated = np.zeros((K, 1), bool)
    terminated[list(ended)] = True
    return BatchStep([None], np.asarray(rewards, float)[:, None], terminated, np.zeros((K, 1), bool), ends)


def test_an_interval_gives_each_reward_to_its_episode():
    interval = Interval(copies=2, entities=1)
    interval.add(_tick([1.0, 2.0]))
    interval.add(_tick([1.0, 2.0], ended=[0]))  # copy 0 ends: its reward so far is the episode's
    interval.add(_tick([5.0, 2.0]))  # copy 0's next episode begins while the worker is away
    assert interval.ticks == 3
    assert interval.reward[:, 0].tolist() == [2.0, 6.0]
    assert list(interval.ended) == [0] and interval.terminated[0, 0]
    interval.start_next()
    assert interval.reward[:, 0].tolist() == [5.0, 0.0]  # the next episode's reward comes next
    assert interval.ticks == 0 and not interval.ended
    interval.add(_tick([1.0, 0.0], ended=[0]))
    interval.add(_tick([1.0, 0.0], ended=[0]))  # a second end in one absence merges the episodes
    assert interval.merged == 1 and interval.reward[0, 0] == 7.0


def test_late_share_is_counted_per_policy():
    summaries = {1: {"realtime": {"late": {2: (10, 100), 3: (30, 100)}}}, 4: {"realtime": {"late": {5: (0, 50)}}}}
    assert late_by_policy(summaries, {2: 1, 3: 1, 5: 7}) == {1: 20.0, 7: 0.0}


# ------------------------------------------------------------------ MPI


# ------------------------------------------------------------------ learners store what ran
class PacedVector(VectorEnv):
    """Two copies of a paced env that always runs action 1 in copy 0 (its actions are 'late') and what was sent in 1."""

    def __init__(self):
        self.num_envs = 2
        self.single_observation_space = gym.spaces.Box(-1, 1, (3,), np.float32)
        self.single_action_space = gym.spaces.Discrete(4)
        self.rng = np.random.default_rng(0)

    def reset(self, *, seed=None, options=None):
        return self.rng.uniform(-1, 1, (2, 3)).astype(np.float32), {}

    def step(self, actions):
        ran = np.array([1, actions[1]])
        obs = self.rng.uniform(-1, 1, (2, 3)).astype(np.float32)
        return obs, np.zeros(2), np.zeros(2, bool), np.zeros(2, bool), {"executed_action": ran}


def test_ppo_learns_from_the_actions_that_ran_with_their_log_probabilities():
    from arena.algos.ppo import PPO
    from arena.mpi import comm as mpi

    ppo = PPO(PacedVector(), mpi.world(), seed=0, n_steps=16)
    batch, _ = ppo.collect_rollout(ppo.reset(), 16, is_last=False)
    assert batch["actions"][:, 0].tolist() == [1.0] * 16  # copy 0 always ran 1
    replaced = batch["replaced"]
    assert replaced[:, 1].sum() == 0 and replaced[:, 0].sum() > 0  # copy 1 ran what was sent
    flat = {k: v.reshape(32, *v.shape[2:]) for k, v in batch.items()}
    before = flat["logprobs"].clone()
    ppo.rescore_replaced(flat, 16, 32)
    with torch.no_grad():
        expected = ppo.agent.act_and_value(flat["obs"], flat["actions"])[1]
    mask = flat["replaced"]
    assert torch.allclose(flat["logprobs"][mask], expected[mask], atol=1e-6)
    assert torch.equal(flat["logprobs"][~mask], before[~mask])  # rows that ran their own action keep theirs
    assert not torch.allclose(before[mask], expected[mask])


def test_off_policy_learners_store_the_action_that_ran():
    from arena.algos.learner import executed_actions, replaced_rows

    sent = np.array([3, 2, 0])
    ran = executed_actions(sent, np.array([3, 1, 0]))
    assert ran.dtype == sent.dtype and ran.tolist() == [3, 1, 0]
    assert replaced_rows(sent, ran).tolist() == [False, True, False]
    assert replaced_rows(sent, sent.copy()) is None and executed_actions(sent, None) is None
    boxes = np.array([[0.5, -0.5], [0.1, 0.2]], np.float32)
    assert replaced_rows(boxes, np.array([[0.5, -0.5], [0.0, 0.2]])).tolist() == [False, True]


def test_evaluate_refuses_a_batch_with_a_clear_error(tmp_path):
    from arena.envs.atari import make_atari_games
    from arena.evaluation.games import evaluate

    with pytest.raises(ValueError, match="built a batch of 2 copies.*full_action_space=True"):
        evaluate(lambda: make_atari_games(["Pong", "Breakout"]), str(tmp_path / "missing.pt"))
