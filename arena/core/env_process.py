"""The environment rank: steps K copies of one match and serves their workers.

Each step, every worker gets one message for all K copies: its entities'
observations, rewards and flags. A copy whose episode ends is reset at once, so
the message already holds the next episode's first observations; the ended
episode's last observations and infos follow as one pickled object, the only
per-episode (not per-step) pickle.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from arena.core import comm as mpi
from arena.core import protocol
from arena.core.buffers import OVER, QUIT, RESET, STEP, SpaceCodec, action_layout, step_layout
from arena.core.checks import DataChecks
from arena.core.env_api import entity_scores, game_continues
from arena.core.env_batch import BatchStep, EnvBatch, build_batch, stepping_threads
from arena.core.memory import MemoryProbe
from arena.core.mosaic import FrameSender
from arena.core.plan import MatchCopy
from arena.core.proxies import HAS_INFO
from arena.core.realtime import PacedLoop
from arena.core.round import RoundConfig


def copy_seeds(cfg: RoundConfig, match: MatchCopy) -> list[int]:
    """The seed of each copy this rank runs: reproducible, and new in every round."""
    return [cfg.seed_for("env copy", c) for c in match.global_copy_ids()]


def build_env(
    make_env: Callable[..., Any], match: MatchCopy, expected: tuple | None = None
) -> tuple[EnvBatch, list, list]:
    """Build the rank's copies of the match and check they have every entity the match list names.

    ``expected`` holds the spaces the root found when it built the env; copies must match them.
    """
    batch = build_batch(make_env, match.num_copies, match.env_kwargs)
    obs_spaces, act_spaces = list(batch.observation_spaces), list(batch.action_spaces)
    if expected is not None and (obs_spaces, act_spaces) != (list(expected[0]), list(expected[1])):
        raise ValueError(
            f"match {match.match_index} copy {match.copy_index}: the env's spaces differ from the copy the root "
            f"built: observation spaces {obs_spaces} vs {list(expected[0])}, action spaces {act_spaces} vs "
            f"{list(expected[1])}; every copy of a match must have the same spaces"
        )
    if len(obs_spaces) != len(act_spaces):
        raise ValueError(f"env has {len(obs_spaces)} observation spaces but {len(act_spaces)} action spaces")
    needed = max(e for w in match.workers for e in w.entities) + 1
    if len(obs_spaces) < needed:
        raise ValueError(
            f"match {match.match_index} needs entities up to index {needed - 1} but the env has "
            f"only {len(obs_spaces)} entities; check match_list and entity_remaps"
        )
    return batch, obs_spaces, act_spaces


def copy_labels(batch: EnvBatch, match: MatchCopy) -> list[str]:
    """Each copy's label: the batch's own (a multi-game batch labels every copy with its game), else the match's."""
    labels = getattr(batch, "labels", None)
    if labels is None:
        return [match.label] * batch.num_copies
    labels = [str(label) for label in labels]
    if len(labels) != batch.num_copies:
        raise ValueError(f"the env batch has {batch.num_copies} copies but {len(labels)} labels; give one per copy")
    return labels


