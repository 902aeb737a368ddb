"""Evolution rounds: a population of PPO players; after each round the worst is replaced by a mutant of the best.

Each round (generation) plays every member against a random opponent (policy 100),
scaled to fill the ranks. Then the fittest member (best recent mean return; among
equals, the one that scores in the fewest steps) is forked:
its records and checkpoint are copied to a new policy id, whose learning rate is the
parent's times 0.5 or 2 (population-based training). The new member replaces the
worst one and carries on learning from the parent's weights.

Run with:  mpiexec -n 10 python my_main_script.py
Try it on a small budget with --total-steps N (per generation); --help lists every setting.
"""

import my_config as cfg
import numpy as np

from arena.core.policy_record import *
from arena.core.stems import *
from arena.settings import script_settings

settings = script_settings(__doc__, total_steps=30_000, generations=3)
arena = make_stem(cfg.MAKE_ENV_LOCATION, cfg.LOG_COMMS_DIR, cfg.OBS_SPACES, cfg.ACT_SPACES)

# --- only the root process will get beyond this point ---

OPPONENT = 100
GENERATIONS = settings.generations
steps_per_generation = settings.total_steps
rng = np.random.default_rng(0)
learning_rates = {1: 1e-4, 2: 3e-4, 3: 1e-3}
population = sorted(learning_rates)
next_id = max(population) + 1

for generation in range(GENERATIONS):
    match_list = [[p, OPPONENT] for p in population]
    policy_types = {p: "ppo" for p in population} | {OPPONENT: "random"}
    # Each member keeps its evolved learning rate: no annealing, which would end at the first generation's budget.
    policy_kwargs = {p: {"learning_rate": learning_rates[p], "anneal_lr": False} for p in population}
    steps = total_steps_to_match_steps(match_list, steps_per_generation)
    arena.kickoff(match_list, policy_types, steps, scale=True, policy_kwargs=policy_kwargs)

    # Fitness: the mean return of recent episodes; among equals, the faster scorer (shorter episodes).
    fitness = {}
    for p in population:
        record = PolicyRecord(p, cfg.LOG_COMMS_DIR).load()
        fitness[p] = (float(np.mean(record.ep_results[-50:])), -float(np.mean(record.ep_lengths[-50:])))
    ranked = sorted(population, key=lambda p: (fitness[p], p))  # full ties: the older policy ranks lower
    worst, best = ranked[0], ranked[-1]
    summary = ", ".join(f"policy {p}: return {r:+.2f} length {-n:.1f}" for p, (r, n) in fitness.items())
    print(f"[evolution] generation {generation}: {summary}", flush=True)
    if generation == GENERATIONS - 1:
        break
    child = next_id
    next_id += 1
    PolicyRecord(best, cfg.LOG_COMMS_DIR).load().fork(child)
    learning_rates[child] = learning_rates[best] * float(rng.choice([0.5, 2.0]))
    population = sorted([p for p in population if p != worst] + [child])
    print(
        f"[evolution] policy {best} (best) forks into policy {child} with learning rate "
        f"{learning_rates[child]:.1e}; policy {worst} (worst) leaves the population",
        flush=True,
    )
