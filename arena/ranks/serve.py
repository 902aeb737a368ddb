"""``make_stem``: the one call every rank makes. Rank 0 gets the Stem; the others serve the roles it gives them."""

from __future__ import annotations

import atexit
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

from arena.algos import BUILTIN_POLICIES, resolve_policy
from arena.envs.api import load_make_env
from arena.mpi import comm as mpi
from arena.mpi import protocol
from arena.plan.placement import this_host
from arena.plan.roles import ENV, WORKER, RankRole, count_needed_procs, match_steps
from arena.plan.rounds import STARTUP_TIMEOUT_S, RoundConfig
from arena.ranks.env.lockstep import run_env_rank
from arena.ranks.root.kickoff import KickoffError, Root
from arena.ranks.signals import StopFlag
from arena.ranks.worker.rank import run_worker_rank
from arena.settings import ARENA_VARIABLES
from arena.tournament import TournamentResult, run_tournament

ABORT_GRACE_S = 1.0


class Stem(Root):
    """What ``make_stem`` returns on rank 0: ``kickoff`` (``arena.ranks.root``) and ``tournament``, built on it."""

    def tournament(
        self,
        players: list[int],
        policy_types: dict,
        games_per_pair: int,
        policy_kwargs: dict = {},  # noqa: B006 - kickoff's style
        env_kwargs: dict = {},  # noqa: B006
        name: str = "tournament",
        seed: int = 0,
        max_steps_per_game: int = 27_000,
    ) -> TournamentResult:
        """Play every pair of ``players`` on both sides, ``games_per_pair`` games each way; rate them.

        Results go to ``log_comms_dir/<name>/`` (payoff.csv, ratings.csv, games.csv,
        payoff.png) and come back as a ``TournamentResult`` (``.payoff``, ``.ratings``,
        ``.ranking``). Learners play frozen, from copies of their checkpoints: their
        weights and records are never touched. See ``arena.tournament``.
        """
        return run_tournament(
            self, players, policy_types, games_per_pair, policy_kwargs, env_kwargs, name, seed, max_steps_per_game
        )


def describe_role(role: RankRole | None, rank: int) -> str:
    """A short description such as 'rank 3, worker of policy 2 in match 0 copy 1'."""
    if role is None:
        return f"rank {rank}, between rounds"
    if role.role == ENV:
        return f"rank {rank}, environment of match {role.match.match_index} copy {role.match.copy_index}"
    if role.role == WORKER:
        return (
            f"rank {rank}, worker of policy {role.worker.policy_id} (entities {list(role.worker.entities)}) "
            f"in match {role.match.match_index} copy {role.match.copy_index}"
        )
    return f"rank {rank}, {role.role}"


def _fail(comm: mpi.Comm, where: str, exc: BaseException) -> None:
    if isinstance(exc, KickoffError):  # the message says it all; a traceback would bury it
        text, code = f"[arena] kickoff error: {exc}\n", 2
    elif isinstance(exc, KeyboardInterrupt):
        text, code = f"[arena] {where}: interrupted; ending the job now\n", 130
    elif isinstance(exc, mpi.WaitTimeout):  # the rank that waited is fine; the message names the silent one
        text, code = f"\n[arena] {where} gave up waiting, ending the job: {exc}\n", 1
    else:
        trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        text, code = f"\n[arena] {where} failed; ending the job:\n{trace}", 1
    sys.stdout.flush()
    sys.stderr.write(text)
    sys.stderr.flush()
    time.sleep(ABORT_GRACE_S)  # let mpiexec forward the message before the abort tears down its pipes
    mpi.abort(comm, code)


def serve(comm: mpi.Comm, make_env: Callable[..., Any], policies: dict[str, type], stop: StopFlag) -> None:
    """Play whatever role each round gives this rank until the root says exit."""
    rank, role = mpi.rank_of(comm), None
    try:
        while True:
            message, _ = mpi.recv_object(0, protocol.CONTROL, comm, mpi.IDLE_MAX_SLEEP_S)
            if message[0] == "exit":
                return
            _, role, cfg, package = message
            summary = run_role(comm, role, cfg, make_env, policies, stop, package)
            mpi.send_object(summary, 0, protocol.DONE, comm, mpi.IDLE_MAX_SLEEP_S)
            role = None
    except BaseException as exc:  # any failure, even Ctrl+C, must end the whole job
        _fail(comm, describe_role(role, rank), exc)


