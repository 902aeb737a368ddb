"""Any ALE game as a one-entity arena env, in one call: ``make_atari_game("Pong")``."""

from __future__ import annotations

import re

from arena.wrappers.atari import make_atari, wrap_deepmind
from arena.wrappers.single_agent_wrappers import SingleAgentWrapper, single_agent_wrapper


def atari_env_id(game: str) -> str:
    """The Gymnasium id for a game name: ``"Pong"``, ``"space_invaders"`` -> ``"ALE/Pong-v5"``, ...

    Full ids (``"PongNoFrameskip-v4"``, ``"ALE/Pong-v5"``) pass through unchanged.
    """
    if "/" in game or "-v" in game:
        return game
    from ale_py.roms import get_all_rom_ids

    rom = re.sub(r"(?<!^)(?=[A-Z])", "_", game).lower()  # SpaceInvaders -> space_invaders
    if rom not in get_all_rom_ids():
        close = [r for r in get_all_rom_ids() if r.startswith(rom[:3])]
        hint = f"; did you mean one of {close}?" if close else ""
        raise ValueError(f"unknown Atari game {game!r}{hint} (ale_py.roms.get_all_rom_ids() lists them all)")
    return "ALE/" + "".join(part.capitalize() for part in rom.split("_")) + "-v5"


def make_atari_game(
    game: str = "Pong",
    *,
    sticky_actions: bool = False,
    full_action_space: bool = False,
    max_episode_steps: int | None = None,
    episode_life: bool = True,
    clip_rewards: bool = True,
    frame_stack: int = 4,
) -> SingleAgentWrapper:
    """``game`` with DeepMind preprocessing, wrapped for the arena (one entity).

    The defaults match ``wrap_deepmind(make_atari("PongNoFrameskip-v4"))``: no
    sticky actions, the minimal action set, life loss ends episodes and rewards
    are clipped for learning, while the records get whole games and true scores.
    Pass ``episode_life=False, clip_rewards=False`` to evaluate.
    """
    env = make_atari(
        atari_env_id(game),
        max_episode_steps=max_episode_steps,
        sticky_actions=sticky_actions,
        full_action_space=full_action_space,
    )
    env = wrap_deepmind(env, episode_life=episode_life, clip_rewards=clip_rewards, frame_stack=frame_stack)
    return single_agent_wrapper(env)


__all__ = ["atari_env_id", "make_atari_game"]
