"""The journal of rounds: what lets a re-run of a script finish the same work instead of starting over.

Rank 0 keeps ``log_comms_dir/rounds.json``. Each ``kickoff`` of a script is round 0,
1, 2... in call order. When a round starts, the journal records its kickoff
arguments, each playing policy's step count and its planned budget; when it ends,
every policy's episode and step counts. A re-run of the same script then:

- returns at once from rounds the journal records as complete, and makes
  ``PolicyRecord.load``/``load_records`` show the records as they were at the end of
  that round, so the script's decisions (which policy to fork) come out the same;
- resumes a round that was cut short with what each policy's budget has left;
- drops the journal from the first round whose kickoff arguments changed, and says so.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field

from arena.storage.files import KEEP_VERSIONS, atomic_path, read_versions

JOURNAL_FILE = "rounds.json"
STARTED, COMPLETE = "started", "complete"


def canonical(value: object) -> str:
    """A stable text for a kickoff argument, to compare it between runs (dict order never matters).

    Values JSON cannot hold go by their repr, less any memory address, which differs between runs.
    """
    return json.dumps(value, sort_keys=True, default=lambda o: re.sub(r" at 0x[0-9a-fA-F]+", "", repr(o)))


@dataclass
class RoundEntry:
    """One round as the journal keeps it."""

    round_index: int
    args: dict[str, str]  # kickoff argument -> its canonical text
    steps_per_match: int
    planned: dict[str, int]  # policy id -> its steps over the round: steps_per_match x the copies it plays
    start: dict[str, list[int]]  # policy id -> [episodes, steps] when the round first started
    status: str = STARTED
    attempts: int = 0  # resumes so far
    end: dict[str, list[int]] = field(default_factory=dict)  # every policy -> [episodes, steps] at the end
    result: dict = field(default_factory=dict)  # what kickoff returned: steps, seconds, rank summaries

    def stride(self, policy_id: int) -> int:
        """The policy's steps per step of its workers (the copies they play together)."""
        return self.planned[str(policy_id)] // self.steps_per_match

    @property
    def complete(self) -> bool:
        """True once the round finished."""
        return self.status == COMPLETE

    def changed_args(self, args: dict[str, str]) -> list[str]:
        """Names of the kickoff arguments that differ from the journal's."""
        return sorted(k for k in set(args) | set(self.args) if args.get(k) != self.args.get(k))


class Journal:
    """The rounds of one log folder, read once at start and rewritten (atomically) at every change."""

    def __init__(self, log_comms_dir: str):
        self.path = os.path.join(log_comms_dir, JOURNAL_FILE)
        self.entries: list[RoundEntry] = []
        rounds = read_versions(self.path, lambda data: json.loads(data)["rounds"])  # a bad one falls back
        self.entries = [RoundEntry(**e) for e in rounds or []]

    def entry(self, round_index: int) -> RoundEntry | None:
        """The journal's record of a round, if it has one."""
        return self.entries[round_index] if round_index < len(self.entries) else None

    def drop_from(self, round_index: int) -> None:
        """Forget a round and every later one (the script changed there)."""
        del self.entries[round_index:]
        self._write()

    def begin(self, entry: RoundEntry) -> None:
        """Record a round as started (a new one, or a resume of the last)."""
        del self.entries[entry.round_index :]
        self.entries.append(entry)
        self._write()

    def finish(self, entry: RoundEntry, end: dict[str, list[int]], result: dict) -> None:
        """Record a round as complete, with every policy's counts at its end."""
        entry.status, entry.end, entry.result = COMPLETE, end, result
        self._write()

    def _write(self) -> None:
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        with atomic_path(self.path, KEEP_VERSIONS) as tmp, open(tmp, "w") as f:
            json.dump({"rounds": [asdict(e) for e in self.entries]}, f, indent=1)


def kickoff_args(**args: object) -> dict[str, str]:
    """The kickoff arguments that decide what a round trains, each as canonical text."""
    return {name: canonical(value) for name, value in args.items()}


def counts_of(records: dict) -> dict[str, list[int]]:
    """Each policy's ``[episodes, steps]`` by policy id (as text, the journal's keys)."""
    return {str(pid): [len(r.episodes), int(r.steps_done)] for pid, r in records.items()}


def worker_steps_left(entry: RoundEntry, steps_done: dict[int, int]) -> dict[int, int]:
    """Steps each worker of each policy takes so that the policy ends the round at exactly its planned count.

    ``steps_done`` is each policy's count now (after rewinding to its checkpoint). A policy's
    workers take equal steps, so what is left is split by the number of copies they play.
    """
    left = {}
    for pid, planned in entry.planned.items():
        target = entry.start[pid][1] + planned
        left[int(pid)] = max(0, target - steps_done[int(pid)]) // entry.stride(int(pid))
    return left


def to_json(value: object) -> object:
    """``value`` with numpy scalars made plain and anything else JSON cannot hold as its repr."""
    return json.loads(json.dumps(value, default=lambda o: o.item() if hasattr(o, "item") else repr(o)))
