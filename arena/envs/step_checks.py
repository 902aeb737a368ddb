"""Run-time checks of the data crossing ranks: observations, actions and rewards.

A bad value caught where it is made names the env, the entity and the step; caught
three ranks away it shows up as a shape error inside a network. The checks cost a
few numpy comparisons per step. ``kickoff(data_checks="warn")`` demotes them to one
warning per kind of problem, and ``"off"`` skips them.
"""

from __future__ import annotations

import sys

import numpy as np
from gymnasium import spaces

MODES = ("raise", "warn", "off")


class DataError(ValueError):
    """A value that does not fit its space, or a reward that is not a finite number."""


def _shape_dtype_problem(batch: np.ndarray, space: spaces.Space, what: str) -> str | None:
    shape = tuple(space.shape)
    if batch.shape[1:] != shape:
        return f"{what} has shape {batch.shape[1:]} but its space {space} has shape {shape}"
    if batch.dtype.kind not in "biuf" or not np.can_cast(batch.dtype, space.dtype, "same_kind"):
        return f"{what} has dtype {batch.dtype} but its space {space} has dtype {space.dtype}"
    return None


def _integer_range_problem(batch: np.ndarray, low: np.ndarray, high: np.ndarray, space, what: str) -> str | None:
    if batch.dtype.kind not in "biu" and not (batch.dtype.kind == "f" and np.all(batch == np.round(batch))):
        return f"{what} {batch.tolist()} is not an integer, as {space} needs"
    outside = (batch < low) | (batch > high)
    if np.any(outside):
        return f"{what} {batch[np.any(outside.reshape(len(batch), -1), axis=1)][0].tolist()} is outside {space}"
    return None


def value_problem(values, space: spaces.Space, what: str, check_bounds: bool) -> str | None:
    """Why ``values`` (one per copy) do not fit ``space``, or None; Box bounds only with ``check_bounds``."""
    if isinstance(space, spaces.Discrete):
        batch = np.asarray(values)
        if batch.ndim != 1:
            return f"{what} has shape {batch.shape[1:]} but {space} takes one integer"
        return _integer_range_problem(batch, space.start, space.start + space.n - 1, space, what)
    if isinstance(space, (spaces.Box, spaces.MultiDiscrete, spaces.MultiBinary)):
        batch = np.asarray(values)
        problem = _shape_dtype_problem(batch, space, what)
        if problem:
            return problem
        if isinstance(space, spaces.Box):
            # Finite always, bounds only if asked: a NaN that passes here trains NaN weights.
            if batch.dtype.kind == "f" and not np.isfinite(batch).all():
                return f"{what} holds NaN or infinity"
            if check_bounds and (np.any(batch < space.low) or np.any(batch > space.high)):
                return f"{what} is outside the bounds of {space}"
            return None
        if isinstance(space, spaces.MultiBinary):
            return _integer_range_problem(batch, 0, 1, space, what)
        return _integer_range_problem(batch, space.start, space.start + space.nvec - 1, space, what)
    for value in values:
        if not space.contains(value):
            return f"{what} {value!r} is not inside {space}"
    return None


def reward_problem(rewards: np.ndarray) -> tuple[int, int, str] | None:
    """``(copy, entity, description)`` of the first reward that is not a finite number, or None."""
    bad = ~np.isfinite(rewards)
    if not bad.any():
        return None
    k, e = (int(i) for i in np.argwhere(bad)[0])
    return k, e, f"reward {rewards[k, e]} is not a finite number"


class DataChecks:
    """Checks one rank's values and reports problems by raising, warning once per kind, or not at all."""

    def __init__(self, mode: str, where: str):
        if mode not in MODES:
            raise ValueError(f"data_checks must be one of {MODES}, got {mode!r}")
        self.mode, self.where = mode, where
        self.warned: set[str] = set()
        self.action_bounds = True  # False: Box actions may leave their bounds (arena5 policies sent them so)

    @property
    def on(self) -> bool:
        """False when checks are off."""
        return self.mode != "off"

    def report(self, step: int, entity: int, problem: str, kind: str) -> None:
        """Raise (or warn about) ``problem`` with where and when it happened."""
        text = f"{self.where}, entity {entity}, step {step}: {problem}"
        if self.mode == "raise":
            raise DataError(text + ' (kickoff(data_checks="warn") turns this into a warning)')
        if (kind, entity) not in self.warned:
            self.warned.add((kind, entity))
            print(
                f"[arena] warning: {text} (further {kind} problems of entity {entity} are not shown)", file=sys.stderr
            )

    def observations(self, step: int, obs: list, obs_spaces: list) -> None:
        """Check every entity's observations (one per copy)."""
        for e, (values, space) in enumerate(zip(obs, obs_spaces)):
            problem = value_problem(values, space, "observation", check_bounds=False)
            if problem:
                self.report(step, e, problem, "observation")

    def actions(self, step: int, actions: list, act_spaces: list, entities: list[int]) -> None:
        """Check a worker's actions for its entities (one per copy)."""
        for values, space, e in zip(actions, act_spaces, entities):
            problem = value_problem(values, space, "action", check_bounds=self.action_bounds)
            if problem:
                self.report(step, e, problem, "action")

    def rewards(self, step: int, rewards: np.ndarray) -> None:
        """Check the rewards of every copy and entity."""
        found = reward_problem(rewards)
        if found:
            k, e, problem = found
            self.report(step, e, problem + (f" (copy {k})" if rewards.shape[0] > 1 else ""), "reward")
