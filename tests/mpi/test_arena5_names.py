"""Names arena5's examples import, with arena5's meaning (no mpiexec)."""

from helpers import run_script

from arena.storage.metrics import read_metrics
from arena.storage.records import PolicyRecord, load_records


def test_blocks_of_multiagent_random_with_policy_id_0_play_a_remapped_match(tmp_path):
    result = run_script(4, "arena5_cases.py", "blocks", str(tmp_path), timeout=120)
    assert result.returncode == 0 and not result.timed_out, result.output
    records = load_records(str(tmp_path))
    assert sorted(records) == [0, 1]
    assert all(r.steps_done == 300 and r.episodes for r in records.values())


def test_arena5s_touchdown_sac_script_plays_sac_with_its_keyword(tmp_path):
    result = run_script(7, "arena5_cases.py", "sac", str(tmp_path), timeout=180)
    assert result.returncode == 0 and not result.timed_out, result.output
    assert "'worker_replay_size': is replay_size = 2,000 over 2 worker(s) here" in result.output
    assert "[sac] policy 1: temperature learned from 0.2, replay of 2,000 transitions" in result.output
    records = load_records(str(tmp_path))
    assert records[1].steps_done == 300 and records[2].steps_done == 300
    assert "losses/qf_loss" in read_metrics(str(tmp_path / "policy_1"))


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


def test_arena5_policies_get_four_tuples_and_all_their_workers_steps(tmp_path):
    result = run_script(7, "arena5_cases.py", "legacy-policies", str(tmp_path), timeout=120)
    assert result.returncode == 0 and not result.timed_out, result.output
    records = load_records(str(tmp_path))
    assert {pid: r.steps_done for pid, r in records.items()} == {1: 600, 2: 600}  # 2 rounds x 2 copies x 150
    for pid in (1, 2):
        assert (tmp_path / f"policy_{pid}" / "model.txt").read_text() == "150 steps on each of 2 workers"
        runs = PolicyRecord(pid, str(tmp_path)).channels["runs"]  # loads itself, as arena5's record did
        assert (runs.ep_results, runs.ep_cumlens) == ([150.0, 150.0], [1, 2])


def test_an_arena5_env_with_list_actions_plays(tmp_path):
    result = run_script(4, "arena5_cases.py", "list-actions", str(tmp_path), timeout=120)
    assert result.returncode == 0 and not result.timed_out, result.output
    records = load_records(str(tmp_path))
    assert {pid: (r.steps_done, len(r.episodes)) for pid, r in records.items()} == {1: (200, 20), 2: (200, 20)}


def test_render_with_an_env_that_draws_its_own_window_is_skipped_with_one_warning(tmp_path):
    result = run_script(4, "arena5_cases.py", "window-render", str(tmp_path), timeout=120)
    assert result.returncode == 0 and not result.timed_out, result.output
    assert result.output.count("the env's render() failed") == 1, result.output
    assert {r.steps_done for r in load_records(str(tmp_path)).values()} == {300}


def test_an_arena5_evolution_loop_scores_by_channel_forks_and_plots_with_offsets(tmp_path):
    result = run_script(7, "arena5_cases.py", "evolution", str(tmp_path), timeout=240)
    assert result.returncode == 0 and not result.timed_out, result.output
    assert result.output.count("[evolution] generation") == 2
    assert (tmp_path / "gen_0.png").exists() and (tmp_path / "gen_1.png").exists()
    records = load_records(str(tmp_path))
    assert {1, 2, 3, 4} <= set(records) and records[3].steps_done >= 300  # a child carries its parent's steps