class WorkerChannel:
    """The buffers and pending sends for one worker of this match."""

    def __init__(
        self, worker, obs_spaces: list, act_spaces: list, copies: int, pickled: bool = False, paced: bool = False
    ):
        self.rank, self.entities = worker.rank, list(worker.entities)
        self.pickled = pickled  # the slow reference protocol, for benchmarks
        self.obs_codecs = [SpaceCodec(obs_spaces[e]) for e in self.entities]
        self.act_codecs = [SpaceCodec(act_spaces[e]) for e in self.entities]
        layout = step_layout(self.obs_codecs, copies, self.act_codecs if paced else None)
        self.buf, self.views = layout.allocate()
        self.act_buf, self.act_views = action_layout(self.act_codecs, copies).allocate()
        self.pending: list = []
        self.active = True

    def send(self, comm: mpi.Comm, kind: int, obs: list, step: BatchStep | None, infos: dict) -> None:
        """Pack this worker's part of all copies into its buffer and start sending it (infos pickled, if any)."""
        if self.pickled:
            self._send_pickled(comm, kind, obs, step, infos)
            return
        v = self.views
        v["header"][:] = (kind, HAS_INFO if infos else 0)
        if step is not None:
            v["ended"][:] = 0
            v["ended"][list(step.ended)] = 1
            v["reward"][:] = step.rewards[:, self.entities]
            v["terminated"][:] = step.terminated[:, self.entities]
            v["truncated"][:] = step.truncated[:, self.entities]
        if obs:
            for i, (e, codec) in enumerate(zip(self.entities, self.obs_codecs)):
                codec.encode_batch(obs[e], v[f"obs{i}"])
        self.pending.append(mpi.isend_buffer(self.buf, self.rank, protocol.STEP, comm))
        if infos:
            self.pending.append(mpi.isend_object(infos, self.rank, protocol.INFO, comm))

    def _send_pickled(self, comm: mpi.Comm, kind: int, obs: list, step: BatchStep | None, infos: dict) -> None:
        """Everything as one pickled object per step, as a naive design sends it."""
        message: tuple = (kind, infos)
        if step is not None:
            ended = np.zeros(len(step.rewards), np.uint8)
            ended[list(step.ended)] = 1
            flags = [
                step.rewards[:, self.entities],
                step.terminated[:, self.entities],
                step.truncated[:, self.entities],
            ]
            message += (ended, *flags)
        if obs:
            message += ([list(obs[e]) for e in self.entities],)
        self.pending.append(mpi.isend_object(message, self.rank, protocol.STEP, comm))

    def infos_for(self, step: BatchStep | None, reset_infos: list[list[dict]] | None) -> dict:
        """This worker's entities' infos: at the start, each copy's reset infos; later, each ended copy's episode."""
        pick = self.entities
        if reset_infos is not None:
            out = {k: [infos[e] for e in pick] for k, infos in enumerate(reset_infos)}
            return out if any(any(i) for i in out.values()) else {}
        return {
            k: ([e_.final_obs[e] for e in pick], [e_.final_infos[e] for e in pick], [e_.reset_infos[e] for e in pick])
            for k, e_ in step.ended.items()
        }

    def post_receive(self, comm: mpi.Comm) -> list:
        """Start receiving the next action message (buffers); the pickled protocol receives in ``finish``."""
        return [] if self.pickled else [mpi.irecv_buffer(self.act_buf, self.rank, protocol.ACTION, comm)]

    def finish_receive(self, comm: mpi.Comm, timeout: float | None = None) -> None:
        """Complete the action message: with pickles, receive it now and unpack it into the action views."""
        if self.pickled:
            header, actions = mpi.recv_object(self.rank, protocol.ACTION, comm, timeout=timeout)[0]
            self.act_views["header"][0] = header
            for i, (codec, action) in enumerate(zip(self.act_codecs, actions)):
                codec.encode_batch(action, self.act_views[f"act{i}"])

    def quit(self) -> bool:
        """True when the worker's last message said it is leaving."""
        return int(self.act_views["header"][0]) == QUIT

    def fill_actions(self, actions: list) -> None:
        """Put this worker's actions (every copy) into the per-entity action list."""
        for i, (e, codec) in enumerate(zip(self.entities, self.act_codecs)):
            actions[e] = codec.decode_batch(self.act_views[f"act{i}"])


def _silent_workers(channels: list[WorkerChannel], receives: dict, timeout: float) -> mpi.WaitTimeout:
    """The error for a step wait that timed out, naming the workers that sent no action."""
    silent = [ch for ch in channels if ch.rank in receives and not mpi.test_all(receives[ch.rank])]
    names = ", ".join(f"rank {ch.rank} (worker for entities {ch.entities})" for ch in silent) or "a worker"
    return mpi.WaitTimeout(
        f"{names} sent no action for {timeout:g} s; it may have died or be stuck (in its policy, or in a long "
        "update). kickoff(silence_timeout=...) sets this limit."
    )


def _await_actions(comm: mpi.Comm, active: list[WorkerChannel], timeout: float) -> None:
    """Wait for every active worker's next action; on timeout, name the workers that went silent.

    A worker sends its next action only after taking in what we sent, so one wait covers both.
    """
    receives = {ch.rank: ch.post_receive(comm) for ch in active}
    try:
        sends = [r for ch in active for r in ch.pending]
        mpi.wait_all([r for rs in receives.values() for r in rs] + sends, timeout=timeout)
        for ch in active:
            ch.finish_receive(comm, timeout)
    except mpi.WaitTimeout:
        raise _silent_workers(active, receives, timeout) from None
    for ch in active:
        ch.pending = []


def _check_step(checks: DataChecks, t: int, step: BatchStep, obs_spaces: list) -> None:
    """Rewards and observations of step ``t``, including the last observations of episodes that ended."""
    checks.rewards(t, step.rewards)
    checks.observations(t, step.obs, obs_spaces)
    for ended in step.ended.values():
        checks.observations(t, [[o] for o in ended.final_obs], obs_spaces)


