"""Connect Four self-play: policy 1 (PPO) learns against random, then against frozen snapshots of itself.

A tournament then rates policy 1, its last snapshots, a scripted one-step-lookahead player
(win now if it can, block if it must, else random) and the random player.

Round 0: policy 1 plays the random player on both seats. After every round, policy 1 is
forked into a snapshot (101, 102, ...). From then on it plays two matches a round: one against
a sparring partner drawn from the scripted lookahead player (half the time) and the snapshots,
the other against its newest snapshot; the snapshots play frozen as "ppo-eval" players, and
the two matches swap seats every round, so that policy 1 moves first and second against
each kind of opponent. Policy 1's MLP is 256 wide (the vector default is 64). The game is played
in turns (PettingZoo's AEC env through arena.wrappers.turns): only the player to move is
asked, and every player sees the board from its own side with the legal columns.

Run with:  mpiexec -n 7 python my_main_script.py    (2 matches; about 50 minutes on 2 cores)
Try it in a minute:  mpiexec -n 7 python my_main_script.py --rounds 2 --total-steps 2000 --tournament-games 2
Results: log_comms/tournament/ (payoff.csv, ratings.csv, payoff.png) and log_comms/all_policies.png.
Needs: pip install -e ".[multiagent]"
"""

import my_config as cfg
import numpy as np
from lookahead import OneStepLookahead

from arena.core.policy_record import *
from arena.core.stems import *
from arena.settings import script_settings

settings = script_settings(__doc__, total_steps=200_000, rounds=5, tournament_games=10)
arena = make_stem(cfg.MAKE_ENV_LOCATION, cfg.LOG_COMMS_DIR, additional_policies={"lookahead": OneStepLookahead})

# --- only the root process will get beyond this point ---

LEARNER, NEWEST_SEAT, POOL_SEAT, LOOKAHEAD, RANDOM = 1, 2, 3, 8, 9
FIRST_SNAPSHOT = 101
rounds, steps_per_round = settings.rounds, settings.total_steps  # policy 1's moves in each round
rng = np.random.default_rng(0)
pool = []


def sparring_partner() -> tuple[int, str, dict]:
    """Seat 3's player this round: the lookahead player half the time, else a snapshot from the pool."""
    if rng.random() < 0.5:
        return LOOKAHEAD, "lookahead", {}
    snapshot = int(rng.choice(pool))
    return POOL_SEAT, "ppo-eval", {"source_policy": snapshot}


for round_index in range(rounds):
    # The learning rate anneals over every round; the tournament is the evaluation.
    policy_kwargs = {LEARNER: {"schedule_steps": rounds * steps_per_round, "evaluation": False, "hidden": 256}}
    if pool:
        partner, partner_type, partner_kwargs = sparring_partner()
        policy_types = {LEARNER: "ppo", NEWEST_SEAT: "ppo-eval", partner: partner_type}
        policy_kwargs |= {NEWEST_SEAT: {"source_policy": pool[-1]}, partner: partner_kwargs}
        # Policy 1 on both seats, each match's seats swapped every round.
        match_list = [[LEARNER, NEWEST_SEAT], [partner, LEARNER]]
        if round_index % 2 == 0:
            match_list = [[LEARNER, partner], [NEWEST_SEAT, LEARNER]]
        sparring = f"snapshot {partner_kwargs['source_policy']}" if partner_kwargs else "the lookahead player"
        print(f"[self-play] round {round_index}: newest snapshot {pool[-1]}, sparring partner {sparring}")
    else:
        policy_types = {LEARNER: "ppo", RANDOM: "random"}
        match_list = [[LEARNER, RANDOM], [RANDOM, LEARNER]]
    steps = total_steps_to_match_steps(match_list, steps_per_round)
    arena.kickoff(match_list, policy_types, steps, scale=True, policy_kwargs=policy_kwargs, seed=round_index)
    if round_index < rounds - 1:  # the last round's policy 1 plays the tournament as itself
        snapshot = FIRST_SNAPSHOT + round_index
        PolicyRecord(LEARNER, cfg.LOG_COMMS_DIR).load().fork(snapshot)
        pool.append(snapshot)

# Policy 1 plays frozen here (as "ppo-eval", from a copy of its checkpoint): the tournament trains nobody.
players = [LEARNER, *pool[-2:], LOOKAHEAD, RANDOM]
policy_types = {LEARNER: "ppo", LOOKAHEAD: "lookahead", RANDOM: "random"} | {s: "ppo-eval" for s in pool}
arena.tournament(players, policy_types, settings.tournament_games)
