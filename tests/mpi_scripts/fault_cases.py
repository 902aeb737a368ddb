"""Fault-injection scenarios for tests/mpi/test_faults.py: python fault_cases.py CASE LOG_DIR."""

import os
import sys
import time

from sample_envs import make_env, write_pid

from arena import KickoffError, Policy, make_stem
from arena.algos.random_policy import RandomPolicy
from arena.envs import Touchdown
from arena.storage.records import load_records

CASE, LOG = sys.argv[1], sys.argv[2]
os.environ["FAULT_CUE_DIR"] = LOG  # faulty_learners.SlowPeerPPO's cue goes here


class BadActionPolicy(Policy):
    """Acts 0 for a while, then with an action outside Discrete(3)."""

    def run(self, num_steps, data_dir, policy_record=None):
        self.env.reset()
        for t in range(num_steps):
            _, _, term, trunc, _ = self.env.step(7 if t == 30 else 0)
            if term or trunc:
                self.env.reset()


class StuckPolicy(Policy):
    """Plays a few steps, then hangs."""

    def run(self, num_steps, data_dir, policy_record=None):
        self.env.reset()
        for _ in range(5):
            self.env.step(0)
        time.sleep(1e6)


class PidPolicy(Policy):
    """Writes its pid, then plays slowly with action 0."""

    def run(self, num_steps, data_dir, policy_record=None):
        write_pid(os.path.join(LOG, "worker.pid"))
        self.env.reset()
        for _ in range(num_steps):
            _, _, term, trunc, _ = self.env.step(0)
            if term or trunc:
                self.env.reset()


class SlowStartPolicy(RandomPolicy):
    """Random, but its first action of a round comes 6 s late: a learner building its networks under load."""

    def run(self, num_steps, data_dir, policy_record=None):
        time.sleep(6)
        super().run(num_steps, data_dir, policy_record)


def make_any_env(game="echo", **kwargs):
    if game == "tictactoe":  # turn-based
        from pettingzoo.classic import tictactoe_v3

        from arena.wrappers import pettingzoo_env

        return pettingzoo_env(tictactoe_v3.env())
    return Touchdown(**kwargs) if game == "touchdown" else make_env(**kwargs)


extra = {
    "bad-action": BadActionPolicy,
    "stuck": StuckPolicy,
    "pid": PidPolicy,
    "slow-start": SlowStartPolicy,
    "slow-peer-ppo": "faulty_learners:SlowPeerPPO",
    "missing-module": "no_such_module:Policy",
}
arena = make_stem(make_any_env, LOG, additional_policies=extra)
both = {1: "random", 2: "random"}
slow = {"step_sleep": 0.01, "pid_file": os.path.join(LOG, "env.pid")}

if CASE == "kill":  # slow, long, and pids on disk for the test to kill
    arena.kickoff([[1, 2]], {1: "random", 2: "pid"}, 100_000, env_kwargs=slow)
elif CASE == "stuck_env":
    arena.kickoff([[1, 2]], both, 10_000, env_kwargs={"fault": "stuck", "fault_at": 20}, silence_timeout=3)
elif CASE == "stuck_policy":
    arena.kickoff([[1, 2]], {1: "random", 2: "stuck"}, 10_000, silence_timeout=3)
elif CASE == "slow_start":  # a first action later than silence_timeout, in each of the environment rank's loops
    late = {1: "random", 2: "slow-start"}
    arena.kickoff([[1, 2]], late, 200, silence_timeout=3)
    arena.kickoff([[1, 2]], late, 200, silence_timeout=3, realtime_fps=100)
    arena.kickoff([[1, 2]], late, 30, silence_timeout=3, env_kwargs={"game": "tictactoe"})
    print(f"ROUNDS {arena.rounds}", flush=True)
elif CASE in ("bad_obs", "nan_reward"):
    arena.kickoff([[1, 2]], both, 1_000, env_kwargs={"fault": CASE, "fault_at": 40})
elif CASE == "bad_action":
    arena.kickoff([[1, 2]], {1: "random", 2: "bad-action"}, 1_000)
elif CASE == "warn":  # the same bad data, demoted to warnings: the round completes
    arena.kickoff([[1, 2]], both, 300, env_kwargs={"fault": "nan_reward", "fault_at": 40}, data_checks="warn")
elif CASE == "slow":  # random players at about 100 steps/s
    arena.kickoff([[1, 2]], both, int(sys.argv[3]), env_kwargs={"step_sleep": 0.01})
elif CASE == "held":  # random players whose env waits at step 50 until the test creates LOG/../release
    hold = {"hold_file": os.path.join(os.path.dirname(LOG), "release"), "fault_at": 50}
    arena.kickoff([[1, 2]], both, int(sys.argv[3]), env_kwargs=hold)