def run_env_rank(comm: mpi.Comm, match: MatchCopy, make_env: Callable[..., Any], cfg: RoundConfig) -> dict:
    """Step this rank's copies of a match as often as its busiest policy plays, exchanging buffers with the workers."""
    steps, timeout = cfg.match_steps([w.policy_id for w in match.workers]), cfg.silence_timeout
    batch, obs_spaces, act_spaces = build_env(make_env, match, cfg.env_spaces.get(match.match_index))
    K, threads, labels = batch.num_copies, stepping_threads(batch), copy_labels(batch, match)
    for w in match.workers:
        spaces = ([obs_spaces[e] for e in w.entities], [act_spaces[e] for e in w.entities], K, threads, labels)
        mpi.send_object(spaces, w.rank, protocol.SPACES, comm, timeout=timeout)
    pickled, paced = cfg.step_messages == "pickle", cfg.realtime_fps is not None
    channels = [WorkerChannel(w, obs_spaces, act_spaces, K, pickled, paced) for w in match.workers]
    # Entities no worker controls act randomly.
    actions: list = [[space.sample() for _ in range(K)] for space in act_spaces]
    book = StepBook(comm, match, cfg, obs_spaces, steps, labels)
    obs, reset_infos = batch.reset(copy_seeds(cfg, match))
    book.check_start(obs)
    for ch in channels:
        ch.send(comm, RESET, obs, None, ch.infos_for(None, reset_infos))
    if paced:
        loop = PacedLoop(comm, channels, batch, actions, cfg.realtime_fps, timeout)
        extra = loop.run(obs, steps, book)
    else:
        extra = _run_lockstep(comm, channels, batch, actions, book, steps, timeout)
    mpi.wait_all([r for ch in channels for r in ch.pending], timeout=timeout)
    book.close(timeout)
    batch.close()
    return book.summary(K) | extra


class StepBook:
    """What an environment rank keeps of its steps, whichever loop runs them: counts, checks, games, frames."""

    def __init__(self, comm: mpi.Comm, match: MatchCopy, cfg: RoundConfig, obs_spaces: list, steps: int, labels: list):
        where = f"env of match {match.match_index} copy {match.copy_index} (rank {mpi.rank_of(comm)})"
        self.checks, self.obs_spaces, self.steps = DataChecks(cfg.data_checks, where), obs_spaces, steps
        self.tally = GameTally(match.num_copies, len(obs_spaces), cfg.games_per_copy)
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
            _check_step(self.checks, self.done_steps, step, self.obs_spaces)
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


def _run_lockstep(
    comm: mpi.Comm,
    channels: list[WorkerChannel],
    batch: EnvBatch,
    actions: list,
    book: StepBook,
    steps: int,
    timeout: float,
) -> dict:
    """Step whenever every worker has acted, until the budget is spent, the games are played or a worker quits."""
    ended = False
    while any(ch.active for ch in channels):
        active = [ch for ch in channels if ch.active]
        _await_actions(comm, active, timeout)
        for ch in active:
            if ch.quit():
                ch.active, ended = False, True
        if ended or book.done_steps >= steps or book.tally.enough():
            for ch in active:
                if ch.active:  # it asked to act after the match ended
                    ch.send(comm, OVER, [], None, {})
            ended = True
            continue
        for ch in active:
            ch.fill_actions(actions)
        step = batch.step(actions)
        book.take(step, batch)
        for ch in channels:
            ch.send(comm, STEP, step.obs, step, ch.infos_for(step, None))
    return {}


class GameTally:
    """With a games budget: the whole games finished on this rank (a lost life is not one) and their scores.

    Without one it does nothing, so a training round's step path pays nothing for it.
    """

    def __init__(self, copies: int, entities: int, games_per_copy: int | None):
        self.budget = None if games_per_copy is None else int(games_per_copy) * copies
        self.returns = np.zeros((copies, entities))
        self.scores: list[list[float]] = []  # per game, each entity's score (kept only with a budget)
        self.games = 0

    def add(self, step: BatchStep) -> None:
        """Take in one step's rewards and the games it ended."""
        if self.budget is None:
            return
        self.returns += step.rewards
        for k, end in step.ended.items():
            if game_continues(end.final_infos):
                continue
            self.games += 1
            self.scores.append(entity_scores(end.final_infos, self.returns[k]))
            self.returns[k] = 0.0

    def enough(self) -> bool:
        """True once the copies together have played their games."""
        return self.budget is not None and self.games >= self.budget

    def summary(self) -> dict:
        """With a budget, ``games`` played and ``game_scores``: one list of per-entity scores per game."""
        return {} if self.budget is None else {"games": self.games, "game_scores": self.scores}
