"""Any ALE game as a one-entity arena env, in one call: ``make_atari_game("Pong")``."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from arena.core.env_batch import BatchStep, Ended
from arena.wrappers.atari import make_atari, wrap_deepmind
from arena.wrappers.single_agent_wrappers import SingleAgentWrapper, single_agent_wrapper


def rom_id(game: str) -> str:
    """ale-py's ROM name for a game: ``"SpaceInvaders"``, ``"space_invaders"``, ``"ALE/SpaceInvaders-v5"``,
    ``"SpaceInvadersNoFrameskip-v4"`` -> ``"space_invaders"``."""
    from ale_py.roms import get_all_rom_ids

    name = game.split("/")[-1].split("-v")[0].removesuffix("NoFrameskip").removesuffix("Deterministic")
    rom = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()  # SpaceInvaders -> space_invaders
    if rom not in get_all_rom_ids():
        close = [r for r in get_all_rom_ids() if r.startswith(rom[:3])]
        hint = f"; did you mean one of {close}?" if close else ""
        raise ValueError(f"unknown Atari game {game!r}{hint} (ale_py.roms.get_all_rom_ids() lists them all)")
    return rom


def atari_env_id(game: str) -> str:
    """The Gymnasium id for a game name: ``"Pong"``, ``"space_invaders"`` -> ``"ALE/Pong-v5"``, ...

    Full ids (``"PongNoFrameskip-v4"``, ``"ALE/Pong-v5"``) pass through unchanged.
    """
    if "/" in game or "-v" in game:
        return game
    return "ALE/" + "".join(part.capitalize() for part in rom_id(game).split("_")) + "-v5"


def make_atari_game(
    game: str = "Pong",
    *,
    num_copies: int = 1,
    sticky_actions: bool = False,
    full_action_space: bool = False,
    max_episode_steps: int | None = None,
    episode_life: bool = True,
    clip_rewards: bool = True,
    frame_stack: int = 4,
    num_threads: int = 1,
) -> SingleAgentWrapper | AtariBatch:
    """``game`` with DeepMind preprocessing, wrapped for the arena (one entity).

    The defaults match ``wrap_deepmind(make_atari("PongNoFrameskip-v4"))``: no
    sticky actions, the minimal action set, life loss ends episodes and rewards
    are clipped for learning, while the records get whole games and true scores.
    Pass ``episode_life=False, clip_rewards=False`` to evaluate.

    With ``num_copies=K > 1`` (the arena passes ``kickoff``'s ``copies_per_env`` when
    ``make_env`` takes ``num_copies``) it returns K copies in ale-py's C++
    ``AtariVectorEnv`` with ``num_threads`` threads, preprocessed the same way.
    """
    if num_copies > 1:
        options = AtariOptions(sticky_actions, full_action_space, max_episode_steps, episode_life, clip_rewards)
        return AtariBatch(game, num_copies, options, frame_stack, num_threads)
    env = make_atari(
        atari_env_id(game),
        max_episode_steps=max_episode_steps,
        sticky_actions=sticky_actions,
        full_action_space=full_action_space,
    )
    env = wrap_deepmind(env, episode_life=episode_life, clip_rewards=clip_rewards, frame_stack=frame_stack)
    return single_agent_wrapper(env)


@dataclass(frozen=True)
class AtariOptions:
    """The options of ``make_atari_game`` that an ``AtariBatch`` applies itself."""

    sticky_actions: bool = False
    full_action_space: bool = False
    max_episode_steps: int | None = None
    episode_life: bool = True
    clip_rewards: bool = True


class AtariBatch:
    """K copies of an ALE game in ale-py's ``AtariVectorEnv``: an arena env batch (see ``arena.core.env_batch``).

    The emulator's own preprocessing matches ``wrap_deepmind`` (no-op starts, FIRE,
    skip 4 with max-pooling, 84x84 grayscale, stacks of ``frame_stack``). Life loss
    and reward clipping, for learning only, are applied here, so each game's end
    carries its true score in ``info["episode"]`` and every episode end
    ``info["game_over"]``, as with the wrappers.
    """

    def __init__(
        self,
        game: str,
        num_copies: int,
        options: AtariOptions = AtariOptions(),
        frame_stack: int = 4,
        num_threads: int = 1,
    ):
        from ale_py.vector_env import AtariVectorEnv

        steps = options.max_episode_steps
        self.env = AtariVectorEnv(
            rom_id(game),
            num_copies,
            num_threads=num_threads,
            repeat_action_probability=0.25 if options.sticky_actions else 0.0,
            full_action_space=options.full_action_space,
            max_num_frames_per_episode=4 * steps if steps else 108_000,
            stack_num=frame_stack,
            autoreset_mode="SameStep",
            episodic_life=False,  # ale-py's would restart the game at a lost life
            reward_clipping=False,
        )
        self.num_copies, self.episode_life, self.clip_rewards = num_copies, options.episode_life, options.clip_rewards
        self.observation_spaces = [self.env.single_observation_space]
        self.action_spaces = [self.env.single_action_space]
        self.lives = np.zeros(num_copies, np.int64)
        self.scores, self.lengths = np.zeros(num_copies), np.zeros(num_copies, np.int64)
        self.last_obs: np.ndarray | None = None

    def reset(self, seeds: list[int]) -> tuple[list, list[list[dict]]]:
        """Start every copy, each with its own seed."""
        obs, info = self.env.reset(seed=np.asarray(seeds, dtype=np.int64))
        self.lives[:] = info["lives"]
        self.scores[:], self.lengths[:] = 0.0, 0
        self.last_obs = obs
        return [obs], [[{"lives": int(lives)}] for lives in info["lives"]]

    def step(self, actions: list) -> BatchStep:
        """Step all copies; games that end restart at once, lives lost only end the learning episode."""
        obs, reward, terminated, truncated, info = self.env.step(np.asarray(actions[0], dtype=np.int64))
        self.scores += reward
        self.lengths += 1
        game_over = terminated | truncated
        life_lost = self.episode_life & ~game_over & (info["lives"] < self.lives) & (info["lives"] > 0)
        self.lives[:] = info["lives"]
        ended = {}
        for k in np.flatnonzero(game_over | life_lost):
            if game_over[k]:
                stats = {"episode": {"r": float(self.scores[k]), "l": int(self.lengths[k])}, "game_over": True}
                ended[k] = Ended([info["final_obs"][k]], [stats], [{"lives": int(info["lives"][k])}])
                self.scores[k], self.lengths[k] = 0.0, 0
            else:
                ended[k] = Ended([obs[k]], [{"game_over": False}], [{"lives": int(info["lives"][k])}])
        self.last_obs = obs
        rewards = np.sign(reward) if self.clip_rewards else reward.astype(np.float64)
        learning_end = terminated | life_lost
        return BatchStep([obs], rewards[:, None], learning_end[:, None], truncated[:, None], ended)

    def render(self, copy: int) -> np.ndarray | None:
        """The copy's latest 84x84 frame, as RGB (the vector env keeps no full-size screen)."""
        if self.last_obs is None:
            return None
        frame = self.last_obs[copy][-1] if self.last_obs.ndim == 4 else self.last_obs[copy]
        return np.repeat(frame[:, :, None], 3, axis=2)

    def close(self) -> None:
        """Stop the emulator threads."""
        self.env.close()


__all__ = ["AtariBatch", "AtariOptions", "atari_env_id", "make_atari_game", "rom_id"]
