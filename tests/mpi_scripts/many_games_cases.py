"""Scenarios for tests/{unit,mpi}/test_many_games.py: labels, multi-game batches and real-time pacing."""

import json
import os
import sys
import time

from sample_envs import EchoEnv

from arena import Policy, make_stem
from arena.envs.atari import make_atari_game, make_atari_games

CASE, LOG = sys.argv[1], sys.argv[2]
GAMES = ["Pong", "Breakout", "SpaceInvaders", "Freeway"]


class SlowPolicy(Policy):
    """Plays actions 0, 1, 2, 0, ... and sleeps ``delay`` seconds every ``every`` steps; keeps what ran."""

    def __init__(self, env, policy_comm, delay=0.0, every=1):
        super().__init__(env, policy_comm)
        self.delay, self.every = delay, every

    def run(self, num_steps, data_dir, policy_record=None):
        self.env.reset()
        chosen, executed = [], []
        for t in range(num_steps):
            if self.delay and t % self.every == 0:
                time.sleep(self.delay)
            action = t % 3
            _, _, term, trunc, info = self.env.step(action)
            chosen.append(action)
            executed.append(int(info["executed_action"]))
            if term or trunc:
                self.env.reset()
        with open(os.path.join(data_dir, "actions.json"), "w") as f:
            json.dump({"chosen": chosen, "executed": executed}, f)


def atari_env(game="Pong", full=True, num_copies=1):
    """An Atari game whose games end after 40 steps, so that short runs record several."""
    return make_atari_game(game, num_copies=num_copies, max_episode_steps=40, full_action_space=full)


def games_env(num_copies=1, games=tuple(GAMES)):
    """Copy k plays games[k % 4], all with the full action set, games cut at 40 steps."""
    return make_atari_games(list(games), num_copies=num_copies, max_episode_steps=40)


def one_entity_echo(length=30):
    """EchoEnv with one entity."""
    return EchoEnv(entities=1, length=length)


if CASE == "labels":  # one policy, one match per game: labels from env_kwargs
    stem = make_stem(atari_env, LOG)
    kwargs = [{"game": g} for g in GAMES]
    stem.kickoff([[1]] * 4, {1: "random"}, 200, env_kwargs=kwargs)
elif CASE == "batch":  # one policy, one env rank holding all four games
    stem = make_stem(games_env, LOG)
    result = stem.kickoff([[1]], {1: "ppo"}, 120, copies_per_env=4, policy_kwargs={1: {"n_steps": 32}}, render=True)
elif CASE == "mismatch":  # games with their own action sets cannot share one network
    stem = make_stem(atari_env, LOG)
    try:
        stem.kickoff(
            [[1], [1]],
            {1: "random"},
            10,
            env_kwargs=[{"game": "Pong", "full": False}, {"game": "Breakout", "full": False}],
        )
    except Exception as err:
        print(f"KICKOFF ERROR: {type(err).__name__}: {err}", flush=True)
elif CASE in ("paced", "late"):
    stem = make_stem(one_entity_echo, LOG, additional_policies={"slow": SlowPolicy})
    delay = {"paced": 0.0, "late": 0.05}[CASE]
    steps = {"paced": 180, "late": 120}[CASE]
    result = stem.kickoff([[1]], {1: "slow"}, steps, realtime_fps=60, policy_kwargs={1: {"delay": delay, "every": 4}})
    paced = [s["realtime"] for s in result["ranks"].values() if "realtime" in s]
    print("REALTIME " + json.dumps(paced), flush=True)
