"""Pong self-play: policy 1 (PPO) plays frozen snapshots of itself; a tournament then rates them all.

Every round, policy 1 plays two matches, one on each side of the table. In the first
round its opponents act at random (policy 9); after every round, policy 1 is forked
into a snapshot (policies 101, 102, ...), a read-only past self. From then on, seat 2
plays the newest snapshot and seat 3 one drawn at random from the whole pool: both
are "ppo-eval" players that read a snapshot's checkpoint (``source_policy``), so no
round ever writes into a snapshot's folder. At the end, a tournament plays policy 1,
the last snapshots and the random player against each other on both sides, and
writes log_comms/tournament/ (payoff.csv, ratings.csv, payoff.png).

Run with:  mpiexec -n 7 python my_main_script.py    (2 match copies of 4 games each; about an hour on 2 cores)
Try it in a minute:  mpiexec -n 7 python my_main_script.py --rounds 2 --total-steps 2000 --max-cycles 2000
Watch every game play:  --render 1 (the mosaic, in log_comms/render/ without a display).
Run it again to continue: finished rounds are not played again.
"""

import my_config as cfg
import numpy as np

from arena.core.policy_record import *
from arena.core.stems import *
from arena.settings import script_settings

settings = script_settings(
    __doc__, total_steps=100_000, rounds=10, copies=4, tournament_games=2, max_cycles=100_000, render=False
)
arena = make_stem(cfg.MAKE_ENV_LOCATION, cfg.LOG_COMMS_DIR, cfg.OBS_SPACES, cfg.ACT_SPACES)

# --- only the root process will get beyond this point ---

LEARNER, NEWEST_SEAT, POOL_SEAT, RANDOM = 1, 2, 3, 9
FIRST_SNAPSHOT = 101
rounds = settings.rounds
steps_per_round = settings.total_steps  # policy 1's steps in each round
copies_per_env = settings.copies
tournament_games = settings.tournament_games  # per pair and side
env_kwargs = {"max_cycles": settings.max_cycles}  # frames before a game is cut
render = settings.render
rng = np.random.default_rng(0)
pool = []

for round_index in range(rounds):
    # The learning rate anneals over every round, not each one; the tournament is this example's
    # evaluation, so the single-player protocol (arena.evaluation.schedule) is off.
    policy_kwargs = {LEARNER: {"schedule_steps": rounds * steps_per_round, "evaluation": False}}
    if pool:
        seats = {NEWEST_SEAT: pool[-1], POOL_SEAT: int(rng.choice(pool))}
        policy_types = {LEARNER: "ppo"} | {seat: "ppo-eval" for seat in seats}
        policy_kwargs |= {seat: {"source_policy": snapshot} for seat, snapshot in seats.items()}
        match_list = [[LEARNER, NEWEST_SEAT], [POOL_SEAT, LEARNER]]  # policy 1 on both sides
        print(f"[self-play] round {round_index}: seat 2 plays snapshot {seats[2]}, seat 3 snapshot {seats[3]}")
    else:
        policy_types = {LEARNER: "ppo", RANDOM: "random"}
        match_list = [[LEARNER, RANDOM], [RANDOM, LEARNER]]
    steps = total_steps_to_match_steps(match_list, steps_per_round, copies_per_env=copies_per_env)
    arena.kickoff(
        match_list,
        policy_types,
        steps,
        scale=True,
        copies_per_env=copies_per_env,
        policy_kwargs=policy_kwargs,
        env_kwargs=env_kwargs,
        seed=round_index,
        render=render,
    )
    if round_index < rounds - 1:  # the last round's policy 1 plays the tournament as itself
        snapshot = FIRST_SNAPSHOT + round_index
        PolicyRecord(LEARNER, cfg.LOG_COMMS_DIR).load().fork(snapshot)
        pool.append(snapshot)

# Policy 1 plays frozen here (as "ppo-eval", from a copy of its checkpoint): the tournament trains nobody.
players = [LEARNER, *pool[-3:], RANDOM]
policy_types = {LEARNER: "ppo", RANDOM: "random"} | {snapshot: "ppo-eval" for snapshot in pool}
arena.tournament(players, policy_types, tournament_games, env_kwargs=env_kwargs)
