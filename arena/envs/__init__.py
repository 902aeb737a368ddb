"""Environments that ship with the arena."""

from arena.envs.touchdown import Touchdown

__all__ = ["Touchdown"]
