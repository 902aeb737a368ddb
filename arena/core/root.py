"""The root rank (rank 0): runs the user's script and conducts each round."""

from __future__ import annotations

import os
import time
from numbers import Integral
from typing import Any

from arena.core import comm as mpi
from arena.core.mosaic import FRAME_INTERVAL_S, MosaicView
from arena.core.plan import (
    ENV,
    UNUSED,
    Plan,
    PlanError,
    format_plan,
    format_scaling_report,
    make_plan,
    policy_ids,
    validate_match_list,
)
from arena.core.worker import RoundConfig

TAG_CONTROL, TAG_DONE = 1, 2


class KickoffError(ValueError):
    """A kickoff that cannot run; raised on rank 0 before any environment is built."""


def validate_kickoff(
    match_list: Any,
    policy_types: Any,
    steps_per_match: Any,
    policy_kwargs: Any,
    plot_colors: Any,
    known_policies: dict[str, type],
    num_entities: int | None,
) -> None:
    """Raise KickoffError naming the first problem with these kickoff arguments."""
    try:
        validate_match_list(match_list)
    except PlanError as err:
        raise KickoffError(str(err)) from None
    if not isinstance(policy_types, dict):
        raise KickoffError(f"policy_types must be a dict of policy id -> type name, got {policy_types!r}")
    for pid in policy_ids(match_list):
        if pid not in policy_types:
            raise KickoffError(
                f"policy {pid} appears in match_list but not in policy_types; add e.g. policy_types[{pid}] = 'random'"
            )
    for pid, name in policy_types.items():
        if name not in known_policies:
            raise KickoffError(
                f"unknown policy type {name!r} for policy {pid}; known types: "
                f"{', '.join(sorted(known_policies))} (register more with make_stem(additional_policies=...))"
            )
    if not isinstance(steps_per_match, Integral) or isinstance(steps_per_match, bool) or steps_per_match < 1:
        raise KickoffError(f"steps_per_match must be a positive integer, got {steps_per_match!r}")
    if not isinstance(policy_kwargs, dict) or not all(isinstance(v, dict) for v in policy_kwargs.values()):
        raise KickoffError("policy_kwargs must be a dict of policy id -> dict of keyword arguments")
    if not isinstance(plot_colors, dict):
        raise KickoffError("plot_colors must be a dict of policy id -> matplotlib color")
    if num_entities is not None:
        for m, match in enumerate(match_list):
            n = sum(len(e) if isinstance(e, (list, tuple)) else 1 for e in match)
            if n > num_entities:
                raise KickoffError(
                    f"match {m} names {n} entities but the env's spaces given to make_stem list only {num_entities}"
                )


