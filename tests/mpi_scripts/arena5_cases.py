"""arena5-style scripts for tests/{unit,mpi}/test_arena5_names.py: python arena5_cases.py CASE LOG_DIR."""

import sys

from arena.core.stems import *  # noqa: F403 - as arena5's scripts import it
from arena.envs import Touchdown

CASE, LOG = sys.argv[1], sys.argv[2]


class LegacyRandom:
    """A policy as arena5's tutorial writes one: a plain class, 4-tuple steps, all workers' steps at once."""

    def __init__(self, env, policy_comm):
        self.env, self.comm = env, policy_comm

    def run(self, num_steps, data_dir, policy_record=None):
        self.env.reset()
        local_steps = int(num_steps / self.comm.Get_size())
        for _ in range(local_steps):
            _, _, done, _ = self.env.step(self.env.action_space.sample())
            if done:
                self.env.reset()
        if policy_record is not None:
            policy_record.add_result(float(local_steps), 1, channel="runs")  # an arena5 channel of its own
            policy_record.save()
            with open(policy_record.data_dir + "model.txt", "w") as f:  # arena5's data_dir ends with "/"
                f.write(f"{local_steps} steps on each of {self.comm.Get_size()} workers")


class ListActionEnv:
    """An env as arena5's examples write one: reset() gives observations only, step() a 4-tuple,
    and every action arrives as a 1-D list (a Discrete action ``a`` as ``[a]``)."""

    def __init__(self, length=10):
        import numpy as np
        from gymnasium.spaces import Box, Discrete

        self.np, self.length = np, length
        self.observation_spaces = [Box(-10.0, 10.0, (2,)), Box(-10.0, 10.0, (2,))]
        self.action_spaces = [Discrete(3), Box(-1.0, 1.0, (2,))]

    def reset(self):
        self.t, self.pos = 0, [0.0, 0.0]
        return [self.np.zeros(2, self.np.float32), self.np.zeros(2, self.np.float32)]

    def step(self, actions):
        self.t += 1
        self.pos[0] += actions[0][0] - 1  # arena5's Touchdown indexes action[0]
        self.pos[1] += sum(actions[1])  # a Box action as a list of its values
        obs = [self.np.full(2, p / self.length, self.np.float32) for p in self.pos]
        return obs, [self.pos[0], -self.pos[0]], self.t >= self.length, [{}, {}]

    def render(self):  # as arena5's Touchdown: draws its own window, returns nothing
        import cv2

        cv2.namedWindow("img", cv2.WINDOW_NORMAL)
        cv2.imshow("img", self.np.zeros((30, 30, 3), self.np.uint8))
        cv2.waitKey(1)


class LegacyGaussian(LegacyRandom):
    """Like arena5's PyTorch examples: Box actions with a batch axis, shape (1, 2), and unbounded."""

    def run(self, num_steps, data_dir, policy_record=None):
        import numpy as np

        self.env.reset()
        for _ in range(int(num_steps / self.comm.Get_size())):
            _, _, done, _ = self.env.step(np.random.default_rng(0).normal(0.0, 3.0, (1, 2)))
            if done:
                self.env.reset()


def make_legacy_policy(env, comms):
    return LegacyRandom(env, comms)


def make_env(players_per_team=3, game="touchdown", action_types="discrete"):
    if game == "list-actions":
        return ListActionEnv()
    return Touchdown(players_per_team=players_per_team, action_types=action_types)


LEGACY = {"legacy": LegacyRandom, "legacy-factory": make_legacy_policy, "gaussian": LegacyGaussian}
arena = make_stem(make_env, LOG, additional_policies=LEGACY)  # noqa: F405
if CASE == "blocks":  # touchdown_multi_agent's second script: two blocks of three, remapped, policy id 0
    match_list = [[[0, 0, 0], [1, 1, 1]]]
    arena.kickoff(match_list, {0: "multiagent_random", 1: "multiagent_random"}, 300, entity_remaps=[[0, 2, 4, 1, 3, 5]])
elif CASE == "ppo1":  # round_robin_with_parameters passes arena5's PPO1 names
    ppo1 = {"optim_stepsize": 0.0, "timesteps_per_actorbatch": 64, "optim_batchsize": 32, "schedule": "constant"}
    arena.kickoff([[1, 2]], {1: "ppo", 2: "random"}, 200, policy_kwargs={1: ppo1}, env_kwargs={"players_per_team": 1})
elif CASE == "ppo1-refused":
    arena.kickoff([[1, 2]], {1: "ppo", 2: "random"}, 200, policy_kwargs={1: {"clip_rewards": True}})
elif CASE == "legacy-policies":  # custom_policy_random_agent: a plain class and a factory, scaled to 2 copies
    types = {1: "legacy", 2: "legacy-factory"}
    for _ in range(2):  # two rounds: the channel carries on
        arena.kickoff([[1, 2]], types, 150, scale=True, env_kwargs={"players_per_team": 1})
elif CASE == "sac":  # touchdown_pytorch_sac: SAC against random on continuous Touchdown, scaled; arena5's keyword
    sac = {"worker_replay_size": 1_000, "hidden": 16, "learning_starts": 100, "batch_size": 16}
    env = {"players_per_team": 1, "action_types": "continuous"}
    arena.kickoff([[1, 2]], {1: "sac", 2: "random"}, 150, scale=True, policy_kwargs={1: sac}, env_kwargs=env)
elif CASE == "list-actions":  # arena5's Touchdown takes actions as 1-D lists
    arena.kickoff([[1, 2]], {1: "random", 2: "gaussian"}, 200, env_kwargs={"game": "list-actions"})
elif CASE == "window-render":  # render=True with an env that opens its own window, here headless
    arena.kickoff([[1, 2]], {1: "random", 2: "random"}, 300, env_kwargs={"game": "list-actions"}, render=True)
elif CASE == "evolution":  # atari_evo's loop: channels to score, forks, plots with offsets, PPO1 names
    import numpy as np

    from arena.core.policy_record import PolicyRecord, plot_policy_records

    pool, latest, offsets, offset = [1, 2], 2, {1: 0, 2: 0}, 0
    for generation in range(2):
        kwargs = {p: {"timesteps_per_actorbatch": 50, "optim_stepsize": 1e-3} for p in pool}
        match_list = [[p, 9] for p in pool]
        types = {p: "ppo" for p in pool} | {9: "random"}
        arena.kickoff(match_list, types, 300, policy_kwargs=kwargs, env_kwargs={"players_per_team": 1})
        records = [PolicyRecord(p, LOG) for p in sorted(offsets)]
        plot_policy_records(
            records, [10], [1.0], f"{LOG}/gen_{generation}.png", colors=None, offsets=list(offsets.values())
        )
        scores = {p: np.mean(PolicyRecord(p, LOG).channels["main"].ep_results[-20:] or [0.0]) for p in pool}
        best = max(pool, key=lambda p: (scores[p], -p))
        offset += 300
        latest += 1
        PolicyRecord(best, LOG).fork(latest)
        offsets[latest] = offset
        pool = [best, latest]
        print(f"[evolution] generation {generation}: best {best}, forked into {latest}", flush=True)
