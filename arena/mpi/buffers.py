"""The machinery of per-step buffers: space codecs and message layouts (``arena.mpi.protocol`` lays them out).

A message is one contiguous ``uint8`` buffer holding named, aligned numpy views, so
a step travels as a single buffer-based MPI message and nothing is pickled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from gymnasium import spaces

_ALIGN = 8


class SpaceCodec:
    """Reads and writes values of one Gymnasium space as a fixed-size numpy array."""

    def __init__(self, space: spaces.Space):
        self.space = space
        self.native = isinstance(space, (spaces.Box, spaces.Discrete, spaces.MultiDiscrete, spaces.MultiBinary))
        if isinstance(space, spaces.Box):
            self.dtype, self.shape = np.dtype(space.dtype), tuple(space.shape)
        elif isinstance(space, spaces.Discrete):
            self.dtype, self.shape = np.dtype(np.int64), ()
        elif isinstance(space, spaces.MultiDiscrete):
            self.dtype, self.shape = np.dtype(np.int64), tuple(space.shape)
        elif isinstance(space, spaces.MultiBinary):
            self.dtype, self.shape = np.dtype(np.int8), tuple(np.atleast_1d(space.n))
        else:
            try:
                self.dtype, self.shape = np.dtype(np.float64), (spaces.flatdim(space),)
            except (NotImplementedError, ValueError) as err:
                raise TypeError(
                    f"space {space} has no fixed size, so it cannot travel in a buffer; "
                    "use Box, Discrete, MultiDiscrete, MultiBinary, or Dict/Tuple of them"
                ) from err

    def encode(self, value, out: np.ndarray) -> None:
        """Write ``value`` into ``out`` (a view of this codec's dtype and shape)."""
        if self.native:
            out[...] = value
        else:
            out[...] = spaces.flatten(self.space, value)

    def decode(self, view: np.ndarray):
        """A fresh value of the space from ``view``; safe to keep after the buffer changes."""
        if not self.native:
            return spaces.unflatten(self.space, view.copy())
        if isinstance(self.space, spaces.Discrete):
            return int(view)
        return view.copy()

    def encode_batch(self, values, out: np.ndarray) -> None:
        """Write one value per copy into ``out`` (shape ``(K, *shape)``); a ready array is copied at once."""
        if self.native and isinstance(values, np.ndarray) and values.shape == out.shape:
            out[...] = values
        else:
            for k, value in enumerate(values):
                self.encode(value, out[k, ...])

    def decode_batch(self, view: np.ndarray):
        """A fresh batch from ``view``: an array ``(K, *shape)`` for native spaces, else a list of values."""
        if self.native:
            return view.copy()
        return [self.decode(v) for v in view]


@dataclass(frozen=True)
class Field:
    """A named array inside a message."""

    name: str
    dtype: np.dtype
    shape: tuple[int, ...]


class MessageLayout:
    """One preallocated ``uint8`` buffer with an aligned numpy view per field."""

    def __init__(self, fields: list[Field]):
        self.offsets = {}
        offset = 0
        for f in fields:
            offset = -(-offset // _ALIGN) * _ALIGN
            self.offsets[f.name] = (offset, f)
            offset += int(np.prod(f.shape, dtype=np.int64)) * np.dtype(f.dtype).itemsize
        self.nbytes = max(_ALIGN, -(-offset // _ALIGN) * _ALIGN)

    def allocate(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """A new zeroed buffer and its named views."""
        buf = np.zeros(self.nbytes, dtype=np.uint8)
        return buf, self.views(buf)

    def views(self, buf: np.ndarray) -> dict[str, np.ndarray]:
        """Named views into ``buf``."""
        out = {}
        for name, (offset, f) in self.offsets.items():
            size = int(np.prod(f.shape, dtype=np.int64)) * np.dtype(f.dtype).itemsize
            out[name] = buf[offset : offset + size].view(f.dtype).reshape(f.shape)
        return out
