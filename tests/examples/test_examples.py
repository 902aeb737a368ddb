"""Every example runs end to end under mpiexec on a tiny budget, in a scratch copy."""

import csv
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from helpers import REPO, run_mpi

from arena.storage.metrics import read_metrics
from arena.storage.records import PolicyRecord


def _run_example(tmp_path, name, ranks, total_steps, timeout=180, env=None, script="my_main_script.py"):
    """Run an example's script in a scratch copy (kept between scripts); returns its log folder and output."""
    work = tmp_path / name
    if not work.exists():
        shutil.copytree(os.path.join(REPO, "examples", name), work, ignore=shutil.ignore_patterns("log_comms"))
    env = {"ARENA_TOTAL_STEPS": str(total_steps), **(env or {})}
    result = run_mpi(ranks, [script], cwd=str(work), timeout=timeout, env=env)
    assert not result.timed_out, result.output
    assert result.returncode == 0, result.output
    return work / "log_comms", result.output


def _assert_policy_outputs(log, pid):
    record = PolicyRecord(pid, str(log)).load()
    assert record.episodes, f"policy {pid} recorded no episodes"
    for name in ("records.csv", "curve_steps.png", "curve_episodes.png"):
        assert (log / f"policy_{pid}" / name).stat().st_size > 0
    return record


@pytest.mark.parametrize("ranks, copies", [(7, 2), (15, 4)])
def test_touchdown_scales_to_fill_the_ranks(tmp_path, ranks, copies):
    log, output = _run_example(tmp_path, "touchdown", ranks, 1500 * copies)
    assert re.search(rf"scaling: {copies} copies", output)
    assert len(re.findall(r"\n\d+\s+environment\s", output)) == copies
    for pid in (1, 2):
        record = _assert_policy_outputs(log, pid)
        assert record.steps_done == 1500 * copies  # each policy plays one entity in every copy


def test_touchdown_multi_agent_blocks_and_remaps(tmp_path):
    log, output = _run_example(tmp_path, "touchdown_multi_agent", 4, 2000)
    assert re.search(r"\n1\s+environment\s+0\s+0\s+3,4,5,0,1,2", output)
    assert re.search(r"\n2\s+worker\s+0\s+0\s+3,4,5\s+1", output)
    for pid in (1, 2):
        _assert_policy_outputs(log, pid)


def test_custom_policy_random_agent(tmp_path):
    log, output = _run_example(tmp_path, "custom_policy_random_agent", 7, 4000)
    assert re.search(r"MyRandomAgent root worker: collected [-+]\d+ reward in 2000 steps; mean over 2 worker", output)
    _assert_policy_outputs(log, 1)


def test_evolution_rounds_fork_the_best_into_the_worst(tmp_path):
    work = tmp_path / "evolution_rounds"
    shutil.copytree(os.path.join(REPO, "examples", "evolution_rounds"), work)
    env = {"ARENA_TOTAL_STEPS": "3000", "ARENA_GENERATIONS": "2"}
    result = run_mpi(10, ["my_main_script.py"], cwd=str(work), timeout=300, env=env)
    assert not result.timed_out and result.returncode == 0, result.output
    forked = re.search(r"policy (\d) \(best\) forks into policy 4 .*; policy (\d) \(worst\) leaves", result.output)
    assert forked and forked.group(1) != forked.group(2)
    log = work / "log_comms"
    assert json.loads((log / "policy_4" / "fork.json").read_text())["forked_from"] == int(forked.group(1))
    assert "resuming from" in result.output and "policy_4/checkpoint.pt at step 1,000" in result.output
    assert len(re.findall(r"\[evolution\] generation \d", result.output)) == 2
    for pid in {1, 2, 3, 4} - {int(forked.group(2))}:
        assert PolicyRecord(pid, str(log)).load().steps_done == 2000


def test_round_robin_with_parameters(tmp_path):
    log, output = _run_example(tmp_path, "round_robin_with_parameters", 10, 3000)
    for pid in (1, 2, 3):
        _assert_policy_outputs(log, pid)
    assert (log / "round_robin.png").stat().st_size > 0
    # Match 0 uses max_steps=100: policy 1's episodes there never run longer.
    assert max(PolicyRecord(2, str(log)).load().ep_lengths) <= 300


