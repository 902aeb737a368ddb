"""The environment rank: steps K copies of one match and serves their workers.

Each step, every worker gets one message for all K copies: its entities'
observations, rewards and flags. A copy whose episode ends is reset at once, so
the message already holds the next episode's first observations; the ended
episode's last observations and infos follow as one pickled object, the only
per-episode (not per-step) pickle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from arena.envs.batch import EnvBatch, build_batch, restart_summary, stepping_threads
from arena.mpi import comm as mpi
from arena.mpi import protocol
from arena.plan.roles import MatchCopy
from arena.plan.rounds import RoundConfig
from arena.ranks.env.book import StepBook
from arena.ranks.env.channel import WorkerChannel, await_actions
from arena.ranks.env.paced import PacedLoop
from arena.ranks.env.turns import Turns, run_turns, turn_based, turn_problem


def copy_seeds(cfg: RoundConfig, match: MatchCopy) -> list[int]:
    """The seed of each copy this rank runs: reproducible, and new in every round."""
    return [cfg.seed_for("env copy", c) for c in match.global_copy_ids()]


def build_env(
    make_env: Callable[..., Any], match: MatchCopy, expected: tuple | None = None, restarts: int = 0
) -> tuple[EnvBatch, list, list]:
    """Build the rank's copies of the match and check they have every entity the match list names.

    ``expected`` holds the spaces the root found when it built the env; copies must match them.
    """
    batch = build_batch(make_env, match.num_copies, match.env_kwargs, restarts)
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


def run_env_rank(comm: mpi.Comm, match: MatchCopy, make_env: Callable[..., Any], cfg: RoundConfig) -> dict:
    """Step this rank's copies of a match as often as its busiest policy plays, exchanging buffers with the workers."""
    steps, timeout = cfg.match_steps([w.policy_id for w in match.workers]), cfg.silence_timeout
    batch, obs_spaces, act_spaces = build_env(make_env, match, cfg.env_spaces.get(match.match_index), cfg.env_restarts)
    K, threads, labels = batch.num_copies, stepping_threads(batch), copy_labels(batch, match)
    paced, in_turns = cfg.realtime_fps is not None, turn_based(batch)
    channels = [WorkerChannel(w, obs_spaces, act_spaces, K, paced) for w in match.workers]
    problem = turn_problem(batch, channels, paced) if in_turns else None
    if problem:
        raise ValueError(f"match {match.match_index}: {problem}")
    for w in match.workers:
        spaces = [obs_spaces[e] for e in w.entities], [act_spaces[e] for e in w.entities]
        mpi.send_object((*spaces, K, threads, labels, in_turns), w.rank, protocol.SPACES, comm, timeout=timeout)
    # Entities no worker controls act randomly.
    actions: list = [[space.sample() for _ in range(K)] for space in act_spaces]
    book = StepBook(comm, match, cfg, obs_spaces, steps, labels)
    obs, reset_infos = batch.reset(copy_seeds(cfg, match))
    book.check_start(obs)
    if in_turns:  # only the entity to move hears from us, at its turn
        turns = Turns(comm, channels, batch, act_spaces, cfg.first_action_timeout())
        extra = run_turns(comm, turns, obs, book, timeout)
        mpi.wait_all([r for ch in channels for r in ch.pending], timeout=timeout)
        book.close(timeout)
        batch.close()
        return book.summary(K) | extra | restart_summary(batch)
    for ch in channels:
        ch.send(comm, protocol.KIND_RESET, obs, None, ch.infos_for(None, reset_infos))
    if paced:
        loop = PacedLoop(comm, channels, batch, actions, cfg.realtime_fps, (cfg.first_action_timeout(), timeout))
        extra = loop.run(obs, steps, book)
    else:
        extra = _run_lockstep(comm, channels, batch, actions, book, steps, (cfg.first_action_timeout(), timeout))
    mpi.wait_all([r for ch in channels for r in ch.pending], timeout=timeout)
    book.close(timeout)
    batch.close()
    return book.summary(K) | extra | restart_summary(batch)


def _run_lockstep(
    comm: mpi.Comm,
    channels: list[WorkerChannel],
    batch: EnvBatch,
    actions: list,
    book: StepBook,
    steps: int,
    timeouts: tuple[float, float],
) -> dict:
    """Step whenever every worker has acted, until the budget is spent, the games are played or a worker quits.

    ``timeouts``: the wait for the workers' first actions (they build their learners first), then for each next.
    """
    ended, (wait, timeout) = False, timeouts
    pace = mpi.PartnerPace()  # how long the workers take to answer a step
    while any(ch.active for ch in channels):
        active = [ch for ch in channels if ch.active]
        await_actions(comm, active, wait, pace)
        wait = timeout
        for ch in active:
            if ch.quit():
                ch.active, ended = False, True
        if ended or book.done_steps >= steps or book.tally.enough():
            for ch in active:
                if ch.active:  # it asked to act after the match ended
                    ch.send(comm, protocol.KIND_OVER, [], None, {})
            ended = True
            continue
        for ch in active:
            ch.fill_actions(actions)
        step = batch.step(actions)
        book.take(step, batch)
        for ch in channels:
            ch.send(comm, protocol.KIND_STEP, step.obs, step, ch.infos_for(step, None))
    return {}
