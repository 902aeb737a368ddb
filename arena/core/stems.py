"""``make_stem``: the one call every rank makes. Rank 0 gets the Stem; the others serve."""

from __future__ import annotations

import atexit
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

from arena.algos import BUILTIN_POLICIES, resolve_policy
from arena.core import comm as mpi
from arena.core import protocol
from arena.core.env_api import load_make_env
from arena.core.env_process import run_env_rank
from arena.core.placement import this_host
from arena.core.plan import ENV, WORKER, RankRole, count_needed_procs, total_steps_to_match_steps
from arena.core.root import KickoffError, Stem
from arena.core.round import RoundConfig
from arena.core.signals import StopFlag
from arena.core.worker import run_worker_rank

ABORT_GRACE_S = 1.0


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
    try:
        if role.role == ENV:
            summary = run_env_rank(comm, role.match, make_env, cfg)
        else:
            policy_class = resolve_policy(policies[cfg.policy_types[role.worker.policy_id]])
            summary = run_worker_rank(comm, role, cfg, policy_class, stop, package, make_env)
        return {**summary, "waits": "poll" if mpi.step_waits_spin() else "sleep"}
    finally:
        mpi.spin_step_waits(False)  # between rounds a rank waits for long: it must not hold a core


def make_stem(
    make_env: Callable[..., Any] | str,
    log_comms_dir: str,
    obs_spaces: list | None = None,
    act_spaces: list | None = None,
    additional_policies: dict[str, type] = {},  # noqa: B006 - the tutorial's signature
) -> Stem:
    """Start the arena on every rank: rank 0 returns the Stem; every other rank serves, then exits."""
    comm = mpi.world()
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
    hosts = mpi.gather_object(this_host(), comm, protocol.SURVEY)
    if rank != 0:
        serve(comm, make_env, policies, stop)
        sys.exit(0)
    stem = Stem(comm, log_comms_dir, obs_spaces, act_spaces, policies, make_env, stop, hosts)
    atexit.register(stem.close)
    return stem


def _install_root_failure_hook(comm: mpi.Comm) -> None:
    """An uncaught exception in the user's script ends every rank, not just rank 0."""

    def hook(exc_type, exc, tb):  # noqa: ANN001 - sys.excepthook's signature
        _fail(comm, "rank 0, the root script", exc.with_traceback(tb))

    sys.excepthook = hook


__all__ = ["make_stem", "Stem", "KickoffError", "count_needed_procs", "total_steps_to_match_steps"]