@pytest.mark.timeout(300)
def test_pong_batched_by_default_batches_16_games_on_one_environment_rank(tmp_path):
    log, output = _run_example(tmp_path, "pong_batched", 3, 4096, timeout=280)
    assert "(1 environment ranks x 16)" in output, output
    record = PolicyRecord(1, str(log)).load()
    assert record.steps_done == 4096 and not record.round_open
    assert (log / "policy_1" / "checkpoint.pt").stat().st_size > 0


def test_touchdown_sac_example_then_evaluate(tmp_path):
    log, output = _run_example(tmp_path, "touchdown_sac", 4, 2_500, timeout=180)
    assert "[sac] policy 1: temperature learned from 0.2" in output
    assert _assert_policy_outputs(log, 1).steps_done == 2_500
    result = subprocess.run(
        [sys.executable, "-m", "arena.evaluate", str(log.parent), "--policy", "1", "--games", "2", "--no-video"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sac, trained for 2,500 steps" in result.stdout and "2 games: mean" in result.stdout


def test_multiagent_navigation_maddpg_and_masac_scripts_share_one_log_folder(tmp_path):
    for script, pid in (("my_main_script_maddpg.py", 1), ("my_main_script_masac.py", 2)):
        log, output = _run_example(tmp_path, "multiagent_navigation", 3, 600, script=script)
        assert re.search(rf"\n2\s+worker\s+0\s+0\s+0,1\s+{pid}", output), output
        assert _assert_policy_outputs(log, pid).steps_done == 600
        assert (log / f"policy_{pid}" / "checkpoint.pt").stat().st_size > 0
        assert "losses/actor_loss" in read_metrics(str(log / f"policy_{pid}"))  # it learned from step 300


def test_memory_cartpole_ppo_lstm_learns_where_ppo_cannot(tmp_path):
    # 60,000 steps per policy of the example's 100,000, 8 copies each.
    log, output = _run_example(tmp_path, "memory_cartpole", 5, 60_000, timeout=240)
    lstm, ppo = (np.mean(PolicyRecord(pid, str(log)).load().ep_results[-100:]) for pid in (1, 2))
    # Without velocities plain PPO stays near 50 (49.7 here); the LSTM reached 189 (seed 1; 226 at 100,000).
    assert lstm > 120 and lstm > 2 * ppo, (lstm, ppo)
    assert (log / "all_policies.png").stat().st_size > 0


@pytest.mark.timeout(300)
def test_space_invaders_dqn_example(tmp_path):
    log, output = _run_example(tmp_path, "space_invaders_dqn", 3, 600, timeout=280, env={"ARENA_REPLAY": "20000"})
    assert "[dqn] policy 1: preset 'modern', replay of 20,000 transitions (142 MB" in output
    record = PolicyRecord(1, str(log)).load()
    assert record.steps_done == 600 and not record.round_open
    assert (log / "policy_1" / "checkpoint.pt").stat().st_size > 0


@pytest.mark.timeout(600)
def test_pong_dqn_example_then_evaluate(tmp_path):
    log, output = _run_example(tmp_path, "pong_dqn", 3, 1500, timeout=300, env={"ARENA_REPLAY": "20000"})
    assert "[dqn] policy 1: preset 'modern', replay of 20,000 transitions (142 MB" in output
    # make_env.py is a file, so the evaluation protocol is on by default for this image policy.
    assert "[eval] policy 1: 10 games every 500,000 frames, 30 (checkpoint, video) every 2,000,000" in output
    record = PolicyRecord(1, str(log)).load()
    assert record.steps_done == 1500 and not record.round_open
    result = subprocess.run(
        [sys.executable, "-m", "arena.evaluate", str(log.parent), "--policy", "1", "--games", "1", "--no-video"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "dqn, trained for 1,500 steps" in result.stdout
    assert re.search(r"1 games: mean -?\d+\.\d+", result.stdout)


@pytest.mark.timeout(400)
def test_pong_selfplay_snapshots_stay_frozen_and_the_tournament_rates_everyone(tmp_path):
    pytest.importorskip("pettingzoo")
    small = {"ARENA_ROUNDS": "2", "ARENA_MAX_CYCLES": "1200", "ARENA_TOURNAMENT_GAMES": "1"}
    log, output = _run_example(tmp_path, "pong_selfplay", 7, 1000, timeout=300, env=small)
    assert "[self-play] round 1: seat 2 plays snapshot 101, seat 3 snapshot 101" in output
    # Snapshot 101 is policy 1 after round 0, and round 1 never wrote into it.
    with open(log / "policy_101" / "fork.json") as f:
        episodes, steps = json.load(f)["at"]
    snapshot = PolicyRecord(101, str(log)).load()
    assert len(snapshot.episodes) == episodes and snapshot.steps_done == steps == 1000
    state = torch.load(log / "policy_101" / "checkpoint.pt", weights_only=True)
    assert state["global_step"] == 1000
    assert PolicyRecord(1, str(log)).load().steps_done == 2000  # policy 1 trained on
    assert PolicyRecord(2, str(log)).load().steps_done == 500  # seat 2 played the snapshot: one side, 4 games
    # The tournament: policy 1 (frozen), snapshot 101 and the random player, each pair on both sides.
    with open(log / "tournament" / "ratings.csv") as f:
        rows = list(csv.DictReader(f))
    assert sorted(int(r["policy"]) for r in rows) == [1, 9, 101]
    assert all(int(r["games"]) == 4 for r in rows)
    assert (log / "tournament" / "payoff.png").stat().st_size > 5000
    assert PolicyRecord(1, str(log)).load().steps_done == 2000  # the tournament trained nobody


@pytest.mark.timeout(400)
def test_connect_four_self_play_then_a_tournament_with_the_lookahead_player(tmp_path):
    pytest.importorskip("pettingzoo.classic")
    small = {"ARENA_ROUNDS": "2", "ARENA_TOURNAMENT_GAMES": "1"}
    log, output = _run_example(tmp_path, "connect_four", 7, 1000, timeout=300, env=small)
    assert "Illegal move" not in output  # PettingZoo warns (and ends the game) on one
    assert "[self-play] round 1: newest snapshot 101, sparring partner snapshot 101" in output
    assert PolicyRecord(1, str(log)).load().steps_done == 2000  # its own moves, over both rounds
    with open(log / "tournament" / "ratings.csv") as f:
        rows = list(csv.DictReader(f))
    assert sorted(int(r["policy"]) for r in rows) == [1, 8, 9, 101]
    assert all(int(r["games"]) == 6 for r in rows)  # 3 opponents x 2 sides x 1 game


def test_many_games_paced_records_every_game_under_its_label(tmp_path):
    paced = {"ARENA_GAMES": "Breakout,Qbert,Breakout,Qbert", "ARENA_REALTIME": "60"}
    log, output = _run_example(tmp_path, "many_games", 5, 2400, timeout=300, env=paced)
    assert "[arena] realtime: 60 steps/s per copy asked" in output
    assert "no evaluation during training: the match's env batch labels its own copies" in output
    record = _assert_policy_outputs(log, 1)
    assert set(record.label_names()) == {"game=Breakout", "game=Qbert"}
    assert (log / "policy_1" / "curves_by_label.png").stat().st_size > 10_000
    assert "| game=Breakout |" in output and "mean / median over 2 games" in output


@pytest.mark.timeout(400)
def test_league_example_plays_two_player_pong_rounds_and_rates_the_members(tmp_path):
    pytest.importorskip("pettingzoo")
    small = {"ARENA_GAME": "pong", "ARENA_ROUNDS": "2", "ARENA_STEPS_PER_MATCH": "300", "ARENA_MAX_CYCLES": "400"}
    small |= {"ARENA_MATCHES_PER_LEARNER": "1", "ARENA_TOURNAMENT_GAMES": "1"}
    log, output = _run_example(tmp_path, "league", 10, 0, timeout=300, env=small)
    assert "[league] round 1:" in output and "[league] members:" in output
    with open(log / "league" / "members.csv") as f:
        members = list(csv.DictReader(f))
    assert any(m["frozen"] == "true" for m in members)  # two rounds' steps: every learner froze once
    with open(log / "league" / "ratings.csv") as f:
        assert {r["round"] for r in csv.DictReader(f)} == {"2"}
    assert (log / "league" / "ratings.png").stat().st_size > 5000
