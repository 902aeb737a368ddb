"""What a policy worker sees: its entities of a match running on an environment rank.

With one copy per environment rank, a worker controlling one entity gets a
standard ``gymnasium.Env`` and a worker controlling a block gets the arena's list
interface. With K copies (``kickoff(copies_per_env=K)``) it gets a Gymnasium
``VectorEnv`` of K envs with same-step autoreset. All of them talk to the
environment rank through a ``MatchLink``, which moves preallocated buffers.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from arena.envs.api import episode_dropped, game_continues, game_score
from arena.envs.step_checks import DataChecks
from arena.mpi import comm as mpi
from arena.mpi import protocol
from arena.mpi.buffers import SpaceCodec
from arena.mpi.protocol import action_layout, step_layout


class MatchEnded(Exception):
    """The match stopped before this policy finished: its budget ran out or a peer quit."""


@dataclass
class Message:
    """One step message for K copies. ``obs[e]`` is a value (K = 1) or a batch (K > 1)."""

    kind: int
    obs: list
    rewards: np.ndarray  # (K, n)
    terminated: np.ndarray  # (K, n) bool, set only where the copy's episode ended
    truncated: np.ndarray
    ended: np.ndarray  # (K,) bool
    infos: dict  # copy -> reset infos (KIND_RESET) or (final_obs, final_infos, reset_infos) (KIND_STEP)
    ticks: int = 1  # environment steps the message covers (more than 1 only under realtime_fps)
    late: int = 0  # ticks this worker has been late for so far (realtime_fps)
    executed: list | None = None  # realtime_fps: per entity, the action each copy executed


class MatchLink:
    """The worker's end of the per-step exchange with its environment rank.

    ``timeout`` bounds every wait on the environment rank; ``checks`` (with the
    match's ``entities`` this worker acts for) checks each action before it leaves.
    """

    def __init__(
        self,
        comm: mpi.Comm,
        env_rank: int,
        obs_spaces: list,
        act_spaces: list,
        copies: int = 1,
        timeout: float | None = None,
        checks: DataChecks | None = None,
        entities: list[int] | None = None,
        labels: list[str] | None = None,
        paced: bool = False,
        turns: bool = False,
        first_timeout: float | None = None,
    ):
        self.comm, self.env_rank, self.copies = comm, env_rank, copies
        # A turn-based game (arena.ranks.env.turns): messages come only at this entity's turns and at game ends;
        # after an end, the next game starts at this entity's first turn there.
        self.turns, self.awaiting_turn = turns, False
        self.labels = list(labels) if labels is not None else [""] * copies  # each copy's episodes are recorded so
        self.timeout, self.checks = timeout, checks
        # The round's first step waits on every worker of the match building its learner (it needs all
        # their first actions), and so does a turn-based game's first turn here: they may take ``first_timeout``.
        self.first_timeout, self.received = (timeout if first_timeout is None else first_timeout), 0
        self.patient_messages = (0, 1) if turns else (1,)  # which messages, counted from 0, may take it
        self.act_spaces = list(act_spaces)
        self.entities = list(entities) if entities is not None else list(range(len(act_spaces)))
        self.obs_codecs = [SpaceCodec(s) for s in obs_spaces]
        self.act_codecs = [SpaceCodec(s) for s in act_spaces]
        self.paced = paced  # kickoff(realtime_fps=...): messages say how many ticks passed and what ran
        layout = step_layout(self.obs_codecs, copies, self.act_codecs if paced else None)
        self.step_buf, self.step_views = layout.allocate()
        self.ticks = self.late_ticks = 0
        self.act_buf, self.act_views = action_layout(self.act_codecs, copies).allocate()
        self.n = len(obs_spaces)
        self.state = "start"  # start -> running -> over | closed
        self.pace = mpi.PartnerPace()  # how long the environment rank takes to answer a step
        self.steps = 0  # environment steps, summed over copies
        self.returns = np.zeros((copies, self.n))
        self.lengths = np.zeros(copies, dtype=np.int64)
        self.on_episode: Callable[[float, int, str], None] | None = None
        self.on_step: Callable[[], None] | None = None

    def _exchange(self, send: bool) -> Message:
        """Receive the next step message; with ``send``, first send the action buffer (one wait for both)."""
        timeout = self.first_timeout if self.received in self.patient_messages else self.timeout
        try:
            message = self._exchange_buffers(send, timeout)
        except mpi.WaitTimeout:
            raise mpi.WaitTimeout(
                f"environment rank {self.env_rank} sent nothing for {timeout:g} s; it may have died or be "
                "stuck in reset() or step(). kickoff(silence_timeout=...) sets this limit."
            ) from None
        self.received += 1
        return message

    def _exchange_buffers(self, send: bool, timeout: float | None) -> Message:
        requests = [mpi.irecv_buffer(self.step_buf, self.env_rank, protocol.STEP, self.comm)]
        if send:
            requests.append(mpi.isend_buffer(self.act_buf, self.env_rank, protocol.ACTION, self.comm))
        mpi.wait_all(requests, timeout=timeout, pace=self.pace)
        v = self.step_views
        kind, flags = (int(x) for x in v["header"])
        infos = (
            mpi.recv_object(self.env_rank, protocol.INFO, self.comm, timeout=timeout)[0]
            if flags & protocol.FLAG_HAS_INFO
            else {}
        )
        if kind == protocol.KIND_OVER:
            return Message(kind, [], None, None, None, None, {})
        obs = [self._decode(c, v[f"obs{i}"]) for i, c in enumerate(self.obs_codecs)]
        ended = v["ended"].astype(bool)
        # Flags count only where a copy's episode ended (an entity may be done before the others).
        terminated = v["terminated"].astype(bool) & ended[:, None]
        truncated = v["truncated"].astype(bool) & ended[:, None]
        message = Message(kind, obs, v["reward"].copy(), terminated, truncated, ended, infos)
        if self.paced and kind == protocol.KIND_STEP:
            message.ticks, message.late = (int(x) for x in v["ticks"])
            message.executed = [self._decode(c, v[f"executed{i}"]) for i, c in enumerate(self.act_codecs)]
        return message

    def _decode(self, codec: SpaceCodec, view: np.ndarray) -> Any:
        return codec.decode(view[0]) if self.copies == 1 else codec.decode_batch(view)

    def start(self) -> tuple[list, list[list[dict]]]:
        """Receive the first observations: ``obs[e]`` and ``infos[k][e]``."""
        if self.state != "start":
            raise RuntimeError("the match has started already; its copies reset themselves when episodes end")
        message = self._exchange(send=False)
        if message.kind != protocol.KIND_RESET:
            raise MatchEnded("the environment ended the match")
        self.state = "running"
        infos = [message.infos.get(k, [{} for _ in range(self.n)]) for k in range(self.copies)]
        return message.obs, infos

    def step(self, actions: list) -> Message:
        """Send ``actions[e]`` (one value per copy) and receive the result; record episodes that ended."""
        if self.state != "running":
            raise RuntimeError("step() called before reset()")
        if self.checks is not None and self.checks.on:
            self.checks.actions(self.steps // self.copies + 1, actions, self.act_spaces, self.entities)
        self.act_views["header"][0] = protocol.KIND_ACT
        for i, (codec, action) in enumerate(zip(self.act_codecs, actions)):
            codec.encode_batch(action, self.act_views[f"act{i}"])
        message = self._exchange(send=True)
        if message.kind == protocol.KIND_OVER:
            self.state = "over"
            raise MatchEnded("the match's step budget is spent")
        assert message.kind == protocol.KIND_STEP, message.kind
        self.steps += self.copies
        self.returns += message.rewards
        self.lengths += message.ticks
        self.ticks, self.late_ticks = self.ticks + message.ticks, message.late
        self._take_ends(message)
        if self.on_step is not None:
            self.on_step()
        return message

    def _take_ends(self, message: Message) -> None:
        for k in np.flatnonzero(message.ended):
            self._end_episode(int(k), message.infos[int(k)][1])
        self.awaiting_turn = self.turns and bool(message.ended.any())

    def await_turn(self) -> tuple[list, list[dict]]:
        """A turn-based game: wait for this entity's first turn of the next game (taking in games that ended
        without one); its observations and infos."""
        while True:
            message = self._exchange(send=False)
            if message.kind == protocol.KIND_OVER:
                self.state, self.awaiting_turn = "over", False
                raise MatchEnded("the environment ended the match")
            if message.kind == protocol.KIND_RESET:
                self.awaiting_turn = False
                return message.obs, message.infos.get(0, [{} for _ in range(self.n)])
            self.returns += message.rewards  # a game that ended before this entity's turn came
            self._take_ends(message)

    def _end_episode(self, k: int, final_infos: list[dict]) -> None:
        if episode_dropped(final_infos):  # its env raised and was rebuilt (kickoff(env_restarts=N)): not recorded
            self.returns[k], self.lengths[k] = 0.0, 0
            return
        # An end with info["game_over"] False only cost a life: the game, and its record, go on.
        if game_continues(final_infos):
            return
        score, length = game_score(final_infos, self.returns[k], int(self.lengths[k]))
        self.returns[k], self.lengths[k] = 0.0, 0
        if self.on_episode is not None:
            self.on_episode(score, length, self.labels[k])

    def play_out(self, seed: int) -> None:
        """Act at random until the environment ends the match, recording nothing: the policy's budget is spent
        but a partner's is not (a resumed round). Its step count stays what the policy played."""
        self.on_episode = self.on_step = None
        played, spaces = self.steps, [copy.deepcopy(s) for s in self.act_spaces]
        for i, space in enumerate(spaces):
            space.seed(seed + i)
        if self.state == "start":
            self.start()
        try:
            while True:
                self.step([[s.sample() for _ in range(self.copies)] for s in spaces])
        except MatchEnded:
            pass
        self.steps = played

    def close(self) -> None:
        """Tell the environment rank this worker is done; take in the start it sent if nobody asked for it."""
        if self.state == "closed":
            return
        if self.state == "start":
            self._exchange(send=False)
        if self.awaiting_turn and self.state != "over":  # leave at a turn, where the environment rank listens
            try:
                self.await_turn()
            except MatchEnded:
                self.state = "closed"
                return
        self.act_views["header"][0] = protocol.KIND_QUIT
        request = mpi.isend_buffer(self.act_buf, self.env_rank, protocol.ACTION, self.comm)
        mpi.wait_all([request], timeout=self.timeout)
        self.state = "closed"


