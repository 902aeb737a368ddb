"""Environment wrappers."""

from arena.wrappers.pettingzoo import PettingZooEnv, pettingzoo_env
from arena.wrappers.single_agent_wrappers import SingleAgentWrapper, single_agent_wrapper

__all__ = ["PettingZooEnv", "SingleAgentWrapper", "pettingzoo_env", "single_agent_wrapper"]
