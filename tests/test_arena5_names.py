"""Names arena5's examples import, with arena5's meaning (no mpiexec)."""

import gymnasium
import numpy as np
import pytest
from helpers import run_script

from arena.algos import BUILTIN_POLICIES
from arena.compat import arena5_action, modern_offpolicy_kwargs, modern_ppo_kwargs, shaped_action
from arena.core.policy_record import plot_policy_records
from arena.core.utils import count_number_scaled_matches, total_steps_to_match_steps
from arena.storage.metrics import read_metrics
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


@pytest.mark.mpi
def test_blocks_of_multiagent_random_with_policy_id_0_play_a_remapped_match(tmp_path):
    result = run_script(4, "arena5_cases.py", "blocks", str(tmp_path), timeout=120)
    assert result.returncode == 0 and not result.timed_out, result.output
    records = load_records(str(tmp_path))
    assert sorted(records) == [0, 1]
    assert all(r.steps_done == 300 and r.episodes for r in records.values())


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


@pytest.mark.mpi
def test_arena5s_touchdown_sac_script_plays_sac_with_its_keyword(tmp_path):
    result = run_script(7, "arena5_cases.py", "sac", str(tmp_path), timeout=180)
    assert result.returncode == 0 and not result.timed_out, result.output
    assert "'worker_replay_size': is replay_size = 2,000 over 2 worker(s) here" in result.output
    assert "[sac] policy 1: temperature learned from 0.2, replay of 2,000 transitions" in result.output
    records = load_records(str(tmp_path))
    assert records[1].steps_done == 300 and records[2].steps_done == 300
    assert "losses/qf_loss" in read_metrics(str(tmp_path / "policy_1"))


@pytest.mark.mpi
def test_a_script_with_ppo1_names_trains_with_their_meaning(tmp_path):
    result = run_script(4, "arena5_cases.py", "ppo1", str(tmp_path), timeout=180)
    assert result.returncode == 0 and not result.timed_out, result.output
    assert "arena5's PPO keyword 'optim_stepsize': is 'learning_rate' here" in result.output
    rates = read_metrics(str(tmp_path / "policy_1"))["charts/learning_rate"]
    assert [step for step, _ in rates] == [64, 128, 192, 200] and {lr for _, lr in rates} == {0.0}
    table = (tmp_path / "policy_1" / "text_hyperparameters.md").read_text()
    assert "|n_minibatches|2|" in table and "|anneal_lr|False|" in table
    refused = run_script(4, "arena5_cases.py", "ppo1-refused", str(tmp_path / "r"), timeout=120)
    assert refused.returncode != 0 and "'clip_rewards' has no equivalent here" in refused.output


@pytest.mark.mpi
def test_arena5_policies_get_four_tuples_and_all_their_workers_steps(tmp_path):
    result = run_script(7, "arena5_cases.py", "legacy-policies", str(tmp_path), timeout=120)
    assert result.returncode == 0 and not result.timed_out, result.output
    records = load_records(str(tmp_path))
    assert {pid: r.steps_done for pid, r in records.items()} == {1: 600, 2: 600}  # 2 rounds x 2 copies x 150
    for pid in (1, 2):
        assert (tmp_path / f"policy_{pid}" / "model.txt").read_text() == "150 steps on each of 2 workers"
        runs = PolicyRecord(pid, str(tmp_path)).channels["runs"]  # loads itself, as arena5's record did
        assert (runs.ep_results, runs.ep_cumlens) == ([150.0, 150.0], [1, 2])


def test_actions_reach_arena5_envs_as_one_dimensional_lists():
    assert arena5_action(3) == [3]
    assert arena5_action(np.int64(2)) == [2]
    assert arena5_action(np.array([0.5, -0.5], np.float32)) == [0.5, -0.5]
    assert arena5_action(np.array([[0.25]])) == [0.25]
    box = gymnasium.spaces.Box(-1.0, 1.0, (2,))
    assert shaped_action(np.zeros((1, 2)), box).shape == (2,)  # an arena5 policy's batch axis goes
    assert shaped_action(3, gymnasium.spaces.Discrete(5)) == 3


@pytest.mark.mpi
def test_an_arena5_env_with_list_actions_plays(tmp_path):
    result = run_script(4, "arena5_cases.py", "list-actions", str(tmp_path), timeout=120)
    assert result.returncode == 0 and not result.timed_out, result.output
    records = load_records(str(tmp_path))
    assert {pid: (r.steps_done, len(r.episodes)) for pid, r in records.items()} == {1: (200, 20), 2: (200, 20)}


@pytest.mark.mpi
def test_render_with_an_env_that_draws_its_own_window_is_skipped_with_one_warning(tmp_path):
    result = run_script(4, "arena5_cases.py", "window-render", str(tmp_path), timeout=120)
    assert result.returncode == 0 and not result.timed_out, result.output
    assert result.output.count("the env's render() failed") == 1, result.output
    assert {r.steps_done for r in load_records(str(tmp_path)).values()} == {300}


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


@pytest.mark.mpi
def test_an_arena5_evolution_loop_scores_by_channel_forks_and_plots_with_offsets(tmp_path):
    result = run_script(7, "arena5_cases.py", "evolution", str(tmp_path), timeout=240)
    assert result.returncode == 0 and not result.timed_out, result.output
    assert result.output.count("[evolution] generation") == 2
    assert (tmp_path / "gen_0.png").exists() and (tmp_path / "gen_1.png").exists()
    records = load_records(str(tmp_path))
    assert {1, 2, 3, 4} <= set(records) and records[3].steps_done >= 300  # a child carries its parent's steps
