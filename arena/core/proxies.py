"""What a policy worker sees: its entities of a match running on an environment rank.

A worker controlling one entity gets a standard ``gymnasium.Env``; a worker
controlling a block of entities gets the arena's list interface. Both talk to the
environment rank through a ``MatchLink``, which moves preallocated buffers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np

from arena.core import comm as mpi
from arena.core.buffers import ACT, OVER, QUIT, RESET, STEP, SpaceCodec, action_layout, step_layout
from arena.core.env_api import game_score

TAG_STEP, TAG_ACTION, TAG_INFO = 11, 12, 13
HAS_INFO, EPISODE_OVER = 1, 2


class MatchEnded(Exception):
    """The match stopped before this policy finished: its budget ran out or a peer quit."""


class MatchLink:
    """The worker's end of the per-step exchange with its environment rank."""

    def __init__(self, comm: mpi.Comm, env_rank: int, obs_spaces: list, act_spaces: list):
        self.comm, self.env_rank = comm, env_rank
        self.obs_codecs = [SpaceCodec(s) for s in obs_spaces]
        self.act_codecs = [SpaceCodec(s) for s in act_spaces]
        self.step_buf, self.step_views = step_layout(self.obs_codecs).allocate()
        self.act_buf, self.act_views = action_layout(self.act_codecs).allocate()
        self.n = len(obs_spaces)
        self.state = "start"  # start -> running <-> awaiting_reset -> closed
        self.steps = 0
        self.episode_returns = np.zeros(self.n)
        self.episode_length = 0
        self.game_continues = False  # the last episode ended a life, not the game
        self.on_episode: Callable[[float, int], None] | None = None
        self.on_step: Callable[[], None] | None = None

    def _receive(self, send: bool = False) -> tuple[int, list, np.ndarray, np.ndarray, np.ndarray, list[dict]]:
        """Receive the next step message; with ``send``, first send the action buffer (one wait for both)."""
        requests = [mpi.irecv_buffer(self.step_buf, self.env_rank, TAG_STEP, self.comm)]
        if send:
            requests.append(mpi.isend_buffer(self.act_buf, self.env_rank, TAG_ACTION, self.comm))
        mpi.wait_all(requests)
        kind, flags = (int(v) for v in self.step_views["header"])
        if kind == OVER:
            return kind, [], None, None, None, []
        infos = [{} for _ in range(self.n)]
        if flags & HAS_INFO:
            infos = mpi.recv_object(self.env_rank, TAG_INFO, self.comm)[0]
        obs = [c.decode(self.step_views[f"obs{i}"]) for i, c in enumerate(self.obs_codecs)]
        over = bool(flags & EPISODE_OVER)
        terminated = self.step_views["terminated"].astype(bool) & over
        truncated = self.step_views["truncated"].astype(bool) & over
        return kind, obs, self.step_views["reward"].copy(), terminated, truncated, infos

    def reset(self) -> tuple[list, list[dict]]:
        """Receive the first observations of an episode."""
        if self.state == "running":
            raise RuntimeError(
                "reset() called in the middle of an episode: the match is shared with other "
                "workers, so an episode ends only when the environment ends it"
            )
        if self.state == "closed":
            raise RuntimeError("reset() called after the match was closed")
        kind, obs, _, _, _, infos = self._receive()
        if kind != RESET:
            raise MatchEnded("the environment ended the match")
        self.state = "running"
        if not self.game_continues:
            self.episode_returns[:] = 0.0
            self.episode_length = 0
        return obs, infos

    def step(self, actions: list) -> tuple[list, np.ndarray, np.ndarray, np.ndarray, list[dict]]:
        """Send one action per entity and receive the result."""
        if self.state != "running":
            raise RuntimeError("step() called before reset(); call reset() when an episode ends")
        self.act_views["header"][0] = ACT
        for i, (codec, action) in enumerate(zip(self.act_codecs, actions)):
            codec.encode(action, self.act_views[f"act{i}"])
        kind, obs, rewards, terminated, truncated, infos = self._receive(send=True)
        if kind == OVER:
            self.state = "over"
            raise MatchEnded("the match's step budget is spent")
        assert kind == STEP, kind
        self.steps += 1
        self.episode_returns += rewards
        self.episode_length += 1
        if np.all(terminated | truncated):
            self.state = "awaiting_reset"
            self._report_episode(infos)
        if self.on_step is not None:
            self.on_step()
        return obs, rewards, terminated, truncated, infos

    def _report_episode(self, infos: list[dict]) -> None:
        # An end with info["game_over"] False only cost a life: the game, and its record, go on.
        self.game_continues = all(not bool(info.get("game_over", True)) for info in infos)
        if self.game_continues or self.on_episode is None:
            return
        score, length = game_score(infos, self.episode_returns, self.episode_length)
        self.on_episode(score, length)

    def close(self) -> None:
        """Tell the environment rank this worker is done; drain a reset it already sent."""
        if self.state == "closed":
            return
        if self.state in ("start", "awaiting_reset"):
            self._receive()  # the env sent a reset (or OVER) that nobody asked for yet
        self.act_views["header"][0] = QUIT
        mpi.wait_all([mpi.isend_buffer(self.act_buf, self.env_rank, TAG_ACTION, self.comm)])
        self.state = "closed"


class EntityProxyEnv(gym.Env):
    """A single entity of a remote match, as a standard Gymnasium env."""

    metadata = {"render_modes": []}

    def __init__(self, link: MatchLink):
        self.link = link
        self.observation_space = link.obs_codecs[0].space
        self.action_space = link.act_codecs[0].space

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[Any, dict]:
        """Start an episode; the environment rank owns seeding, so ``seed`` seeds only this proxy."""
        super().reset(seed=seed)
        obs, infos = self.link.reset()
        return obs[0], infos[0]

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict]:
        """Act for the entity; the episode may also end because of other entities."""
        obs, rewards, terminated, truncated, infos = self.link.step([action])
        return obs[0], float(rewards[0]), bool(terminated[0]), bool(truncated[0]), infos[0]

    def close(self) -> None:
        """Leave the match."""
        self.link.close()


class ListProxyEnv:
    """A block of entities of a remote match, in the arena's list interface."""

    def __init__(self, link: MatchLink):
        self.link = link
        self.observation_spaces = [c.space for c in link.obs_codecs]
        self.action_spaces = [c.space for c in link.act_codecs]

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[list, list[dict]]:
        """Start an episode: one observation and info per entity."""
        return self.link.reset()

    def step(self, actions: list) -> tuple[list, list, list, list, list]:
        """Act for every entity of the block."""
        obs, rewards, terminated, truncated, infos = self.link.step(actions)
        return obs, rewards.tolist(), terminated.tolist(), truncated.tolist(), infos

    def close(self) -> None:
        """Leave the match."""
        self.link.close()


def make_proxy(link: MatchLink, block: bool) -> EntityProxyEnv | ListProxyEnv:
    """A Gymnasium env for a one-entity worker, the list interface for a block."""
    return ListProxyEnv(link) if block else EntityProxyEnv(link)
