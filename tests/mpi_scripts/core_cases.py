"""Scenarios for tests/mpi/test_mpi_core.py; the case is the first argument."""

import json
import os
import sys

import numpy as np
from sample_envs import make_env

from arena import Policy, make_stem
from arena.algos.base import episode_over, is_multi_entity
from arena.envs.batch import CopiesBatch
from arena.mpi import comm as mpi

CASE, LOG = sys.argv[1], sys.argv[2]


class CheckingPolicy(Policy):
    """Asserts it sees exactly its own entities, and that policy_comm joins its workers."""

    def __init__(self, env, policy_comm, expect_entities=(), expect_workers=None):
        super().__init__(env, policy_comm)
        self.expect = list(expect_entities)
        self.expect_workers = expect_workers

    def run(self, num_steps, data_dir, policy_record=None):
        if self.expect_workers is not None:
            assert mpi.size_of(self.comm) == self.expect_workers, mpi.size_of(self.comm)
        total = mpi.allreduce_sum(np.array([1.0]), self.comm)
        assert total[0] == mpi.size_of(self.comm)
        obs, info = self.env.reset()
        multi = is_multi_entity(self.env)
        reset_of = [i["reset_of"] for i in info] if multi else [info["reset_of"]]
        assert sorted(reset_of) == sorted(self.expect), (reset_of, self.expect)  # reset infos arrive
        for step in range(1, num_steps + 1):
            seen = [int(o[0]) for o in obs] if multi else [int(obs[0])]
            assert seen in [self.expect[i : i + len(seen)] for i in range(len(self.expect))] or sorted(seen) == sorted(
                self.expect
            ), (seen, self.expect)
            action = [0] * len(self.env.action_spaces) if multi else 0
            obs, _, term, trunc, _ = self.env.step(action)
            if episode_over(term, trunc) and step < num_steps:
                obs, _ = self.env.reset()
        if policy_record is not None:
            with open(os.path.join(data_dir, "ran.json"), "w") as f:
                json.dump({"workers": mpi.size_of(self.comm)}, f)


class BrokenPolicy(Policy):
    def run(self, num_steps, data_dir, policy_record=None):
        self.env.reset()
        self.env.step(0)
        raise ValueError("policy failing on purpose")


def make_threaded_env(num_copies=1):
    """Copies of EchoEnv in a batch that says it steps them on two threads, as an AtariBatch may."""
    batch = CopiesBatch([make_env() for _ in range(num_copies)])
    batch.threads = 2
    return batch


factory = make_threaded_env if CASE == "waits_threaded_env" else make_env
arena = make_stem(factory, LOG, additional_policies={"checking": CheckingPolicy, "broken": BrokenPolicy})

if CASE == "rounds":
    # Round 1: two matches; round 2: a new policy id joins.
    arena.kickoff([[1, 2], [2, 1]], {1: "random", 2: "random"}, 100, env_kwargs={"length": 7})
    arena.kickoff([[1, 3]], {1: "random", 3: "random"}, 50, env_kwargs=[{"length": 5}])
elif CASE == "entities":
    # Blocks and remaps: policy 1 controls env entities 3 and 1 together; policy 2 entity 0; 3 entity 2.
    arena.kickoff(
        [[[1, 1], 2, 3]],
        {1: "checking", 2: "checking", 3: "checking"},
        40,
        entity_remaps=[[3, 1, 0, 2]],
        env_kwargs={"entities": 4},
        policy_kwargs={1: {"expect_entities": [3, 1]}, 2: {"expect_entities": [0]}, 3: {"expect_entities": [2]}},
    )
elif CASE == "scale":
    arena.kickoff(
        [[1, 2]],
        {1: "checking", 2: "random"},
        30,
        scale=True,
        policy_kwargs={1: {"expect_workers": 4, "expect_entities": [0]}},
    )
elif CASE in ("waits", "waits_threaded_env"):
    match = [[1]] if CASE == "waits_threaded_env" else [[1, 2]]
    result = arena.kickoff(match, {1: "random", 2: "random"}, 200)
    for rank, summary in sorted(result["ranks"].items()):
        print(f"WAITS rank {rank} {summary['waits']}")
elif CASE == "masks":  # random players on a masked game: one copy, 4 copies, and a block; an illegal claim raises
    claim = {"variant": "claim", "cells": 7}
    arena.kickoff([[1, 2]], {1: "random", 2: "random"}, 300, env_kwargs=claim)
    arena.kickoff([[1, 2]], {1: "random", 2: "random"}, 300, env_kwargs=claim, copies_per_env=4)
    arena.kickoff([[[3, 3]]], {3: "multiagent_random"}, 300, env_kwargs=claim)
    ppo = {4: {"n_steps": 32, "evaluation": False}, 5: {"source_policy": 4}, 6: {"learning_starts": 200}}
    arena.kickoff([[4, 2]], {4: "ppo", 2: "random"}, 320, env_kwargs=claim, copies_per_env=4, policy_kwargs=ppo)
    arena.kickoff([[5, 4]], {5: "ppo-eval", 4: "ppo"}, 320, env_kwargs=claim, policy_kwargs=ppo)
    arena.kickoff([[6, 2]], {6: "dqn", 2: "random"}, 300, env_kwargs=claim, copies_per_env=4, policy_kwargs=ppo)
elif CASE == "legacy":
    arena.kickoff([[1, 2]], {1: "random", 2: "random"}, 60, env_kwargs={"legacy": True, "length": 6})
elif CASE == "fail_step":
    arena.kickoff([[1, 2]], {1: "random", 2: "random"}, 1000, env_kwargs={"fail_at": 50})
elif CASE == "fail_make_env":
    arena.kickoff([[1, 2]], {1: "random", 2: "random"}, 1000, env_kwargs={"fail_on_env_ranks": True})
elif CASE == "fail_reset":
    arena.kickoff([[1, 2]], {1: "random", 2: "random"}, 1000, env_kwargs={"fault": "reset"})
elif CASE == "fail_policy":
    arena.kickoff([[1, 2]], {1: "random", 2: "broken"}, 1000)
elif CASE == "fail_root":
    arena.kickoff([[1, 2]], {1: "random", 2: "random"}, 10)
    raise RuntimeError("root script failing on purpose after a round")
elif CASE == "bad_too_few":  # uncaught, a kickoff error ends the job (the other bad inputs: test_faults.py)
    arena.kickoff([[1, 2], [1, 2]], {1: "random", 2: "random"}, 10)
print(f"CASE {CASE} FINISHED", flush=True)
