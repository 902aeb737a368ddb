"""Every ``ARENA_*`` setting in one table: the example scripts' flags, and the variables the arena reads.

An example script declares the settings it takes with their defaults::

    settings = script_settings(__doc__, total_steps=60_000, render=False)

and ``python my_main_script.py --help`` lists them without MPI. A flag (``--total-steps 5000``)
beats its environment variable (``ARENA_TOTAL_STEPS=5000``), which beats the default. Under
``mpiexec`` every rank parses the same command line; only rank 0 uses the values. The
documentation's settings table is generated from the three tables below.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass

__all__ = ["ARENA_VARIABLES", "SCRIPT_SETTINGS", "TEST_VARIABLES", "Setting", "script_settings", "variable_of"]


@dataclass(frozen=True)
class Setting:
    """One example-script setting: what it does (its default, and so its type, are the script's own)."""

    help: str


SCRIPT_SETTINGS = {
    "total_steps": Setting("the budget: agent steps over every match copy (per round where there are rounds)"),
    "render": Setting("show every copy of every match in one mosaic (log_comms/render/ without a display)"),
    "realtime": Setting("pace every game: 1 is the console's speed (15 agent steps a second), N is N a second"),
    "games": Setting("which games: a count of Pongs, or 8, 57 or comma-separated ALE names (the example says)"),
    "env_ranks": Setting("environment ranks to spread the games over"),
    "copies": Setting("games stepped together on each environment rank (copies_per_env)"),
    "rounds": Setting("rounds of training (kickoff calls)"),
    "generations": Setting("rounds of evolution (kickoff calls)"),
    "tournament_games": Setting("games per pair of players and side in a tournament (the closing one, or each rating)"),
    "game": Setting("which game to play (the example names its choices)"),
    "steps_per_match": Setting("each match's steps in a round (a learner's own moves in a turn-based game)"),
    "rate_every": Setting("rounds between rating tournaments"),
    "matches_per_learner": Setting(
        "matches each learner plays a round, sides alternating (a league's ranks grow with it)"
    ),
    "max_cycles": Setting("frames before a two-player game is cut"),
    "preset": Setting("the learner's preset of hyperparameters"),
    "replay": Setting("replay size in transitions, per policy"),
}

# Variables the arena itself reads (on rank 0, which sends them with the round); they have no flag.
ARENA_VARIABLES = {
    "ARENA_EVALUATION": "rank 0, at kickoff: the option `evaluation` for every learner whose policy_kwargs leave it "
    "out: 0, 1, or a JSON dict of EvalOptions' fields",
    "ARENA_WAITS": "rank 0, at kickoff: how per-step waits behave on every rank: auto (default), spin or sleep",
}
# Variables the test suite reads.
TEST_VARIABLES = {
    "ARENA_MPIEXEC_ARGS": "the tests: extra launcher options for every mpiexec they start (e.g. --oversubscribe)",
    "ARENA_TEST_HANG_SCALE": "the tests: multiplies every hang guard (timeouts and deadlines); default 2",
    "ARENA_PRIVATE_DIR": "the tests: the folder tests/private_disks.sh mounts as each rank's private disk",
    "ARENA_RECORD_GOLDEN": "the tests: 1 rewrites the golden records of tests/mpi/test_golden_records.py",
}


def variable_of(name: str) -> str:
    """The environment variable that aliases the setting ``name``: ``total_steps`` -> ``ARENA_TOTAL_STEPS``."""
    return "ARENA_" + name.upper()


def _parse(kind: type, text: str) -> object:
    """``text`` (from a flag or a variable) as a value of ``kind``; booleans take 1/0, true/false, yes/no, on/off."""
    if kind is not bool:
        return kind(text)
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise argparse.ArgumentTypeError(f"expected 1/0, true/false, yes/no or on/off, not {text!r}")


def script_settings(doc: str | None, argv: list[str] | None = None, **defaults: object) -> argparse.Namespace:
    """The script's settings: ``--name`` beats ``ARENA_NAME``, which beats ``defaults[name]``; ``--help`` lists them."""
    unknown = sorted(set(defaults) - set(SCRIPT_SETTINGS))
    if unknown:
        raise ValueError(f"no such script setting: {', '.join(unknown)}; add it to arena.settings.SCRIPT_SETTINGS")
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False
    )
    for name, default in defaults.items():
        setting, variable, kind = SCRIPT_SETTINGS[name], variable_of(name), type(default)
        from_env = os.environ.get(variable)
        try:
            value = default if from_env is None else _parse(kind, from_env)
        except (ValueError, argparse.ArgumentTypeError) as exc:
            parser.error(f"{variable}={from_env!r}: {exc}")
        parser.add_argument(
            "--" + name.replace("_", "-"),
            dest=name,
            type=lambda text, kind=kind: _parse(kind, text),
            default=value,
            metavar=kind.__name__.upper(),
            help=f"{setting.help} (default {default!r}; env {variable})",
        )
    return parser.parse_args(argv)
