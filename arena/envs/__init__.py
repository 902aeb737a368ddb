"""Environments that ship with the arena."""

from arena.envs.navigation import Cover
from arena.envs.touchdown import Touchdown

__all__ = ["Cover", "Touchdown"]
