"""The environment rank of a turn-based game: only the entity to move is asked for an action.

The env says whose turn it is (``env.mover``, ``arena.wrappers.turns``). Each turn, the
worker of the entity to move gets one message: its first turn of a game comes as a start
(``KIND_RESET``), later ones as a step whose reward is what the entity earned since its
last move (the other entities' moves included). A worker is sent nothing on other
entities' turns. When the game ends, every worker gets the end with its reward since its
last move, and each starts the next game at its first turn there. A worker leaves at its
turn (``KIND_QUIT`` in place of an action); from then on its entity, like one that no
worker plays, moves at random among the legal actions. The match ends when every worker
has left, or when its games are played (``games_per_copy``).
"""

from __future__ import annotations

import numpy as np

from arena.envs.batch import BatchStep, EnvBatch
from arena.envs.masks import legal_sample, mask_of
from arena.mpi import comm as mpi
from arena.mpi import protocol
from arena.ranks.env.book import StepBook
from arena.ranks.env.channel import WorkerChannel, await_actions


def turn_based(batch: EnvBatch) -> bool:
    """True when the batch's env moves in turn (it has ``turn_based`` and ``mover``)."""
    envs = getattr(batch, "envs", None)
    return bool(envs) and bool(getattr(envs[0], "turn_based", False))


def turn_problem(batch: EnvBatch, channels: list[WorkerChannel], paced: bool) -> str | None:
    """Why this match cannot be played in turns, or None."""
    if batch.num_copies != 1:
        return f"a turn-based game plays one copy per environment rank, not copies_per_env={batch.num_copies}"
    if any(len(ch.entities) != 1 for ch in channels):
        return "in a turn-based game every match-list entry is one entity: blocks ([[[1, 1]]]) are not supported"
    if paced:
        return "a turn-based game cannot be paced (realtime_fps)"
    return None


class Turns:
    """One turn-based match: whose move it is, what each entity earned since its last move, who has left."""

    def __init__(
        self, comm: mpi.Comm, channels: list[WorkerChannel], batch: EnvBatch, act_spaces: list, first_wait: float
    ):
        self.comm, self.batch, self.act_spaces = comm, batch, act_spaces
        self.first_wait = first_wait  # for a worker's first answer of the round: it builds its learner first
        self.heard: set[int] = set()  # worker ranks that have answered this round
        self.env = batch.envs[0]
        self.owner = {ch.entities[0]: ch for ch in channels}
        self.channels = channels
        self.earned = np.zeros(len(act_spaces))  # per entity, since its last message
        self.started: set[int] = set()  # entities that have had their first turn of this game

    def send(self, ch: WorkerChannel, kind: int, obs: list, step: BatchStep | None, infos: dict, timeout: float):
        """Send into the channel's one buffer once its last message has left."""
        mpi.wait_all(ch.pending, timeout=timeout)
        ch.pending = []
        ch.send(self.comm, kind, obs, step, infos)

    def action(self, obs: list, timeout: float) -> list:
        """The mover's action, from its worker at its turn (random and legal if it has none, or has left)."""
        mover = self.env.mover
        actions = [[None] for _ in self.act_spaces]
        ch = self.owner.get(mover)
        if ch is not None and ch.active:
            if mover in self.started:
                reward = np.zeros((1, len(self.act_spaces)))
                reward[0, mover] = self.earned[mover]
                flags = np.zeros((1, len(self.act_spaces)), dtype=bool)
                self.send(ch, protocol.KIND_STEP, obs, BatchStep(obs, reward, flags, flags, {}), {}, timeout)
            else:
                self.send(ch, protocol.KIND_RESET, obs, None, {}, timeout)
                self.started.add(mover)
            self.earned[mover] = 0.0
            self.await_answers([ch], timeout)
            if ch.quit():
                ch.active = False
            else:
                ch.fill_actions(actions)
                return actions
        actions[mover] = [legal_sample(self.act_spaces[mover], mask_of(obs[mover][0]))]
        return actions

    def end_game(self, step: BatchStep, timeout: float) -> None:
        """Tell every worker still playing that the game ended, with what its entity earned since its last move."""
        rewards = self.earned[None, :].copy()
        for ch in self.channels:
            if ch.active:
                ended = BatchStep(step.obs, rewards, step.terminated, step.truncated, step.ended)
                self.send(ch, protocol.KIND_STEP, step.obs, ended, ch.infos_for(ended, None), timeout)
        self.earned[:] = 0.0
        self.started = set()

    def over(self, timeout: float) -> None:
        """The match ended: every worker still playing is told (each is waiting for a message), and answers
        by leaving; its QUIT is taken in here, or the next round's first receive from it would find it."""
        ending = [ch for ch in self.channels if ch.active]
        for ch in ending:
            self.send(ch, protocol.KIND_OVER, [], None, {}, timeout)
        self.await_answers(ending, timeout)
        for ch in ending:
            ch.active = False

    def await_answers(self, channels: list[WorkerChannel], timeout: float) -> None:
        """Wait for the workers' answers: ``timeout``, or ``first_wait`` while one of them has not answered yet."""
        first = any(ch.rank not in self.heard for ch in channels)
        await_actions(self.comm, channels, max(timeout, self.first_wait) if first else timeout)
        self.heard.update(ch.rank for ch in channels)


def run_turns(comm: mpi.Comm, turns: Turns, obs: list, book: StepBook, timeout: float) -> dict:
    """Play moves until every worker has left or the games are played."""
    while any(ch.active for ch in turns.channels):
        if book.tally.enough():
            turns.over(timeout)
            break
        actions = turns.action(obs, timeout)
        if not any(ch.active for ch in turns.channels):
            break
        step = turns.batch.step(actions)
        book.take(step, turns.batch)
        turns.earned += step.rewards[0]
        if 0 in step.ended:
            turns.end_game(step, timeout)
        obs = step.obs
    return {}
