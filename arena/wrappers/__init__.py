"""Environment wrappers."""

from arena.wrappers.single_agent_wrappers import SingleAgentWrapper, single_agent_wrapper

__all__ = ["SingleAgentWrapper", "single_agent_wrapper"]
