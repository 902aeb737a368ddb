"""What every rank needs to know about a round, sent by the root at kickoff."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_SILENCE_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class RoundConfig:
    """The settings of one round; ranks receive it with their role."""

    round_index: int
    steps_per_match: int
    policy_types: dict
    policy_kwargs: dict
    policy_ranks: dict  # policy id -> world ranks of its workers
    plot_colors: dict
    log_comms_dir: str
    seed: int
    render: bool
    progress_interval: float
    step_messages: str = "buffers"  # or "pickle": the slow reference protocol, for benchmarks
    # A rank that waits longer than this on its match partner ends the job, naming the partner.
    silence_timeout: float = DEFAULT_SILENCE_TIMEOUT_S
    data_checks: str = "raise"  # or "warn" / "off": see arena.core.checks
    env_spaces: dict = field(default_factory=dict)  # match index -> (obs spaces, act spaces) the root found
    devices: dict = field(default_factory=dict)  # learner rank -> torch device ("cuda:1", "cpu")
    spin_ranks: tuple = ()  # ranks with a core of their own: their per-step waits never sleep
    waits: str = "auto"  # ARENA_WAITS as rank 0 read it: "auto", "spin" or "sleep"

    def worker_timeout(self) -> float:
        """How long a worker waits on its environment rank: longer than the environment waits on a worker,
        so that when a worker is silent its environment rank, which knows which one, reports first."""
        return self.silence_timeout + min(self.silence_timeout, 10.0)
