"""The evaluation protocol: whole games with true scores, epsilon, the frame cap, the schedule, the catalog,
the child process, and (MPI) DQN and PPO evaluating while they learn Breakout."""

import csv
import json
import os
import sys

import numpy as np
import pytest
import torch
from gymnasium import spaces
from helpers import SCRIPTS

from arena.algos.networks import QNetwork
from arena.algos.torch_sync import state_to_bytes
from arena.envs.api import load_make_env, make_env_source
from arena.envs.atari import make_atari_game
from arena.evaluation.games import Chooser, game_cap, play_game
from arena.evaluation.schedule import (
    CATALOG,
    EVAL_LOG,
    EvalGame,
    EvalOptions,
    add_to_catalog,
    child_environment,
    evaluation_from_environment,
    evaluation_options,
    next_mark,
    read_catalog,
    start_evaluator,
)
from arena.storage.files import LocalFiles

BREAKOUT_ENV = os.path.join(SCRIPTS, "breakout_env.py")


def random_chooser(space, epsilon=1.0, seed=0):
    space.seed(seed)
    return Chooser(lambda obs, sample: np.zeros(len(obs), np.int64), space, epsilon, False, np.random.default_rng(seed))


def test_games_are_whole_with_true_scores():
    # Space Invaders pays 5 to 30 points an alien and has 3 lives: learning episodes end at each
    # lost life with rewards clipped to 1; the protocol's games run to game over with true scores.
    env = make_atari_game("SpaceInvaders")
    env.reset(seed=1)
    space = env.action_spaces[0]
    choose = random_chooser(space)
    games = [play_game(env, 1, 0, choose, [space]) for _ in range(2)]
    assert not any(g.capped for g in games)
    assert all(g.score % 5 == 0 for g in games)
    assert max(g.score for g in games) > 60  # a clipped sum counts aliens: about a tenth of this
    assert all(g.steps > 300 for g in games)  # three lives, not one


def test_the_frame_cap_cuts_games_and_keeps_their_true_score():
    env = make_atari_game("SpaceInvaders")
    env.reset(seed=2)
    max_steps, frame_skip, noops = game_cap(env, 2_000)
    assert (max_steps, frame_skip, noops) == (500, 4, 0)  # the env has its own no-op starts
    assert game_cap(env, None)[0] == 18_000 // 4
    assert game_cap(make_atari_game("Pong", sticky_actions=True), None)[0] == 108_000 // 4
    space = env.action_spaces[0]
    game = play_game(env, 1, 0, random_chooser(space), [space], max_steps=100)
    assert game.capped and game.steps == 100 and game.score % 5 == 0


def test_epsilon_is_respected_and_counted():
    space = spaces.Discrete(6)
    choose = random_chooser(space, epsilon=0.05, seed=3)
    actions = np.array([choose(np.zeros(2)) for _ in range(20_000)])
    assert 0.04 < choose.random / choose.actions < 0.06
    # The policy always says 0; a random action is another one 5 times in 6.
    assert 0.04 * 5 / 6 < np.mean(actions != 0) < 0.06 * 5 / 6


def test_the_schedule_and_the_catalog():
    assert [next_mark(f, 500) for f in (0, 499, 500, 1_234)] == [500, 500, 1_000, 1_500]
    catalog = read_catalog(None)
    assert add_to_catalog(catalog, {"step": 10, "file": "checkpoints/step_10.pt", "mean": -5.0})
    assert not add_to_catalog(catalog, {"step": 20, "file": "checkpoints/step_20.pt", "mean": -9.0})
    assert catalog["best"]["source"] == "checkpoints/step_10.pt" and catalog["best"]["file"] == "checkpoints/best.pt"
    assert catalog["latest"]["source"] == "checkpoints/step_20.pt"
    resumed = read_catalog(json.dumps(catalog).encode())
    assert add_to_catalog(resumed, {"step": 30, "file": "checkpoints/step_30.pt", "mean": 3.0})
    assert [e["step"] for e in resumed["entries"]] == [10, 20, 30]


def test_evaluation_options():
    assert evaluation_options(None, image_obs=True) == EvalOptions()
    assert evaluation_options(None, image_obs=False) is None
    assert evaluation_options(False, image_obs=True) is None
    assert evaluation_options({"full_games": 5}, image_obs=False).full_games == 5
    with pytest.raises(TypeError, match="unknown evaluation options \\['games'\\]"):
        evaluation_options({"games": 5}, image_obs=True)
    with pytest.raises(ValueError, match="positive"):
        evaluation_options({"light_every": 0}, image_obs=True)