class _OneCopy:
    """Turns the link's autoreset stream for one copy back into explicit ``reset()`` calls."""

    def __init__(self, link: MatchLink):
        self.link = link
        self.next_start: tuple[list, list[dict]] | None = None  # the new episode, kept until reset()

    def reset_lists(self) -> tuple[list, list[dict]]:
        if self.link.state == "start":
            obs, infos = self.link.start()
            return obs, infos[0]
        if self.link.awaiting_turn:  # a turn-based game: the next one starts at this entity's first turn
            return self.link.await_turn()
        if self.next_start is None:
            raise RuntimeError(
                "reset() called in the middle of an episode: the match is shared with other "
                "workers, so an episode ends only when the environment ends it"
            )
        start, self.next_start = self.next_start, None
        return start

    def step_lists(self, actions: list) -> tuple[list, np.ndarray, np.ndarray, np.ndarray, list[dict]]:
        if self.next_start is not None:
            raise RuntimeError("step() called after the episode ended; call reset() first")
        m = self.link.step([[a] for a in actions])
        infos = [{} for _ in range(self.link.n)]
        if m.ended[0]:
            final_obs, infos, reset_infos = m.infos[0]
            self.next_start = None if self.link.turns else (m.obs, reset_infos)
        if m.executed is not None:
            infos = [{**info, "executed_action": executed} for info, executed in zip(infos, m.executed)]
        if m.ended[0]:
            return final_obs, m.rewards[0], m.terminated[0], m.truncated[0], infos
        return m.obs, m.rewards[0], m.terminated[0], m.truncated[0], infos


