"""Rank 0 builds each match's env once before a round starts, to learn its spaces and check them."""

from __future__ import annotations

from typing import Any

from arena.envs.api import probe_env
from arena.envs.batch import probe_batch, takes_num_copies
from arena.plan.roles import Plan
from arena.ranks.root.kickoff_checks import KickoffError, check_turn_based


class EnvProbe:
    """The spaces of every match's env, each distinct env (its kwargs and copies) built once per Stem."""

    def __init__(self, make_env: Any):
        self.make_env = make_env
        self.probed: dict[str, tuple[list, list, bool]] = {}  # env_kwargs -> spaces and turns

    def spaces(self, plan: Plan, realtime_fps: float | None = None) -> dict[int, tuple[list, list]]:
        """Build each match's env here (twice, once per distinct env_kwargs) and check it fits the match list."""
        if self.make_env is None:
            return {}
        found = {}
        for match in plan.matches:
            if match.match_index in found:
                continue
            copies = match.num_copies if takes_num_copies(self.make_env) else 1
            key = repr((sorted(match.env_kwargs.items()), copies))
            if key not in self.probed:
                try:
                    self.probed[key] = self._probe(match.env_kwargs, copies)
                except ValueError as err:
                    raise KickoffError(f"match {match.match_index}: {err}") from None
            obs_spaces, act_spaces, turns = self.probed[key]
            if turns:  # a turn-based game (arena.ranks.env.turns): one copy, one entity an entry, for now
                entries = [w.entities for w in match.workers]
                check_turn_based(match.match_index, entries, match.num_copies, realtime_fps)
            needed = max(e for w in match.workers for e in w.entities) + 1
            if len(obs_spaces) < needed:
                raise KickoffError(
                    f"match {match.match_index} needs entities up to index {needed - 1} but its env has only "
                    f"{len(obs_spaces)} entities; check match_list, entity_remaps and env_kwargs"
                )
            found[match.match_index] = (obs_spaces, act_spaces)
        return found

    def _probe(self, env_kwargs: dict, copies: int) -> tuple[list, list, bool]:
        """The spaces of a match's env and whether it moves in turns; a factory's own batch of K copies is
        built too, so that a multi-game batch whose games differ in their spaces fails here, naming them."""
        obs_spaces, act_spaces, turns = probe_env(self.make_env, env_kwargs)
        if copies > 1:
            batch_obs, batch_act = probe_batch(self.make_env, copies, env_kwargs)
            if (batch_obs, batch_act) != (list(obs_spaces), list(act_spaces)):
                raise ValueError(
                    f"make_env(num_copies={copies}) built copies with observation spaces {batch_obs} and action "
                    f"spaces {batch_act}, but one copy has {list(obs_spaces)} and {list(act_spaces)}"
                )
        return obs_spaces, act_spaces, turns
