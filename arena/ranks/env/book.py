"""What an environment rank keeps of its steps, whichever loop runs them: checks, games, memory, speed, frames."""

from __future__ import annotations

import time

import numpy as np

from arena.envs.api import entity_scores, episode_dropped, game_continues
from arena.envs.batch import BatchStep, EnvBatch
from arena.envs.step_checks import DataChecks
from arena.mpi import comm as mpi
from arena.plan.roles import MatchCopy
from arena.plan.rounds import RoundConfig
from arena.ranks.memory import MemoryProbe
from arena.report.mosaic import FrameSender


def check_step(checks: DataChecks, t: int, step: BatchStep, obs_spaces: list) -> None:
    """Rewards and observations of step ``t``, including the last observations of episodes that ended."""
    checks.rewards(t, step.rewards)
    checks.observations(t, step.obs, obs_spaces)
    for ended in step.ended.values():
        checks.observations(t, [[o] for o in ended.final_obs], obs_spaces)


class StepBook:
    """What an environment rank keeps of its steps, whichever loop runs them: counts, checks, games, frames."""

    def __init__(self, comm: mpi.Comm, match: MatchCopy, cfg: RoundConfig, obs_spaces: list, steps: int, labels: list):
        where = f"env of match {match.match_index} copy {match.copy_index} (rank {mpi.rank_of(comm)})"
        self.checks, self.obs_spaces, self.steps = DataChecks(cfg.data_checks, where), obs_spaces, steps
        self.tally = GameTally(match.num_copies, len(obs_spaces), cfg.games_per_copy, cfg.report_games)
        self.frames = FrameSender(comm, list(match.global_copy_ids()), labels) if cfg.render else None
        self.memory = MemoryProbe()
        self.done_steps = self.episodes = 0
        # Steady speed leaves out the first tenth of the steps, while workers still build their policies.
        self.warm_steps, self.warm_time = max(1, steps // 10), None
        self.start = time.perf_counter()

    def check_start(self, obs: list) -> None:
        """Check the first observations."""
        if self.checks.on:
            self.checks.observations(0, obs, self.obs_spaces)

    def take(self, step: BatchStep, batch: EnvBatch) -> None:
        """Book one step of every copy: checks, episodes, games, memory, speed and (rendering) frames."""
        self.done_steps += 1
        if self.checks.on:
            check_step(self.checks, self.done_steps, step, self.obs_spaces)
        self.episodes += len(step.ended)
        self.tally.add(step)
        self.memory.sample(self.done_steps / max(1, self.steps))
        if self.done_steps == self.warm_steps:
            self.warm_time = time.perf_counter()
        if self.frames is not None:
            self.frames.maybe_send(batch)

    def close(self, timeout: float) -> None:
        """Wait for the last frames to leave."""
        if self.frames is not None:
            self.frames.close(timeout)

    def summary(self, copies: int) -> dict:
        """The rank's round summary: steps, episodes, seconds, steady speed, memory and (with a budget) games."""
        end, warm = time.perf_counter(), self.warm_time
        steady = (self.done_steps - self.warm_steps) * copies / (end - warm) if warm and end > warm else None
        summary = {"steps": self.done_steps * copies, "episodes": self.episodes, "seconds": end - self.start}
        return summary | {"steady_steps_per_s": steady} | self.memory.summary() | self.tally.summary()


class GameTally:
    """With a games budget or ``report``: the whole games finished on this rank (a lost life is not one) and their
    scores.

    Without either it does nothing, so a plain training round's step path pays nothing for it.
    """

    def __init__(self, copies: int, entities: int, games_per_copy: int | None, report: bool = False):
        self.budget = None if games_per_copy is None else int(games_per_copy) * copies
        self.on = report or self.budget is not None
        self.returns = np.zeros((copies, entities))
        self.scores: list[list[float]] = []  # per game, each entity's score (kept only with a budget)
        self.games = 0

    def add(self, step: BatchStep) -> None:
        """Take in one step's rewards and the games it ended."""
        if not self.on:
            return
        self.returns += step.rewards
        for k, end in step.ended.items():
            if episode_dropped(end.final_infos):  # its env raised and was rebuilt: no game to count
                self.returns[k] = 0.0
                continue
            if game_continues(end.final_infos):
                continue
            self.games += 1
            self.scores.append(entity_scores(end.final_infos, self.returns[k]))
            self.returns[k] = 0.0

    def enough(self) -> bool:
        """True once the copies together have played their games."""
        return self.budget is not None and self.games >= self.budget

    def summary(self) -> dict:
        """When on, ``games`` played and ``game_scores``: one list of per-entity scores per game."""
        return {"games": self.games, "game_scores": self.scores} if self.on else {}
