"""arena5's import path for the Atari wrappers (``from arena.wrappers.atari import make_atari``).

A thin re-export of ``arena.wrappers.deepmind``, where DeepMind's preprocessing lives.
"""

from arena.wrappers.deepmind import (
    ClipRewardSign,
    EpisodicLife,
    FireReset,
    LegacySeed,
    MaxAndSkipFrames,
    NoopReset,
    ScaledFloatFrame,
    WarpFrame,
    full_action_indices,
    make_atari,
    wrap_deepmind,
)

__all__ = [
    "ClipRewardSign",
    "EpisodicLife",
    "FireReset",
    "LegacySeed",
    "MaxAndSkipFrames",
    "NoopReset",
    "ScaledFloatFrame",
    "WarpFrame",
    "full_action_indices",
    "make_atari",
    "wrap_deepmind",
]
