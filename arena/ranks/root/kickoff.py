"""The root rank (rank 0): runs the user's script and conducts each round."""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Any

from arena.algos import resolve_policy
from arena.algos.base import contract_of
from arena.compat import modern_kwargs
from arena.envs.batch import takes_num_copies
from arena.evaluation.schedule import ENV_VARIABLE as EVAL_ENV_VARIABLE
from arena.evaluation.schedule import evaluation_from_environment
from arena.mpi import comm as mpi
from arena.mpi import protocol
from arena.plan.placement import HostInfo, assign_devices, spinning_ranks, this_host
from arena.plan.roles import (
    ENV,
    WORKER,
    Plan,
    PlanError,
    format_plan,
    format_scaling_report,
    make_plan,
    policy_ids,
)
from arena.plan.rounds import DEFAULT_SILENCE_TIMEOUT_S, RoundConfig
from arena.ranks.env.paced import format_realtime
from arena.ranks.root.arguments import KickoffArgs, journal_args, round_config
from arena.ranks.root.env_probe import EnvProbe
from arena.ranks.root.kickoff_checks import (
    KickoffError,
    check_policy_kwargs,
    check_policy_memory,
    check_policy_spaces,
    validate_kickoff,
    validate_options,
)
from arena.ranks.root.round_play import RoundPlay, plot_all
from arena.ranks.signals import StopFlag
from arena.storage.file_service import open_round
from arena.storage.files import CorruptFileError, FolderLock, FolderLockedError, writable_problem
from arena.storage.journal import Journal, RoundEntry, counts_of, to_json, worker_steps_left
from arena.storage.records import PolicyRecord, RoundView, load_records, show_round