def test_make_env_source_names_what_another_process_can_load(tmp_path):
    assert make_env_source(load_make_env(BREAKOUT_ENV)) == ("file", BREAKOUT_ENV, "make_env")
    assert make_env_source(make_atari_game) == ("module", "arena.envs.atari", "make_atari_game")

    def local_env():
        return None

    assert "main script or inside a function" in make_env_source(local_env)


def dqn_state():
    torch.manual_seed(0)
    q = QNetwork(spaces.Box(0, 255, (4, 84, 84), np.uint8), 4, True, 128)
    return {"algo": "dqn", "model": q.state_dict(), "config": {"dueling": True}, "global_step": 0}


def test_the_evaluation_process_saves_scores_checkpoints_and_the_catalog(tmp_path):
    files = LocalFiles(str(tmp_path))
    game = EvalGame(make_env_source(load_make_env(BREAKOUT_ENV)), {}, (0,), list(sys.path))
    options = EvalOptions(light_every=40, full_every=80, light_games=1, full_games=2)
    evaluator = start_evaluator(game, options, True, files, None, "policy 1", seed=0)
    state = state_to_bytes(dqn_state())
    evaluator.tick(0, lambda: state)  # the run's first step, before the child is up
    assert evaluator.wait_started(120)
    for step in range(30):  # 4 frames a step: a light evaluation at step 10, a full one at 20 (or when free)
        evaluator.tick(step, lambda: state)
    evaluator.finish(30, lambda: state)
    with open(tmp_path / EVAL_LOG) as f:
        rows = list(csv.DictReader(f))
    assert [r["type"] for r in rows][:1] == ["light"] and "full" in [r["type"] for r in rows]
    catalog = read_catalog((tmp_path / CATALOG).read_bytes())
    entry = catalog["entries"][-1]
    assert entry["games"] == 2 and entry["min"] <= entry["mean"] <= entry["max"]
    for name in (entry["file"], "checkpoints/best.pt", "checkpoints/latest.pt"):
        assert torch.load(tmp_path / name, weights_only=True)["algo"] == "dqn"
    assert (tmp_path / entry["video"]).stat().st_size > 1_000


def _evaluator_for(tmp_path, make_env_text, options=None):
    path = tmp_path / "make_env.py"
    path.write_text(make_env_text)
    game = EvalGame(make_env_source(load_make_env(str(path))), {}, (0,), list(sys.path))
    return start_evaluator(game, options or EvalOptions(), True, LocalFiles(str(tmp_path)), None, "policy 1", seed=0)


def test_a_game_the_child_cannot_build_turns_evaluation_off_with_the_childs_traceback(tmp_path, capsys):
    evaluator = _evaluator_for(tmp_path, "def make_env():\n    raise RuntimeError('no such game here')\n")
    assert not evaluator.wait_started(120)
    evaluator.tick(10, lambda: b"")  # training goes on: ticks and the end do nothing
    evaluator.finish(20, lambda: b"")
    out = capsys.readouterr().out
    assert out.count("evaluation is off for the rest of this run; training goes on") == 1, out
    assert "could not build the game" in out and "RuntimeError: no such game here" in out
    assert 'make_env.py", line 2, in make_env' in out  # the child's own traceback


def test_a_child_that_dies_in_c_is_reported_with_its_stderr(tmp_path, capsys):
    # os.abort() is what an MPI library's abort looks like from Python: no exception, a dead process.
    evaluator = _evaluator_for(tmp_path, "import os\n\ndef make_env():\n    os.abort()\n")
    assert not evaluator.wait_started(120)
    out = capsys.readouterr().out
    assert "evaluation is off" in out and "the evaluation process ended (exit code -6)" in out, out
    assert "Fatal Python error: Aborted" in out and 'make_env.py", line 4 in make_env' in out, out


CARTPOLE_WITH_MPI = """
import gymnasium as gym
from mpi4py import MPI

from arena.wrappers.single_agent_wrappers import single_agent_wrapper


def make_env():
    world = MPI.COMM_WORLD
    if (world.Get_rank(), world.Get_size()) != (0, 1):
        raise RuntimeError(f"the child joined a job: rank {world.Get_rank()} of {world.Get_size()}")
    return single_agent_wrapper(gym.make("CartPole-v1"))
"""


def cartpole_dqn_state():
    torch.manual_seed(0)
    q = QNetwork(spaces.Box(-np.inf, np.inf, (4,), np.float32), 2, False, 128)
    return {"algo": "dqn", "model": q.state_dict(), "config": {"hidden": 128}, "global_step": 0}


