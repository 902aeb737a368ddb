"""Tap both ends of a batched Atari match: what each copy produced, and what PPO trained on.

python trajectory_cases.py LOG_DIR. The environment rank writes env_tap.npz and the PPO
worker worker_tap.npz into LOG_DIR; tests/mpi/test_trajectories.py compares them.
"""

import hashlib
import os
import sys

import numpy as np

from arena import make_stem
from arena.algos.ppo import PPO
from arena.envs.atari import make_atari_game

LOG = sys.argv[1]
COPIES, STEPS = 3, 480


def digest(frames: np.ndarray) -> np.ndarray:
    """One int64 per row of a batch of observations."""
    rows = np.ascontiguousarray(frames).reshape(len(frames), -1)
    return np.array(
        [int.from_bytes(hashlib.blake2b(r.tobytes(), digest_size=8).digest(), "little", signed=True) for r in rows]
    )


class TapBatch:
    """An env batch that keeps every step it produced: observations after the step, actions, rewards, ends."""

    def __init__(self, batch):
        self.batch, self.num_copies = batch, batch.num_copies
        self.observation_spaces, self.action_spaces = batch.observation_spaces, batch.action_spaces
        self.obs, self.actions, self.rewards, self.ends, self.games, self.lives = [], [], [], [], 0, 0

    def reset(self, seeds):
        obs, infos = self.batch.reset(seeds)
        self.obs.append(digest(obs[0]))
        return obs, infos

    def step(self, actions):
        step = self.batch.step(actions)
        self.obs.append(digest(step.obs[0]))
        self.actions.append(np.asarray(actions[0]).copy())
        self.rewards.append(step.rewards[:, 0].copy())
        self.ends.append(step.terminated[:, 0] | step.truncated[:, 0])
        for ended in step.ended.values():
            self.games += ended.final_infos[0]["game_over"]
            self.lives += not ended.final_infos[0]["game_over"]
        return step

    def render(self, copy):
        return self.batch.render(copy)

    def close(self):
        np.savez(
            os.path.join(LOG, "env_tap.npz"),
            obs=self.obs,
            actions=self.actions,
            rewards=self.rewards,
            ends=self.ends,
            games=self.games,
            lives=self.lives,
        )
        self.batch.close()


class TapPPO(PPO):
    """PPO that keeps every rollout it trained on."""

    def run(self, num_steps, data_dir, policy_record=None):
        self.tap = {"obs": [], "actions": [], "rewards": [], "ends": []}
        super().run(num_steps, data_dir, policy_record)
        np.savez(os.path.join(LOG, "worker_tap.npz"), **{k: np.concatenate(v) for k, v in self.tap.items()})

    def update(self, buf, batch_size):
        T = buf["obs"].shape[0]
        self.tap["obs"].append(np.stack([digest(buf["obs"][t].numpy()) for t in range(T)]))
        for key in ("actions", "rewards", "ends"):
            self.tap[key].append(buf[key].numpy().copy())
        return super().update(buf, batch_size)


def make_env(num_copies=1):
    env = make_atari_game("Breakout", num_copies=num_copies)
    return TapBatch(env) if num_copies > 1 else env


arena = make_stem(make_env, LOG, additional_policies={"tap-ppo": TapPPO})
small = {"n_steps": 32, "n_minibatches": 2, "n_epochs": 1}
arena.kickoff([[1]], {1: "tap-ppo"}, STEPS, copies_per_env=COPIES, policy_kwargs={1: small}, seed=5)
print("TRAJECTORIES FINISHED", flush=True)
