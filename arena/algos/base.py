"""What the arena expects of a policy class."""

from __future__ import annotations

import inspect
from typing import Any, ClassVar


class Policy:
    """Base class for policies: ``Policy(env, policy_comm, **kwargs).run(num_steps, data_dir, policy_record)``.

    ``env`` is a ``gymnasium.Env`` when the worker controls one entity, or the arena's
    list interface when it controls a block. ``policy_comm`` joins every worker of
    this policy; rank 0 of it is the policy's root worker, the only one handed a
    ``policy_record`` and the one that should write files in ``data_dir``.
    The arena records finished episodes itself.

    This class is the whole contract: the arena reads every capability below from the
    policy's class (``contract_of``) and never probes for others. A subclass overrides
    what it has; a class that is no subclass (arena5's policies, a plain class with
    ``gymnasium_api = True``) gets these defaults.
    """

    # copies_per_env=K > 1: the worker's entity in all K copies comes as one gymnasium VectorEnv.
    supports_vector_env: ClassVar[bool] = False
    # A torch learner: the arena gives each of its workers a GPU of its host, in turn (option ``device``).
    uses_device: ClassVar[bool] = False
    # Takes the option ``evaluation`` (arena.evaluation.schedule) and scores itself while it trains;
    # ARENA_EVALUATION then sets that option where policy_kwargs leave it out.
    evaluates_while_training: ClassVar[bool] = False
    # Trains and keeps a checkpoint: a tournament plays it only through its frozen form ("<type>-eval").
    learns: ClassVar[bool] = False
    # Plays a saved checkpoint without learning (the "-eval" types).
    plays_frozen: ClassVar[bool] = False
    # Which of arena5's keyword names it takes as aliases (arena.compat): "ppo1", "offpolicy" or None.
    arena5_keywords: ClassVar[str | None] = None

    def __init__(self, env: Any, policy_comm: Any, **kwargs: Any):
        self.env = env
        self.comm = policy_comm

    def run(self, num_steps: int, data_dir: str, policy_record: Any = None) -> None:
        """Take exactly ``num_steps`` environment steps (resetting as episodes end)."""
        raise NotImplementedError

    def save(self) -> None:
        """Save what a resumed run needs; the arena calls it on the root worker when the job is stopped early."""

    def finish_evaluations(self) -> None:
        """Finish evaluations still under way; the arena calls it after the worker has left its match."""

    @classmethod
    def saved_steps(cls, data_dir: str) -> int | None:
        """The policy's step count in its checkpoint in ``data_dir``, or None when it keeps none.

        After a run that was cut short, the arena rewinds the policy's records to this
        step, so the resumed run neither repeats nor skips episodes.
        """
        return None

    @classmethod
    def check_kwargs(cls, kwargs: dict) -> None:
        """TypeError for keyword arguments the class refuses beyond its signature (asked on rank 0 at kickoff)."""

    @classmethod
    def check_spaces(cls, obs_space: Any, act_space: Any) -> None:
        """ValueError or TypeError for an entity's spaces the class cannot play (asked at kickoff)."""

    @classmethod
    def memory_needed(cls, obs_space: Any, act_space: Any, kwargs: dict) -> int:
        """Bytes the whole policy keeps (its replay), split evenly over its workers; checked against each host."""
        return 0


def contract_of(policy_class: Any) -> type[Policy]:
    """The class whose declarations the arena reads: the policy's own for a ``Policy`` subclass, else ``Policy``."""
    return policy_class if isinstance(policy_class, type) and issubclass(policy_class, Policy) else Policy


def is_multi_entity(env: Any) -> bool:
    """True when ``env`` uses the list interface (the worker controls a block of entities)."""
    return hasattr(env, "action_spaces")


def episode_over(terminated: Any, truncated: Any) -> bool:
    """True when the episode has ended, for one entity or for every entity of a block."""
    if isinstance(terminated, (list, tuple)):
        return all(t or u for t, u in zip(terminated, truncated))
    return bool(terminated or truncated)


def accepted_options(policy_class: Any) -> set[str]:
    """Keyword arguments the ``__init__`` of the class or of any base names (a subclass may pass ``**options`` up).

    A policy factory (a function, as arena5's policies are) accepts what its signature names.
    """
    inits = [k.__init__ for k in getattr(policy_class, "__mro__", ()) if "__init__" in vars(k)] or [policy_class]
    return {
        name
        for init in inits
        for name, p in inspect.signature(init).parameters.items()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }
