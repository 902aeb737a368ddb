"""What every rank needs to know about a round, sent by the root at kickoff."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

DEFAULT_SILENCE_TIMEOUT_S = 120.0
# Every rank reports to rank 0 within this of the job's start, and a worker's first action of a round
# may come this late (it imports torch and builds its learner first): imports from a slow shared disk.
STARTUP_TIMEOUT_S = 600.0
_STREAMS = {"env copy": 0, "worker rank": 1}


def stream_seed(base_seed: int, round_index: int, kind: str, index: int, attempt: int = 0) -> int:
    """The seed of one random stream: an env copy's or a worker rank's, new in every round and every resume.

    Drawn from ``SeedSequence([base seed, round, attempt, kind, index])``, so streams of
    different rounds, resumes, copies and ranks are independent, and a run with one base
    seed repeats exactly. ``attempt`` counts the times a cut-short round was resumed.
    """
    entropy = [int(base_seed), int(round_index), int(attempt), _STREAMS[kind], int(index)]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0] >> 1)  # 31 bits: any library takes it


@dataclass(frozen=True)
class RoundConfig:
    """The settings of one round; ranks receive it with their role."""

    round_index: int
    steps_per_match: int
    policy_types: dict
    policy_kwargs: dict
    policy_ranks: dict  # policy id -> world ranks of its workers
    plot_colors: dict
    log_comms_dir: str
    seed: int
    render: bool
    progress_interval: float
    # A rank that waits longer than this on its match partner ends the job, naming the partner.
    silence_timeout: float = DEFAULT_SILENCE_TIMEOUT_S
    data_checks: str = "raise"  # or "warn" / "off": see arena.envs.step_checks
    env_spaces: dict = field(default_factory=dict)  # match index -> (obs spaces, act spaces) the root found
    devices: dict = field(default_factory=dict)  # learner rank -> torch device ("cuda:1", "cpu")
    spin_ranks: tuple = ()  # ranks with a core of their own: their per-step waits never sleep
    waits: str = "auto"  # ARENA_WAITS as rank 0 read it: "auto", "spin" or "sleep"
    # Policy id -> steps each of its workers takes (per copy); absent: steps_per_match. A resumed
    # round gives each policy what its budget has left, so policies of one match may differ.
    worker_steps: dict = field(default_factory=dict)
    attempt: int = 0  # 0 for a round's first run, then 1, 2... for each resume of it
    round_budgets: dict = field(default_factory=dict)  # policy id -> its steps over the whole round
    # Games each env copy plays before its match ends (None: the step budget alone ends it). Env ranks
    # then report every game's per-entity scores in their summaries (what a tournament reads).
    games_per_copy: int | None = None
    report_games: bool = False  # report every game's scores without a games budget too (a league's win rates)
    # Steps per wall-clock second of every env copy (None: as fast as the policies act); see arena.ranks.env.paced.
    realtime_fps: float | None = None
    # How many times in all an env rank may rebuild a copy whose env raised (0: fail-stop); see arena.envs.batch.
    env_restarts: int = 0

    def steps_for(self, policy_id: int) -> int:
        """Steps (per copy) each worker of ``policy_id`` takes in this round."""
        return int(self.worker_steps.get(policy_id, self.steps_per_match))

    def match_steps(self, policy_ids: list[int]) -> int:
        """Steps (per copy) the match's environment runs: as many as its busiest policy takes."""
        return max(self.steps_for(pid) for pid in policy_ids)

    def seed_for(self, kind: str, index: int) -> int:
        """This round's (and this resume's) seed for an env copy (by global copy id) or a worker (by rank)."""
        return stream_seed(self.seed, self.round_index, kind, index, self.attempt)

    def collective_timeout(self) -> float:
        """How long a worker waits in a collective with its policy's other workers: shorter than its
        environment rank waits on it, so that the worker, which knows whom it waits for, reports first."""
        return self.silence_timeout / 2

    def first_action_timeout(self) -> float:
        """How long an environment rank waits for a worker's first action of the round: the worker builds
        its learner first (importing torch, allocating a replay), which under load or from a slow shared
        disk can outlast a short ``silence_timeout``; a worker that then stops is named after the usual one."""
        return max(self.silence_timeout, STARTUP_TIMEOUT_S)

    def worker_first_timeout(self) -> float:
        """How long a worker waits on its environment rank for the round's first messages, and on the other
        workers of its policy while they build their learners: longer than ``first_action_timeout``, so
        that a worker that never acts is named by its environment rank."""
        return self.first_action_timeout() + min(self.silence_timeout, 10.0)

    def worker_timeout(self) -> float:
        """How long a worker waits on its environment rank: longer than the environment waits on a worker,
        so that when a worker is silent its environment rank, which knows which one, reports first."""
        return self.silence_timeout + min(self.silence_timeout, 10.0)
