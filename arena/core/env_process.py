"""The environment rank: runs one copy of a match and serves its workers."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from arena.core import comm as mpi
from arena.core.buffers import OVER, QUIT, RESET, STEP, SpaceCodec, action_layout, step_layout
from arena.core.env_api import StepResult, entity_spaces, reset_env, step_env
from arena.core.mosaic import FrameSender
from arena.core.plan import MatchCopy
from arena.core.proxies import EPISODE_OVER, HAS_INFO, TAG_ACTION, TAG_INFO, TAG_STEP

TAG_SPACES = 10
SEED_STRIDE = 10_007  # copies get seeds far apart, so their episodes do not coincide


def copy_seed(base_seed: int, match: MatchCopy) -> int:
    """The reproducible seed of one match copy."""
    return int(base_seed) + SEED_STRIDE * match.global_index


def build_env(make_env: Callable[..., Any], match: MatchCopy) -> tuple[Any, list, list]:
    """Build the match's env and check it has every entity the match list names."""
    env = make_env(**match.env_kwargs)
    obs_spaces, act_spaces = entity_spaces(env)
    if len(obs_spaces) != len(act_spaces):
        raise ValueError(f"env has {len(obs_spaces)} observation spaces but {len(act_spaces)} action spaces")
    needed = max(e for w in match.workers for e in w.entities) + 1
    if len(obs_spaces) < needed:
        raise ValueError(
            f"match {match.match_index} needs entities up to index {needed - 1} but the env has "
            f"only {len(obs_spaces)} entities; check match_list and entity_remaps"
        )
    return env, obs_spaces, act_spaces


class _WorkerChannel:
    """Buffers and pending sends for one worker of this match."""

    def __init__(self, worker, obs_spaces: list, act_spaces: list):
        self.rank, self.entities = worker.rank, list(worker.entities)
        self.index = np.array(self.entities, dtype=np.intp)
        obs_codecs = [SpaceCodec(obs_spaces[e]) for e in self.entities]
        self.act_codecs = [SpaceCodec(act_spaces[e]) for e in self.entities]
        self.layout = step_layout(obs_codecs)
        self.obs_codecs = obs_codecs
        # Two step buffers: the terminal step and the next episode's reset are in flight together.
        self.buffers = [self.layout.allocate() for _ in range(2)]
        self.act_buf, self.act_views = action_layout(self.act_codecs).allocate()
        self.pending: list = []
        self.active = True

    def send(self, comm: mpi.Comm, slot: int, kind: int, result: StepResult | None, over: bool) -> None:
        """Pack this worker's part of a step (or reset) into a buffer and start sending it."""
        buf, views = self.buffers[slot]
        # Infos travel only where they matter, at episode ends and resets, not on every step.
        infos = [result.infos[e] for e in self.entities] if over or kind == RESET else []
        has_info = any(infos)
        views["header"][:] = (kind, (HAS_INFO if has_info else 0) | (EPISODE_OVER if over else 0))
        if result is not None:
            for i, (e, codec) in enumerate(zip(self.entities, self.obs_codecs)):
                codec.encode(result.obs[e], views[f"obs{i}"])
            views["reward"][:] = result.rewards[self.index]
            views["terminated"][:] = result.terminated[self.index]
            views["truncated"][:] = result.truncated[self.index]
        self.pending.append(mpi.isend_buffer(buf, self.rank, TAG_STEP, comm))
        if has_info:
            self.pending.append(mpi.isend_object(infos, self.rank, TAG_INFO, comm))

    def actions(self) -> list:
        """Decoded actions from the last action message."""
        return [c.decode(self.act_views[f"act{i}"]) for i, c in enumerate(self.act_codecs)]


def _reset_result(obs: list, infos: list[dict], n: int) -> StepResult:
    zeros = np.zeros(n, dtype=bool)
    return StepResult(obs, np.zeros(n), zeros, zeros, infos)


def run_env_rank(
    comm: mpi.Comm, match: MatchCopy, make_env: Callable[..., Any], steps: int, seed: int, render: bool
) -> dict:
    """Step one match copy for ``steps`` steps, exchanging buffers with its workers."""
    env, obs_spaces, act_spaces = build_env(make_env, match)
    for w in match.workers:
        spaces = ([obs_spaces[e] for e in w.entities], [act_spaces[e] for e in w.entities])
        mpi.send_object(spaces, w.rank, TAG_SPACES, comm)
    channels = [_WorkerChannel(w, obs_spaces, act_spaces) for w in match.workers]
    n = len(obs_spaces)
    actions: list = [a.sample() for a in act_spaces]  # entities no worker controls act randomly
    frames = FrameSender(comm, match.global_index) if render else None
    start = time.perf_counter()
    obs, infos = reset_env(env, n, seed=copy_seed(seed, match))
    for ch in channels:
        ch.send(comm, 0, RESET, _reset_result(obs, infos, n), over=False)
    done_steps, episodes, ended = 0, 0, False
    while any(ch.active for ch in channels):
        active = [ch for ch in channels if ch.active]
        # A worker sends its next action only after taking in what we sent, so one wait covers both.
        receives = [mpi.irecv_buffer(ch.act_buf, ch.rank, TAG_ACTION, comm) for ch in active]
        mpi.wait_all(receives + [r for ch in active for r in ch.pending])
        for ch in active:
            ch.pending = []
        for ch in active:
            if ch.act_views["header"][0] == QUIT:
                ch.active, ended = False, True
        if ended or done_steps >= steps:
            for ch in active:
                if ch.active:  # it asked to act after the match ended
                    ch.send(comm, 0, OVER, None, over=False)
            ended = True
            continue
        for ch in active:
            for e, a in zip(ch.entities, ch.actions()):
                actions[e] = a
        result = step_env(env, actions, n)
        done_steps += 1
        if frames is not None:
            frames.maybe_send(env)
        over = result.episode_over
        for ch in channels:
            ch.send(comm, 0, STEP, result, over=over)
        if over:
            episodes += 1
            if done_steps < steps:
                obs, infos = reset_env(env, n)
                for ch in channels:
                    ch.send(comm, 1, RESET, _reset_result(obs, infos, n), over=False)
            else:
                for ch in channels:
                    ch.send(comm, 1, OVER, None, over=False)
    mpi.wait_all([r for ch in channels for r in ch.pending])
    if frames is not None:
        frames.close()
    if hasattr(env, "close"):
        env.close()
    elapsed = time.perf_counter() - start
    return {"steps": done_steps, "episodes": episodes, "seconds": elapsed}