elif CASE == "long":  # a run for the lock and signal tests: PPO learns slowly, checkpoints only when asked to stop
    kwargs = {1: {"checkpoint_every": 10**6, "n_steps": 64}}
    td = {"game": "touchdown"}
    arena.kickoff([[1, 2]], {1: "ppo", 2: "random"}, int(sys.argv[3]), env_kwargs=td, policy_kwargs=kwargs, seed=5)
elif CASE == "hard_stop":  # two PPO policies with two workers each; policy 1's root ends up inside an Allreduce
    kwargs = {1: {"checkpoint_every": 1, "n_steps": 64}, 2: {"checkpoint_every": 1, "n_steps": 64}}
    types = {1: "slow-peer-ppo", 2: "ppo"}
    arena.kickoff([[1, 2], [1, 2]], types, 10**6, env_kwargs={"game": "touchdown"}, policy_kwargs=kwargs, seed=5)
elif CASE == "stall_allreduce":  # as hard_stop, with a short silence timeout: who is named?
    kwargs = {1: {"checkpoint_every": 1, "n_steps": 64}, 2: {"checkpoint_every": 1, "n_steps": 64}}
    types = {1: "slow-peer-ppo", 2: "ppo"}
    td = {"game": "touchdown"}
    arena.kickoff([[1, 2], [1, 2]], types, 10**6, env_kwargs=td, policy_kwargs=kwargs, seed=5, silence_timeout=8)
elif CASE == "ppo_short":  # a clean end with a PPO learner (its root worker keeps a private copy of its folder)
    kwargs = {1: {"n_steps": 32}}
    arena.kickoff([[1, 2]], {1: "ppo", 2: "random"}, 300, env_kwargs={"game": "touchdown"}, policy_kwargs=kwargs)
elif CASE == "ppo_abort":  # the env raises mid-round: the job aborts while the root worker holds its copy
    kwargs = {1: {"n_steps": 32}}
    arena.kickoff(
        [[1, 2]], {1: "ppo", 2: "random"}, 10_000, env_kwargs={"fault_at": 200, "fault": "step"}, policy_kwargs=kwargs
    )
elif CASE == "env_restart":  # an env copy raises once; env_restarts=1 rebuilds it and the round completes
    env = {"fault": "step_once", "fault_at": 40}
    result = arena.kickoff([[1, 2]], both, 300, env_kwargs=env, env_restarts=1, copies_per_env=2)
    print(f"EPISODES {sum(len(r.episodes) for r in load_records(LOG).values())}", flush=True)
elif CASE == "tournament":  # a tournament on the log folder (refused while another run holds it)
    arena.tournament([1, 2], both, games_per_pair=1)
elif CASE == "bad_inputs":
    ok = dict(match_list=[[1, 2]], policy_types=both, steps_per_match=10)
    cases = {
        "render": dict(render="yes"),
        "scale": dict(scale=1),
        "seed": dict(seed=1.5),
        "progress_interval": dict(progress_interval=0),
        "copies_per_env": dict(copies_per_env=0),
        "silence_timeout": dict(silence_timeout=-1),
        "data_checks": dict(data_checks="loud"),
        "env_restarts": dict(env_restarts=-1),
        "steps": dict(steps_per_match=0),
        "unknown_type": dict(policy_types={1: "random", 2: "nonsense"}),
        "unloadable_type": dict(policy_types={1: "random", 2: "missing-module"}),
        "missing_policy": dict(policy_types={1: "random"}),
        "match_list": dict(match_list=[[1, "two"]]),
        "env_kwargs_count": dict(env_kwargs=[{}, {}]),
        "remaps": dict(entity_remaps=[[0, 0]]),
        "policy_kwargs_type": dict(policy_kwargs={1: 3}),
        "policy_kwargs_name": dict(policy_kwargs={1: {"sede": 1}}),
        "ppo_kwargs": dict(policy_types={1: "ppo", 2: "random"}, policy_kwargs={1: {"learning_rat": 1e-3}}),
        "plot_colors": dict(plot_colors=["red"]),
        "make_env_fails": dict(env_kwargs={"fail_everywhere": True}),
        "too_few_entities": dict(env_kwargs={"entities": 1}),
        "unequal_spaces": dict(env_kwargs={"variant": "unequal"}),
        "shifting_spaces": dict(env_kwargs={"variant": "shifting"}),
    }
    for name, change in cases.items():
        try:
            arena.kickoff(**{**ok, **change})
            print(f"BAD INPUT {name} ACCEPTED", flush=True)
        except KickoffError as err:
            print(f"BAD INPUT {name}: {err}", flush=True)
print(f"CASE {CASE} FINISHED", flush=True)