class Stem:
    """The controller on rank 0: ``kickoff`` runs one round of matches on every rank."""

    def __init__(self, comm: mpi.Comm, log_comms_dir: str, obs_spaces: Any, act_spaces: Any, policies: dict[str, type]):
        self.comm = comm
        self.log_comms_dir = os.path.abspath(log_comms_dir)
        self.obs_spaces, self.act_spaces = obs_spaces, act_spaces
        self.policies = policies
        self.rounds = 0
        self.closed = False

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
        step_messages: str = "buffers",
    ) -> dict:
        """Run every match (copied to fill the ranks if ``scale``) for ``steps_per_match`` steps per copy.

        ``copies_per_env=K`` makes every environment rank run K copies of its match side
        by side; each worker then sees its entity in all K as one vector env and acts
        for them in one batch. ``step_messages="pickle"`` swaps the per-step buffers for
        pickled objects; it is slower and exists so benchmarks can measure what the
        buffers save.
        """
        if step_messages not in ("buffers", "pickle"):
            raise KickoffError(f"step_messages must be 'buffers' or 'pickle', got {step_messages!r}")
        num_entities = len(self.obs_spaces) if self.obs_spaces is not None else None
        validate_kickoff(
            match_list, policy_types, steps_per_match, policy_kwargs, plot_colors, self.policies, num_entities
        )
        try:
            plan = make_plan(match_list, mpi.size_of(self.comm), entity_remaps, scale, env_kwargs, copies_per_env)
        except PlanError as err:
            raise KickoffError(str(err)) from None
        if copies_per_env > 1:
            self._check_vector_support(policy_types)
        os.makedirs(self.log_comms_dir, exist_ok=True)
        cfg = RoundConfig(
            self.rounds,
            int(steps_per_match),
            dict(policy_types),
            {k: dict(v) for k, v in policy_kwargs.items()},
            plan.policy_ranks(),
            dict(plot_colors),
            self.log_comms_dir,
            int(seed),
            bool(render),
            float(progress_interval),
            step_messages,
        )
        self._announce(plan, match_list, scale)
        start = time.perf_counter()
        summaries = self._run_round(plan, cfg)
        elapsed = time.perf_counter() - start
        steps = sum(s["steps"] for r, s in summaries.items() if plan.roles[r].role == ENV)
        print(
            f"[arena] round {self.rounds} done: {steps:,} environment steps in {elapsed:.1f} s "
            f"({steps / max(elapsed, 1e-9):,.0f} steps/s)",
            flush=True,
        )
        self._plot_all(plot_colors)
        self.rounds += 1
        return {"steps": steps, "seconds": elapsed, "plan": plan, "ranks": summaries}

    def _check_vector_support(self, policy_types: dict) -> None:
        from arena.algos import resolve_policy

        for pid, name in policy_types.items():
            if not getattr(resolve_policy(self.policies[name]), "supports_vector_env", False):
                raise KickoffError(
                    f"policy {pid} ({name!r}) cannot play several copies at once: copies_per_env > 1 gives "
                    "each worker a gymnasium VectorEnv; set supports_vector_env = True on a class that handles one"
                )

    def _announce(self, plan: Plan, match_list: list, scale: bool) -> None:
        print(f"[arena] round {self.rounds}: {len(plan.matches)} match copies on {plan.world_size} ranks", flush=True)
        if scale:
            print("[arena] " + format_scaling_report(match_list, plan), flush=True)
        print(format_plan(plan), flush=True)

    def _run_round(self, plan: Plan, cfg: RoundConfig) -> dict[int, dict]:
        busy = [r for r in plan.roles if r.role not in (UNUSED, "root")]
        requests = [mpi.isend_object(("round", role, cfg), role.rank, TAG_CONTROL, self.comm) for role in busy]
        mpi.wait_all(requests, mpi.IDLE_MAX_SLEEP_S)
        summaries: dict[int, dict] = {}
        view = self._mosaic(plan, cfg) if cfg.render else None

        def round_over() -> bool:
            if view is not None:
                view.poll()
            found, summary, source = mpi.poll_object(mpi.ANY_SOURCE, TAG_DONE, self.comm)
            if found:
                summaries[source] = summary
            return len(summaries) == len(busy)

        mpi.wait_until(round_over, FRAME_INTERVAL_S / 4 if view is not None else mpi.IDLE_MAX_SLEEP_S)
        if view is not None:
            view.close()
            print(f"[arena] render: {view.frames_written} mosaic frames in {view.video_path}", flush=True)
        return summaries

    def _mosaic(self, plan: Plan, cfg: RoundConfig) -> MosaicView:
        labels = {
            g: f"match {m.match_index} copy {c}"
            for m in plan.matches
            for g, c in zip(m.global_copy_ids(), m.copy_ids())
        }
        out_dir = os.path.join(self.log_comms_dir, "render")
        return MosaicView(self.comm, labels, out_dir, cfg.round_index)

    def _plot_all(self, plot_colors: dict) -> None:
        from arena.plots import plot_policy_records
        from arena.records import load_records

        records = [r for r in load_records(self.log_comms_dir).values() if r.episodes]
        for r in records:
            r.plot_color = plot_colors.get(r.policy_id, r.plot_color)
        if records:
            path = os.path.join(self.log_comms_dir, "all_policies.png")
            plot_policy_records(records, [100], [1.0], path, title="all policies")

    def close(self) -> None:
        """Release every other rank; called automatically when the user's script ends."""
        if self.closed:
            return
        self.closed = True
        ranks = range(1, mpi.size_of(self.comm))
        requests = [mpi.isend_object(("exit",), r, TAG_CONTROL, self.comm) for r in ranks]
        mpi.wait_all(requests, mpi.IDLE_MAX_SLEEP_S)