class Root:
    """Rank 0's controller: ``kickoff`` runs one round of matches on every rank (``make_stem`` returns a ``Stem``)."""

    def __init__(
        self,
        comm: mpi.Comm,
        log_comms_dir: str,
        obs_spaces: Any,
        act_spaces: Any,
        policies: dict[str, type],
        make_env: Any = None,
        stop: StopFlag | None = None,
        hosts: list[HostInfo] | None = None,
        lock: FolderLock | None = None,
        curves: bool = True,
    ):
        """``lock``: the log folder's lock, when the caller took it already (a tournament clearing its folder).

        ``curves=False``: no learning curves after a round (a tournament's games draw its payoffs instead).
        """
        self.comm = comm
        self.log_comms_dir = os.path.abspath(log_comms_dir)
        self.obs_spaces, self.act_spaces = obs_spaces, act_spaces
        self.policies = policies
        self.make_env = make_env
        self.stop = stop or StopFlag()
        self.hosts = hosts or [this_host()] * mpi.size_of(comm)  # where every rank runs, surveyed at start-up
        self.lock = lock
        self.journal: Journal | None = None  # the log folder's rounds.json, once the folder is locked
        self.play = RoundPlay(comm, self.log_comms_dir, self.stop, curves)
        self.env_probe = EnvProbe(make_env)  # each distinct env built once per Stem, on rank 0
        self.rounds = 0
        self.closed = False

    @property
    def world_size(self) -> int:
        """Ranks in the job, rank 0 included: what ``scale=True`` fills."""
        return mpi.size_of(self.comm)

    def kickoff(
        self,
        match_list: list,
        policy_types: dict,
        steps_per_match: int,
        entity_remaps: list = [],  # noqa: B006 - the tutorial's signature
        render: bool = False,
        scale: bool = False,
        policy_kwargs: dict = {},  # noqa: B006
        env_kwargs: dict | list = {},  # noqa: B006
        plot_colors: dict = {},  # noqa: B006
        seed: int = 0,
        progress_interval: float = 30.0,
        copies_per_env: int = 1,
        silence_timeout: float = DEFAULT_SILENCE_TIMEOUT_S,
        data_checks: str = "raise",
        games_per_copy: int | None = None,
        match_labels: list[str] | None = None,
        realtime_fps: float | None = None,
        env_restarts: int = 0,
        report_games: bool = False,
    ) -> dict:
        """Run every match (copied to fill the ranks if ``scale``) for ``steps_per_match`` steps per copy.

        ``copies_per_env=K`` makes every environment rank run K copies of its match side
        by side; each worker then sees its entity in all K as one vector env and acts
        for them in one batch. ``silence_timeout`` (seconds) ends the job when a rank
        waits that long on its match partner, naming the partner. ``data_checks``
        ("raise", "warn" or "off") sets what a bad observation, action or reward does.
        ``games_per_copy=G`` ends each match once its copies have played G whole games
        each (or at ``steps_per_match``, whichever comes first); its environment ranks
        then report every game's per-entity scores (``result["ranks"][r]["game_scores"]``). It is
        meant for players that save nothing at the end (tournaments): a learner whose match
        ends this way keeps only its last periodic checkpoint. ``report_games=True`` reports the
        games' scores the same way in a round that the step budget alone ends (a league's win rates).

        Every episode is recorded with its match's label: ``match_labels[m]``, or else the
        match's env_kwargs in short form (``game=Pong``); a multi-game batch labels each copy
        itself. Labelled policies get per-label curves, scores and TensorBoard tags.
        ``env_restarts=N`` lets each environment rank rebuild a copy whose env raised, N times in
        all, dropping its episode (the default, 0, ends the job at the first exception).
        ``realtime_fps=F`` steps every copy F times a wall-clock second; a policy whose action
        is late has its last action repeated, and the late share is reported (see
        ``arena.ranks.env.paced``). Without it, copies step as fast as their policies act.

        Everything is checked on rank 0 before any rank starts or any file is written.
        """
        k = KickoffArgs(**{name: value for name, value in locals().items() if name != "self"})
        plan, classes, policy_kwargs, env_spaces = self._check(k)  # on rank 0, before anything starts
        devices = self._place_learners(plan, classes, policy_kwargs)
        waits = os.environ.get("ARENA_WAITS", "auto")
        spin_ranks = self._spinning_ranks(plan, waits, policy_kwargs)
        self.hold_log_folder()
        budgets = plan.policy_budgets(steps_per_match)
        args = journal_args(k, policy_kwargs, budgets)
        entry = self._journal_entry(args)
        if entry is not None and entry.complete:
            return self._replay(entry, plan)
        show_round(self.log_comms_dir, None)
        playing = {pid: policy_types[pid] for pid in policy_ids(match_list)}
        records = self._open_records(playing, classes, plot_colors, entry)
        entry = self._begin_entry(entry, args, budgets, records, int(steps_per_match))
        left = worker_steps_left(entry, {p: r.steps_done for p, r in records.items()})
        if entry.attempts:
            self._report_resume(entry, records, left)
        cfg = round_config(k, self.rounds, self.log_comms_dir, plan, policy_kwargs, env_spaces, devices, spin_ranks)
        cfg = dataclasses.replace(cfg, waits=waits, worker_steps=left, attempt=entry.attempts, round_budgets=budgets)
        self._announce(plan, match_list, scale, devices)
        return self._play_round(plan, cfg, records, entry)

    def _check(self, k: KickoffArgs) -> tuple[Plan, dict[int, type], dict, dict[int, tuple[list, list]]]:
        """KickoffError unless everything fits; the plan, the playing classes, their kwargs and the envs' spaces."""
        problem = writable_problem(self.log_comms_dir)
        if problem is not None:
            raise KickoffError(f"cannot write the log folder {self.log_comms_dir}: {problem}")
        validate_options(
            render=k.render,
            scale=k.scale,
            seed=k.seed,
            progress_interval=k.progress_interval,
            copies_per_env=k.copies_per_env,
            silence_timeout=k.silence_timeout,
            data_checks=k.data_checks,
            games_per_copy=k.games_per_copy,
            realtime_fps=k.realtime_fps,
            env_restarts=k.env_restarts,
            report_games=k.report_games,
        )
        if k.env_restarts and takes_num_copies(self.make_env):
            raise KickoffError(
                "env_restarts rebuilds one copy with make_env(**env_kwargs), but this make_env builds its own batch "
                "of copies (it takes num_copies); leave env_restarts at 0 for it"
            )
        num_entities = len(self.obs_spaces) if self.obs_spaces is not None else None
        validate_kickoff(
            k.match_list, k.policy_types, k.steps_per_match, k.policy_kwargs, k.plot_colors, self.policies, num_entities
        )
        try:
            plan = make_plan(
                k.match_list, self.world_size, k.entity_remaps, k.scale, k.env_kwargs, k.copies_per_env, k.match_labels
            )
        except PlanError as err:
            raise KickoffError(str(err)) from None
        playing = {pid: k.policy_types[pid] for pid in policy_ids(k.match_list)}
        classes = self._policy_classes(playing)
        policy_kwargs = self._evaluation_from_environment(self._modern_kwargs(k.policy_kwargs, classes, plan), classes)
        env_spaces = self._check_policies(plan, playing, classes, policy_kwargs, k)
        return plan, classes, policy_kwargs, env_spaces

    def _check_policies(
        self, plan: Plan, playing: dict, classes: dict[int, type], policy_kwargs: dict, k: KickoffArgs
    ) -> dict[int, tuple[list, list]]:
        """KickoffError unless every playing policy takes its kwargs, its copies and its spaces; the envs' spaces."""
        check_policy_kwargs(playing, policy_kwargs, self.policies)
        if k.copies_per_env > 1:
            self._check_vector_support(playing, classes)
        env_spaces = self.env_probe.spaces(plan, k.realtime_fps)
        check_policy_spaces(plan, env_spaces, classes)
        check_policy_memory(plan, env_spaces, classes, policy_kwargs, self.hosts)
        return env_spaces

    def _spinning_ranks(self, plan: Plan, waits: str, policy_kwargs: dict) -> tuple:
        """Ranks whose per-step waits may poll: those with a core of their own (see placement)."""
        busy = [r.rank for r in plan.roles if r.role in (ENV, WORKER)]
        threads = {
            r.rank: int(policy_kwargs.get(r.worker.policy_id, {}).get("torch_threads", 1))
            for r in plan.roles
            if r.role == WORKER
        }
        try:
            return spinning_ranks(self.hosts, busy, waits, threads)
        except ValueError as err:
            raise KickoffError(str(err)) from None

    def _play_round(self, plan: Plan, cfg: RoundConfig, records: dict[int, PolicyRecord], entry: RoundEntry) -> dict:
        """Run the round on every rank, report it, draw the curves and journal it as complete."""
        start = time.perf_counter()
        summaries = self.play.run(plan, cfg, records)
        elapsed = time.perf_counter() - start
        steps = sum(s["steps"] for r, s in summaries.items() if plan.roles[r].role == ENV)
        print(
            f"[arena] round {self.rounds} done: {steps:,} environment steps in {elapsed:.1f} s "
            f"({steps / max(elapsed, 1e-9):,.0f} steps/s)",
            flush=True,
        )
        realtime = format_realtime(summaries, {r.rank: r.worker.policy_id for r in plan.roles if r.worker})
        if realtime is not None:
            print(realtime, flush=True)
        for rank, summary in sorted(summaries.items()):
            for why in summary.get("env_restarts", []):
                print(f"[arena] round {self.rounds}: environment rank {rank} restarted {why}", flush=True)
        if self.play.curves:
            plot_all(self.log_comms_dir, cfg.plot_colors)
        result = {"steps": steps, "seconds": elapsed, "ranks": summaries}
        self.journal.finish(entry, counts_of(load_records(self.log_comms_dir)), to_json(result))
        self.rounds += 1
        return result | {"plan": plan}

    def _journal_entry(self, args: dict[str, str]) -> RoundEntry | None:
        """The journal's entry for this round if its kickoff arguments are the same; a changed one is dropped."""
        entry = self.journal.entry(self.rounds)
        if entry is None or not entry.changed_args(args):
            return entry
        print(
            f"[arena] round {self.rounds}: kickoff arguments differ from those {self.journal.path} recorded for "
            f"this round ({', '.join(entry.changed_args(args))}). The journal from round {self.rounds} on is "
            "dropped: this round and the later ones run in full, each policy from where its saved state stands",
            flush=True,
        )
        show_round(self.log_comms_dir, None)
        self.journal.drop_from(self.rounds)
        return None

    def _replay(self, entry: RoundEntry, plan: Plan) -> dict:
        """Return a completed round's result at once; records read as at its end until the next live round."""
        print(
            f"[arena] round {self.rounds}: complete in {self.journal.path}; not played again (records read as at its "
            "end)",
            flush=True,
        )
        counts = {int(pid): (n, steps) for pid, (n, steps) in entry.end.items()}
        last = self.journal.entry(self.rounds + 1) is None  # nothing the earlier run did after it is journaled
        show_round(self.log_comms_dir, RoundView(self.rounds, counts, last))
        self.rounds += 1
        ranks = {int(rank): summary for rank, summary in entry.result.get("ranks", {}).items()}
        return entry.result | {"ranks": ranks, "plan": plan, "replayed": True}

    def _begin_entry(
        self, entry: RoundEntry | None, args: dict, budgets: dict, records: dict[int, PolicyRecord], steps: int
    ) -> RoundEntry:
        """Journal the round as started: a new entry, or the cut-short one again with its resume counted."""
        if entry is None:
            planned = {str(p): b for p, b in budgets.items()}
            entry = RoundEntry(self.rounds, args, steps, planned, counts_of(records))
        else:
            entry.attempts += 1
        self.journal.begin(entry)
        return entry

    def _report_resume(self, entry: RoundEntry, records: dict[int, PolicyRecord], left: dict[int, int]) -> None:
        """Say what a resumed round still has to play, per policy (``left``: each worker's steps)."""
        parts = []
        for pid, record in sorted(records.items()):
            planned, playing = entry.planned[str(pid)], left[pid] * entry.stride(pid)
            parts.append(f"policy {pid} has {playing:,} of its {planned:,} steps left")
            short = entry.start[str(pid)][1] + planned - record.steps_done - playing
            if short > 0:  # a checkpoint off the workers' grid: they take equal steps
                parts[-1] += f", and will end {short} steps short of them"
        print(
            f"[arena] round {self.rounds} was cut short; resuming it (resume {entry.attempts}): " + "; ".join(parts),
            flush=True,
        )

    def hold_log_folder(self) -> None:
        """Hold the log folder for this run, so a second run on it refuses instead of mixing files."""
        try:
            if self.lock is None:
                self.lock = FolderLock(self.log_comms_dir).acquire()
            if self.journal is None:
                self.journal = Journal(self.log_comms_dir)
        except (FolderLockedError, CorruptFileError, OSError) as err:  # OSError: the folder cannot be made or locked
            raise KickoffError(str(err)) from None

    def _policy_classes(self, playing: dict) -> dict[int, type]:
        return {pid: resolve_policy(self.policies[name]) for pid, name in playing.items()}

    def _modern_kwargs(self, policy_kwargs: dict, classes: dict[int, type], plan: Plan) -> dict:
        """Playing policies' kwargs with arena5's names turned into the arena's (see arena.compat)."""
        out = dict(policy_kwargs)
        workers = {pid: len(ranks) for pid, ranks in plan.policy_ranks().items()}
        for pid, cls in classes.items():
            if pid not in out:
                continue
            try:
                out[pid] = modern_kwargs(contract_of(cls).arena5_keywords, out[pid], workers[pid])
            except ValueError as err:
                raise KickoffError(f"policy_kwargs for policy {pid}: {err}") from None
        return out

    def _evaluation_from_environment(self, policy_kwargs: dict, classes: dict[int, type]) -> dict:
        """With ARENA_EVALUATION set here (rank 0), the option ``evaluation`` of every learner whose kwargs lack it.

        Read on rank 0 only: other hosts may not share this environment, so it travels in the kwargs.
        """
        text = os.environ.get(EVAL_ENV_VARIABLE)
        if text is None:
            return policy_kwargs
        try:
            value = evaluation_from_environment(text)
        except (TypeError, ValueError) as err:
            raise KickoffError(str(err)) from None
        out = dict(policy_kwargs)
        for pid, cls in classes.items():
            kwargs = out.get(pid, {})
            if contract_of(cls).evaluates_while_training and "evaluation" not in kwargs:
                out[pid] = {**kwargs, "evaluation": value}
        return out

    def _check_vector_support(self, playing: dict, classes: dict[int, type]) -> None:
        for pid, name in playing.items():
            if not contract_of(classes[pid]).supports_vector_env:
                raise KickoffError(
                    f"policy {pid} ({name!r}) cannot play several copies at once: copies_per_env > 1 gives "
                    "each worker a gymnasium VectorEnv; set supports_vector_env = True on a class that handles one"
                )

    def _place_learners(self, plan: Plan, classes: dict[int, type], policy_kwargs: dict) -> dict[int, str]:
        """Each learner's device: its host's GPUs in turn, unless its policy's kwargs name one."""
        learners, requested = [], {}
        for role in plan.roles:
            if role.role != WORKER:
                continue
            pid = role.worker.policy_id
            if contract_of(classes[pid]).uses_device:
                learners.append(role.rank)
                if policy_kwargs.get(pid, {}).get("device") is not None:
                    requested[role.rank] = str(policy_kwargs[pid]["device"])
        return assign_devices(self.hosts, learners, requested)

    def _announce(self, plan: Plan, match_list: list, scale: bool, devices: dict[int, str]) -> None:
        print(f"[arena] round {self.rounds}: {len(plan.matches)} match copies on {plan.world_size} ranks", flush=True)
        if scale:
            print("[arena] " + format_scaling_report(match_list, plan), flush=True)
        hosts = [h.host for h in self.hosts] if len({h.host for h in self.hosts}) > 1 else None
        print(format_plan(plan, devices, hosts), flush=True)

    def _open_records(
        self, playing: dict, classes: dict[int, type], plot_colors: dict, entry: RoundEntry | None
    ) -> dict[int, PolicyRecord]:
        """Every playing policy's record, from this host's log folder, opened for the round.

        When the journal says the round was cut short, it tells a policy that keeps no
        checkpoint the grid its steps must stay on (see open_round).
        """
        records = {}
        for pid in playing:
            grid = None
            if entry is not None:
                grid = (entry.start[str(pid)][1], entry.stride(pid))
            saved_steps = contract_of(classes[pid]).saved_steps
            try:
                records[pid] = open_round(saved_steps, self.log_comms_dir, pid, plot_colors.get(pid), grid)
            except CorruptFileError as err:  # every version of a checkpoint or record.json is unreadable
                raise KickoffError(f"policy {pid}: {err}") from None
        return records

    def close(self) -> None:
        """Release every other rank; called automatically when the user's script ends."""
        if self.closed:
            return
        self.closed = True
        ranks = range(1, mpi.size_of(self.comm))
        requests = [mpi.isend_object(("exit",), r, protocol.CONTROL, self.comm) for r in ranks]
        mpi.wait_all(requests, mpi.IDLE_MAX_SLEEP_S)
