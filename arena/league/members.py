"""Who is in a league: learners by role, their frozen snapshots, the anchors; and the ids each takes.

Ids: learners count up from 1 (skipping anchors' ids), snapshots from ``SNAPSHOT_BASE``, and
the seats that frozen players play from in a match from ``SEAT_BASE`` (a snapshot's own folder
is never written again, so it plays from a seat: ``"<type>-eval"`` with ``source_policy``).
"""

from __future__ import annotations

from dataclasses import dataclass

from arena.league.matchmaking import ANCHOR, LEARNER_ROLES, MAIN, MAIN_EXPLOITER

SNAPSHOT_BASE = 1001
SEAT_BASE = 2001
MEMBER_COLUMNS = ["id", "role", "parent", "born_round", "frozen", "type", "retired_round"]


@dataclass
class Member:
    """One league member: a learner, a frozen snapshot of one, or an anchor."""

    id: int
    role: str  # main, main_exploiter, league_exploiter or anchor; a snapshot keeps its parent's role
    type: str  # its policy type ("ppo", "random", ...)
    parent: int | None = None  # the learner a snapshot was frozen from
    born_round: int = 0  # the first round it plays in
    frozen: bool = False  # a snapshot: its files are never written again
    retired_round: int | None = None  # a learner reset after this round (its role goes on under a new id)
    steps_since_snapshot: int = 0  # a learner's steps since it started or was last frozen

    @property
    def learning(self) -> bool:
        """A learner that still plays and learns."""
        return self.role in LEARNER_ROLES and not self.frozen and self.retired_round is None

    def row(self) -> list:
        """Its members.csv row."""
        parent = "" if self.parent is None else self.parent
        retired = "" if self.retired_round is None else self.retired_round
        return [self.id, self.role, parent, self.born_round, str(self.frozen).lower(), self.type, retired]


class Roster:
    """The league's members in the order they joined, and the ids new ones take."""

    def __init__(self, policy_type: str, counts: dict[str, int], anchors: dict[int, str]):
        for pid in anchors:
            if not isinstance(pid, int) or isinstance(pid, bool) or not 0 < pid < SNAPSHOT_BASE:
                raise ValueError(f"anchor ids must be integers from 1 to {SNAPSHOT_BASE - 1}, got {pid!r}")
        if not anchors:
            raise ValueError("a league needs at least one anchor (such as {100: 'random'}): its first opponents")
        if counts.get(MAIN, 0) < 1:
            raise ValueError("a league needs at least one main agent")
        self.policy_type = policy_type
        self.members: dict[int, Member] = {}
        self.next_snapshot = SNAPSHOT_BASE
        for pid, kind in anchors.items():
            self.members[pid] = Member(pid, ANCHOR, kind)
        for role in LEARNER_ROLES:
            for _ in range(counts.get(role, 0)):
                self.add_learner(role, born_round=0)

    def add_learner(self, role: str, born_round: int) -> int:
        """A fresh learner of ``role``; returns its id."""
        pid = 1
        while pid in self.members:
            pid += 1
        if pid >= SNAPSHOT_BASE:
            raise ValueError(f"a league has at most {SNAPSHOT_BASE - 1} learners and anchors")
        self.members[pid] = Member(pid, role, self.policy_type, born_round=born_round)
        return pid

    def freeze(self, learner: int, born_round: int) -> int:
        """A frozen snapshot of ``learner`` (the caller forks its files); returns the snapshot's id."""
        parent = self.members[learner]
        pid = self.next_snapshot
        self.next_snapshot += 1
        self.members[pid] = Member(pid, parent.role, parent.type, parent=learner, born_round=born_round, frozen=True)
        parent.steps_since_snapshot = 0
        return pid

    def reset(self, learner: int, last_round: int) -> int:
        """Retire ``learner`` after ``last_round``; its role goes on under a fresh learner, whose id is returned."""
        old = self.members[learner]
        old.retired_round = last_round
        return self.add_learner(old.role, born_round=last_round + 1)

    def learners(self, role: str | None = None) -> list[int]:
        """The learners that still learn (of ``role``, if given), in the order they joined."""
        return [m.id for m in self.members.values() if m.learning and (role is None or m.role == role)]

    def snapshots(self, parent: int | None = None) -> list[int]:
        """The frozen snapshots (of ``parent``, if given)."""
        return [m.id for m in self.members.values() if m.frozen and (parent is None or m.parent == parent)]

    def anchors(self) -> list[int]:
        """The anchors."""
        return [m.id for m in self.members.values() if m.role == ANCHOR]

    def pool(self) -> list[int]:
        """The league that PFSP draws from: every frozen snapshot, then the anchors."""
        return self.snapshots() + self.anchors()

    def playing(self) -> list[int]:
        """Everyone a rating tournament plays: the learners, the snapshots, the anchors."""
        return self.learners() + self.pool()

    def mains_with_weights(self, round_index: int) -> list[int]:
        """The main agents that have played a round (so have a checkpoint to play against)."""
        return [pid for pid in self.learners(MAIN) if self.members[pid].born_round < round_index]

    def rows(self) -> list[list]:
        """members.csv, header first, in the order members joined."""
        return [MEMBER_COLUMNS] + [m.row() for m in self.members.values()]

    def exploiters(self) -> list[int]:
        """The main exploiters that still learn."""
        return self.learners(MAIN_EXPLOITER)
