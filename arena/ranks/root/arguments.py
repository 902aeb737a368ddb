"""kickoff's arguments as one value, and what the journal and each round's config take of them."""

from __future__ import annotations

from dataclasses import dataclass, field

from arena.plan.roles import Plan
from arena.plan.rounds import DEFAULT_SILENCE_TIMEOUT_S, RoundConfig
from arena.storage.journal import kickoff_args


@dataclass(frozen=True)
class KickoffArgs:
    """Everything ``kickoff`` was called with (see ``Root.kickoff`` for the meanings)."""

    match_list: list
    policy_types: dict
    steps_per_match: int
    entity_remaps: list = field(default_factory=list)
    render: bool = False
    scale: bool = False
    policy_kwargs: dict = field(default_factory=dict)
    env_kwargs: dict | list = field(default_factory=dict)
    plot_colors: dict = field(default_factory=dict)
    seed: int = 0
    progress_interval: float = 30.0
    copies_per_env: int = 1
    silence_timeout: float = DEFAULT_SILENCE_TIMEOUT_S
    data_checks: str = "raise"
    games_per_copy: int | None = None
    match_labels: list[str] | None = None
    realtime_fps: float | None = None
    env_restarts: int = 0
    report_games: bool = False


def journal_args(k: KickoffArgs, policy_kwargs: dict, budgets: dict) -> dict[str, str]:
    """The arguments the journal compares between runs (``policy_kwargs`` as the round plays them)."""
    return kickoff_args(
        match_list=k.match_list,
        policy_types=k.policy_types,
        steps_per_match=k.steps_per_match,
        entity_remaps=k.entity_remaps,
        scale=k.scale,
        policy_kwargs=policy_kwargs,
        env_kwargs=k.env_kwargs,
        seed=k.seed,
        copies_per_env=k.copies_per_env,
        budgets=budgets,
        # only when set: journals written before these options stay valid
        **({"games_per_copy": k.games_per_copy} if k.games_per_copy is not None else {}),
        **({"realtime_fps": k.realtime_fps} if k.realtime_fps is not None else {}),
        **({"report_games": True} if k.report_games else {}),
    )


def round_config(
    k: KickoffArgs,
    round_index: int,
    log_comms_dir: str,
    plan: Plan,
    policy_kwargs: dict,
    env_spaces: dict,
    devices: dict,
    spin_ranks: tuple,
) -> RoundConfig:
    """What every rank is told about the round, by keyword (the resume's fields are the caller's to set)."""
    return RoundConfig(
        round_index=round_index,
        steps_per_match=int(k.steps_per_match),
        policy_types=dict(k.policy_types),
        policy_kwargs={pid: dict(kwargs) for pid, kwargs in policy_kwargs.items()},
        policy_ranks=plan.policy_ranks(),
        plot_colors=dict(k.plot_colors),
        log_comms_dir=log_comms_dir,
        seed=int(k.seed),
        render=bool(k.render),
        progress_interval=float(k.progress_interval),
        silence_timeout=float(k.silence_timeout),
        data_checks=k.data_checks,
        env_spaces=env_spaces,
        devices=devices,
        spin_ranks=spin_ranks,
        games_per_copy=k.games_per_copy,
        realtime_fps=None if k.realtime_fps is None else float(k.realtime_fps),
        env_restarts=int(k.env_restarts),
        report_games=bool(k.report_games),
    )