def test_the_child_of_a_rank_is_an_mpi_world_of_its_own(tmp_path, monkeypatch):
    # What a rank started by Hydra (MPICH) or prterun (Open MPI) has in its environment: without
    # removing it, the child's MPI_Init would take itself for rank 3 and wait on a launcher.
    launcher = {"PMI_RANK": "3", "PMI_SIZE": "4", "PMI_FD": "9", "PMIX_RANK": "3", "OMPI_COMM_WORLD_RANK": "3"}
    for key, value in launcher.items():
        monkeypatch.setenv(key, value)
    assert not set(launcher) & set(child_environment())
    options = EvalOptions(light_every=10, full_every=1_000, light_games=2)
    evaluator = _evaluator_for(tmp_path, CARTPOLE_WITH_MPI, options)
    state = state_to_bytes(cartpole_dqn_state())
    evaluator.tick(0, lambda: state)
    assert evaluator.wait_started(120)
    evaluator.finish(10, lambda: state)
    with open(tmp_path / EVAL_LOG) as f:
        rows = list(csv.DictReader(f))
    assert [(r["type"], r["step"], r["games"]) for r in rows] == [("light", "10", "2")]
    assert all(float(r["min"]) >= 8 for r in rows)  # whole CartPole games: 8 steps at the least


def test_arena_evaluation_sets_the_option_from_the_environment():
    assert evaluation_from_environment("0") is False and evaluation_from_environment("on") is True
    assert evaluation_from_environment('{"light_every": 4000}') == {"light_every": 4000}
    with pytest.raises(ValueError, match="ARENA_EVALUATION must be 0, 1 or a JSON dict"):
        evaluation_from_environment("sometimes")
    with pytest.raises(TypeError, match="unknown evaluation options"):
        evaluation_from_environment('{"every": 4000}')


def test_a_game_defined_in_the_main_script_cannot_be_evaluated(tmp_path):
    in_main = EvalGame("make_env is defined in the main script", {}, (0,), [])
    with pytest.raises(ValueError, match="evaluation was asked for, but make_env is defined in the main script"):
        start_evaluator(in_main, EvalOptions(), True, LocalFiles(str(tmp_path)), None, "policy 1", seed=0)
    assert start_evaluator(in_main, EvalOptions(), False, LocalFiles(str(tmp_path)), None, "policy 1", seed=0) is None


ENDLESS_GAME = """
import gymnasium as gym
import numpy as np

from arena.wrappers.single_agent_wrappers import single_agent_wrapper


class Endless(gym.Env):
    observation_space = gym.spaces.Box(-np.inf, np.inf, (4,), np.float32)
    action_space = gym.spaces.Discrete(2)

    def reset(self, seed=None, options=None):
        return np.zeros(4, np.float32), {}

    def step(self, action):
        return np.zeros(4, np.float32), 0.0, False, False, {}


def make_env():
    return single_agent_wrapper(Endless())
"""


def test_an_evaluation_that_never_ends_is_killed_at_its_deadline(tmp_path, capsys):
    options = EvalOptions(light_every=4, full_every=10**9, light_games=1, deadline_s=2.0)
    evaluator = _evaluator_for(tmp_path, ENDLESS_GAME, options)
    state = state_to_bytes(cartpole_dqn_state())
    assert evaluator.wait_started(120)
    evaluator.tick(0, lambda: state)
    evaluator.tick(5, lambda: state)  # 4 frames a step: the light evaluation is due, its game never ends
    assert evaluator.pending is not None
    evaluator.finish(6, lambda: state)  # returns: the child is killed at the deadline
    out = capsys.readouterr().out
    assert "did not end within 2 s, so its process was killed" in out and "training goes on" in out, out
    assert evaluator.child is None


def test_a_child_that_died_between_evaluations_turns_evaluation_off_and_training_goes_on(tmp_path, capsys):
    options = EvalOptions(light_every=4, full_every=10**9, light_games=1)
    evaluator = _evaluator_for(tmp_path, CARTPOLE_WITH_MPI, options)
    state = state_to_bytes(cartpole_dqn_state())
    assert evaluator.wait_started(120)
    evaluator.tick(0, lambda: state)
    evaluator.child.kill()
    evaluator.child.wait()
    evaluator.tick(5, lambda: state)  # due: the weights go to a dead child
    evaluator.finish(6, lambda: state)
    out = capsys.readouterr().out
    assert out.count("evaluation is off for the rest of this run; training goes on") == 1, out