class EntityProxyEnv(gym.Env):
    """A single entity of a remote match, as a standard Gymnasium env."""

    metadata = {"render_modes": []}

    def __init__(self, link: MatchLink):
        self.link, self.copy = link, _OneCopy(link)
        self.observation_space = link.obs_codecs[0].space
        self.action_space = link.act_codecs[0].space

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[Any, dict]:
        """Start an episode; the environment rank owns seeding, so ``seed`` seeds only this proxy."""
        super().reset(seed=seed)
        obs, infos = self.copy.reset_lists()
        return obs[0], infos[0]

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict]:
        """Act for the entity; the episode may also end because of other entities."""
        obs, rewards, terminated, truncated, infos = self.copy.step_lists([action])
        return obs[0], float(rewards[0]), bool(terminated[0]), bool(truncated[0]), infos[0]

    def close(self) -> None:
        """Leave the match."""
        self.link.close()


class ListProxyEnv:
    """A block of entities of a remote match, in the arena's list interface."""

    def __init__(self, link: MatchLink):
        self.link, self.copy = link, _OneCopy(link)
        self.observation_spaces = [c.space for c in link.obs_codecs]
        self.action_spaces = [c.space for c in link.act_codecs]

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[list, list[dict]]:
        """Start an episode: one observation and info per entity."""
        return self.copy.reset_lists()

    def step(self, actions: list) -> tuple[list, list, list, list, list]:
        """Act for every entity of the block."""
        obs, rewards, terminated, truncated, infos = self.copy.step_lists(actions)
        return obs, rewards.tolist(), terminated.tolist(), truncated.tolist(), infos

    def close(self) -> None:
        """Leave the match."""
        self.link.close()