def run_role(
    comm: mpi.Comm,
    role: RankRole,
    cfg: RoundConfig,
    make_env: Callable[..., Any],
    policies: dict[str, type],
    stop: StopFlag,
    package: dict | None = None,
) -> dict:
    """Run one round as an environment rank or a policy worker (a policy's root worker gets its package)."""
    mpi.spin_step_waits(role.rank in cfg.spin_ranks)
    mpi.set_collective_deadline(cfg.collective_timeout())
    try:
        if role.role == ENV:
            summary = run_env_rank(comm, role.match, make_env, cfg)
        else:
            policy_class = resolve_policy(policies[cfg.policy_types[role.worker.policy_id]])
            summary = run_worker_rank(comm, role, cfg, policy_class, stop, package, make_env)
        return {**summary, "waits": "poll" if mpi.step_waits_spin() else "sleep"}
    finally:
        mpi.spin_step_waits(False)  # between rounds a rank waits for long: it must not hold a core
        mpi.set_collective_deadline(None)


def make_stem(
    make_env: Callable[..., Any] | str,
    log_comms_dir: str,
    obs_spaces: list | None = None,
    act_spaces: list | None = None,
    additional_policies: dict[str, type | str] = {},  # noqa: B006 - the tutorial's signature
) -> Stem:
    """Start the arena on every rank: rank 0 returns the Stem; every other rank serves, then exits.

    ``additional_policies`` maps a type name to a class or to ``"module:Class"``, which is
    imported only on the ranks that play it (and rank 0): a torch learner's subclass
    registered so keeps torch off the environment ranks.
    """
    comm = mpi.world()
    if mpi.size_of(comm) == 1 and {"-h", "--help"} & set(sys.argv[1:]):
        _print_script_help()  # a script run alone with --help: say how to run it, and exit
        sys.exit(0)
    rank = mpi.rank_of(comm)
    policies = {**BUILTIN_POLICIES, **additional_policies}
    stop = StopFlag().install()
    if rank == 0:
        stop.defer = False  # outside a round rank 0 has nothing to save: Ctrl+C ends the job at once
        _install_root_failure_hook(comm)
    try:
        make_env = load_make_env(make_env)
    except BaseException as exc:
        _fail(comm, f"rank {rank}, loading make_env", exc)
    hosts = _survey(comm)
    if rank != 0:
        serve(comm, make_env, policies, stop)
        sys.exit(0)
    stem = Stem(comm, log_comms_dir, obs_spaces, act_spaces, policies, make_env, stop, hosts)
    atexit.register(stem.close)
    return stem


def _print_script_help() -> None:
    """The script's docstring, how to launch it, and the ARENA_* variables the arena reads."""
    script = getattr(sys.modules.get("__main__"), "__file__", None) or "my_main_script.py"
    doc = getattr(sys.modules.get("__main__"), "__doc__", None)
    print((doc.strip() + "\n\n") if doc else "", end="")
    print(f"Run it under MPI: mpiexec -n N python {os.path.basename(script)}  (N: 1 root + the ranks its matches need)")
    print("\nEnvironment variables the arena reads:")
    for name, meaning in ARENA_VARIABLES.items():
        print(f"  {name}: {meaning}")


def _survey(comm: mpi.Comm) -> list | None:
    """Where every rank runs, on rank 0 (None elsewhere); a rank that never reports ends the job, named."""
    try:
        return mpi.gather_object(this_host(), comm, protocol.SURVEY, timeout=STARTUP_TIMEOUT_S)
    except mpi.WaitTimeout as exc:
        _fail(comm, "rank 0, at start-up", mpi.WaitTimeout(f"{exc} (importing make_env.py and torch on every rank)"))


def total_steps_to_match_steps(
    match_list: list, total_steps: int, world_size: int | None = None, copies_per_env: int = 1
) -> int:
    """Split ``total_steps`` evenly over every match copy that ``scale=True`` will make (on this job's ranks).

    Pass the same ``copies_per_env`` as to ``kickoff``: each environment rank then runs that many copies.
    """
    return match_steps(match_list, total_steps, mpi.world_size() if world_size is None else world_size, copies_per_env)


def _install_root_failure_hook(comm: mpi.Comm) -> None:
    """An uncaught exception in the user's script ends every rank, not just rank 0."""

    def hook(exc_type, exc, tb):  # noqa: ANN001 - sys.excepthook's signature
        _fail(comm, "rank 0, the root script", exc.with_traceback(tb))

    sys.excepthook = hook


__all__ = ["make_stem", "Stem", "KickoffError", "count_needed_procs", "total_steps_to_match_steps"]
