"""Atari and rendering runs for tests/mpi/test_atari.py: python atari_cases.py CASE LOG_DIR."""

import os
import sys

from arena.envs import Touchdown
from arena.envs.atari import make_atari_game
from arena.ranks.serve import make_stem

CASE, LOG = sys.argv[1], sys.argv[2]


class GameLog:
    """Wraps an arena env and writes each whole game's true score, as the env itself saw it."""

    def __init__(self, env, path):
        self.env, self.path = env, path
        self.observation_spaces, self.action_spaces = env.observation_spaces, env.action_spaces

    def reset(self, seed=None, options=None):
        return self.env.reset(seed=seed, options=options)

    def step(self, actions):
        obs, rewards, terminated, truncated, infos = self.env.step(actions)
        if (terminated[0] or truncated[0]) and infos[0].get("game_over", True):
            with open(self.path, "a") as f:
                f.write(f"{infos[0]['episode']['r']} {infos[0]['episode']['l']}\n")
        return obs, rewards, terminated, truncated, infos

    def render(self):
        return self.env.render()


class BatchGameLog:
    """The same for K copies in one batch (an AtariBatch)."""

    def __init__(self, batch, path):
        self.batch, self.path = batch, path
        self.num_copies = batch.num_copies
        self.observation_spaces, self.action_spaces = batch.observation_spaces, batch.action_spaces

    def reset(self, seeds):
        return self.batch.reset(seeds)

    def step(self, actions):
        step = self.batch.step(actions)
        for ended in step.ended.values():
            if ended.final_infos[0]["game_over"]:
                with open(self.path, "a") as f:
                    f.write(f"{ended.final_infos[0]['episode']['r']} {ended.final_infos[0]['episode']['l']}\n")
        return step

    def render(self, copy):
        return self.batch.render(copy)

    def close(self):
        self.batch.close()


def make_env(game="Pong", num_copies=1):
    if game == "touchdown":
        return Touchdown()
    path = os.path.join(LOG, f"games_{os.getpid()}.txt")
    if num_copies > 1:
        return BatchGameLog(make_atari_game(game, num_copies=num_copies), path)
    return GameLog(make_atari_game(game), path)


arena = make_stem(make_env, LOG)

if CASE == "true_scores":
    arena.kickoff([[1]], {1: "random"}, 3000, env_kwargs={"game": "SpaceInvaders"})
elif CASE == "vector":
    game = {"game": "SpaceInvaders"}
    arena.kickoff([[1]], {1: "random"}, 1500, env_kwargs=game, copies_per_env=4, render=True)
elif CASE == "render":
    arena.kickoff([[1, 2]], {1: "random", 2: "random"}, 4000, scale=True, render=True, env_kwargs={"game": "touchdown"})
print(f"CASE {CASE} FINISHED", flush=True)
