"""The frames between a root worker and its evaluation process: an 8-byte little-endian length, then a pickle."""

from __future__ import annotations

import pickle
import struct
from typing import IO, Any

HEADER = struct.Struct("<Q")


def write_frame(stream: IO[bytes], message: Any) -> None:
    """Send one message: its pickle's length, then the pickle."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(HEADER.pack(len(data)) + data)
    stream.flush()


def read_frame(stream: IO[bytes]) -> Any:
    """Receive one message; EOFError when the other side has closed the pipe."""
    header = _read_exactly(stream, HEADER.size)
    return pickle.loads(_read_exactly(stream, HEADER.unpack(header)[0]))


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    """``size`` bytes from ``stream``, or EOFError."""
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError("the pipe closed")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