class VectorProxyEnv(VectorEnv):
    """One entity in each of K copies of a remote match, as a Gymnasium vector env with same-step autoreset.

    A copy whose episode ends starts its next one within the same step; the ended
    episode's last observation and info are in ``infos["final_obs"]`` and
    ``infos["final_info"]`` (with masks ``"_final_obs"`` and ``"_final_info"``).
    """

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP}

    def __init__(self, link: MatchLink):
        self.link = link
        self.num_envs = link.copies
        self.single_observation_space = link.obs_codecs[0].space
        self.single_action_space = link.act_codecs[0].space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[Any, dict]:
        """The first observations of every copy (once: afterwards copies reset themselves)."""
        obs, infos = self.link.start()
        return obs[0], {"copy_infos": [i[0] for i in infos]}

    def step(self, actions: Any) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, dict]:
        """Act in every copy."""
        m = self.link.step([actions])
        infos: dict = {}
        if m.ended.any():
            final_obs = np.empty(self.num_envs, dtype=object)
            final_info = np.empty(self.num_envs, dtype=object)
            for k, (obs, info, _) in m.infos.items():
                final_obs[k], final_info[k] = obs[0], info[0]
            infos = {"final_obs": final_obs, "_final_obs": m.ended, "final_info": final_info, "_final_info": m.ended}
        if m.executed is not None:  # realtime_fps: what the copies ran, where a late action was not
            infos["executed_action"] = m.executed[0]
        return m.obs[0], m.rewards[:, 0], m.terminated[:, 0], m.truncated[:, 0], infos

    def close(self, **kwargs: Any) -> None:
        """Leave the match."""
        self.link.close()


def make_proxy(link: MatchLink, block: bool) -> EntityProxyEnv | ListProxyEnv | VectorProxyEnv:
    """A vector env for K > 1 copies; else a Gymnasium env for one entity, the list interface for a block."""
    if link.copies > 1:
        return VectorProxyEnv(link)
    return ListProxyEnv(link) if block else EntityProxyEnv(link)
