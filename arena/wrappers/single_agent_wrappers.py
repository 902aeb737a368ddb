"""Turn a single-agent Gymnasium env into a one-entity arena env."""

from __future__ import annotations

from typing import Any

import gymnasium as gym


class SingleAgentWrapper:
    """A Gymnasium env seen through the arena's list interface, with one entity."""

    def __init__(self, env: gym.Env):
        self.env = env
        self.observation_spaces = [env.observation_space]
        self.action_spaces = [env.action_space]

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[list, list[dict]]:
        """Reset the wrapped env; one observation and one info in lists."""
        obs, info = self.env.reset(seed=seed, options=options)
        return [obs], [info]

    def step(self, actions: list) -> tuple[list, list, list, list, list]:
        """Step the wrapped env with ``actions[0]``."""
        obs, reward, terminated, truncated, info = self.env.step(actions[0])
        return [obs], [reward], [terminated], [truncated], [info]

    def render(self) -> Any:
        """Render the wrapped env."""
        return self.env.render()

    def close(self) -> None:
        """Close the wrapped env."""
        self.env.close()

    def __getattr__(self, name: str) -> Any:
        if name == "env":
            raise AttributeError(name)
        return getattr(self.env, name)


def single_agent_wrapper(env: gym.Env) -> SingleAgentWrapper:
    """Wrap a Gymnasium env so the arena can run it as a one-entity match."""
    return SingleAgentWrapper(env)


__all__ = ["SingleAgentWrapper", "single_agent_wrapper"]
