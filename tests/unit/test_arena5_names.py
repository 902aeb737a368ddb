"""Names arena5's examples import, with arena5's meaning (no mpiexec)."""

import gymnasium
import numpy as np
import pytest

from arena.algos import BUILTIN_POLICIES
from arena.compat import arena5_action, modern_offpolicy_kwargs, modern_ppo_kwargs, shaped_action
from arena.core.policy_record import plot_policy_records
from arena.core.utils import count_number_scaled_matches, total_steps_to_match_steps
from arena.storage.records import PolicyRecord, load_records


def test_count_number_scaled_matches_counts_every_copy_of_every_match():
    # [[1], [2]] needs 1 root + 2 x (env + worker) = 5 ranks; 9 ranks hold two copies: 4 matches.
    assert count_number_scaled_matches([[1], [2]], world_size=9) == 4
    assert total_steps_to_match_steps([[1], [2]], 40_000, world_size=9) == 10_000


def test_multiagent_random_is_the_random_policy_for_blocks():
    assert BUILTIN_POLICIES["multiagent_random"] == BUILTIN_POLICIES["random"]


def test_policy_ids_may_be_zero_or_negative(tmp_path):
    for pid in (0, -3, 2):
        record = PolicyRecord(pid, str(tmp_path))
        record.add_result(1.0, 5)
        record.save()
    assert list(load_records(str(tmp_path))) == [-3, 0, 2]


def test_offsets_shift_each_record_along_the_steps(tmp_path, monkeypatch):
    import arena.report.plots as plots

    drawn = []
    monkeypatch.setattr(plots, "thin", lambda xs, ys: drawn.append(np.asarray(xs)) or (xs, ys))
    records = []
    for pid in (1, 2):
        record = PolicyRecord(pid, str(tmp_path))
        for _ in range(3):
            record.add_result(1.0, 10)
        records.append(record)
    plot_policy_records(records, [1], [1.0], str(tmp_path / "p.png"), colors=None, offsets=[0, 1000])
    assert [list(x) for x in drawn] == [[10, 20, 30], [1010, 1020, 1030]]
    assert (tmp_path / "p.png").exists()
    with pytest.raises(ValueError, match="one offset per record"):
        plot_policy_records(records, [1], [1.0], str(tmp_path / "q.png"), offsets=[0])


def test_ppo1_names_become_the_arenas_and_names_without_equivalent_are_refused(capsys):
    kwargs = {"optim_stepsize": 1e-3, "timesteps_per_actorbatch": 256, "optim_batchsize": 64, "lam": 0.9}
    kwargs |= {"clip_param": 0.2, "entcoeff": 0.0, "optim_epochs": 3, "schedule": "constant", "gamma": 0.98}
    modern = modern_ppo_kwargs(kwargs)
    assert modern == {
        "learning_rate": 1e-3,
        "n_steps": 256,
        "n_minibatches": 4,
        "gae_lambda": 0.9,
        "clip_coef": 0.2,
        "ent_coef": 0.0,
        "n_epochs": 3,
        "anneal_lr": False,
        "gamma": 0.98,
    }
    assert "'optim_stepsize': is 'learning_rate' here" in capsys.readouterr().out
    with pytest.raises(ValueError, match="'eval_mode' has no equivalent here: play a trained policy with"):
        modern_ppo_kwargs({"eval_mode": True})
    with pytest.raises(ValueError, match="not both"):
        modern_ppo_kwargs({"lam": 0.9, "gae_lambda": 0.95})


def test_worker_replay_size_is_each_workers_share_and_eval_mode_is_refused(capsys):
    assert modern_offpolicy_kwargs({"worker_replay_size": 1_000, "tau": 0.01}, workers=3) == {
        "replay_size": 3_000,
        "tau": 0.01,
    }
    assert "'worker_replay_size': is replay_size = 3,000 over 3 worker(s) here" in capsys.readouterr().out
    with pytest.raises(ValueError, match="'eval_mode' has no equivalent here"):
        modern_offpolicy_kwargs({"eval_mode": True}, workers=1)
    with pytest.raises(ValueError, match="not both"):
        modern_offpolicy_kwargs({"worker_replay_size": 10, "replay_size": 10}, workers=1)


def test_actions_reach_arena5_envs_as_one_dimensional_lists():
    assert arena5_action(3) == [3]
    assert arena5_action(np.int64(2)) == [2]
    assert arena5_action(np.array([0.5, -0.5], np.float32)) == [0.5, -0.5]
    assert arena5_action(np.array([[0.25]])) == [0.25]
    box = gymnasium.spaces.Box(-1.0, 1.0, (2,))
    assert shaped_action(np.zeros((1, 2)), box).shape == (2,)  # an arena5 policy's batch axis goes
    assert shaped_action(3, gymnasium.spaces.Discrete(5)) == 3


def test_channels_keep_named_series_beside_the_episodes_and_records_load_themselves(tmp_path):
    record = PolicyRecord(1, str(tmp_path))
    record.add_result(1.0, 10)
    record.add_result(0.5, 3, "wins")  # arena5's third positional argument: the channel
    record.add_result(0.0, 4, channel="wins")
    record.save()
    again = PolicyRecord(1, str(tmp_path))  # no load(): it loads itself
    assert again.channels["main"].ep_results == [1.0] and again.channels["main"].ep_cumlens == [10]
    wins = again.channels["wins"]
    assert (wins.ep_results, wins.ep_lengths, wins.ep_cumlens) == ([0.5, 0.0], [3, 4], [3, 7])
    assert PolicyRecord(1, str(tmp_path), load=False).episodes == []
