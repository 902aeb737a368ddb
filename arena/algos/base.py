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
    """

    # True where the class takes the option ``evaluation`` (arena.core.evaluator) and scores itself
    # while it trains; ARENA_EVALUATION then sets that option where policy_kwargs leave it out.
    evaluates_while_training: ClassVar[bool] = False

    def __init__(self, env: Any, policy_comm: Any, **kwargs: Any):
        self.env = env
        self.comm = policy_comm

    def run(self, num_steps: int, data_dir: str, policy_record: Any = None) -> None:
        """Take exactly ``num_steps`` environment steps (resetting as episodes end)."""
        raise NotImplementedError

    def save(self) -> None:
        """Save what a resumed run needs; the arena calls it on the root worker when the job is stopped early."""

    @classmethod
    def saved_steps(cls, data_dir: str) -> int | None:
        """The policy's step count in its checkpoint in ``data_dir``, or None when it keeps none.

        After a run that was cut short, the arena rewinds the policy's records to this
        step, so the resumed run neither repeats nor skips episodes.
        """
        return None


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
