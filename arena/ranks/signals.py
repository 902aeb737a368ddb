"""Ctrl+C and SIGTERM: the first asks the job to stop after saving; the second stops it at once.

``mpiexec`` (MPICH's Hydra and Open MPI alike) forwards both signals to every rank.
Each rank only notes the first one. The root worker of each policy then leaves its
run at the next step, saves its checkpoint and records, and tells rank 0, which
ends the job once every policy is saved. Other ranks carry on meanwhile, so no
policy root waits on a peer that has already left.
"""

from __future__ import annotations

import signal
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequested(Exception):
    """Raised on a policy's root worker when the job was asked to stop; its run saves and ends."""


class StopFlag:
    """Notes the first stop signal; the second raises KeyboardInterrupt, which ends the job at once.

    While ``defer`` is False (rank 0 outside a round, where nothing is left to save)
    the first signal raises at once too.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self.defer = True

    @property
    def requested(self) -> bool:
        """True once a stop signal has arrived."""
        return self.signum is not None

    def exit_code(self) -> int:
        """The shell's code for death by this signal (130 for Ctrl+C, 143 for SIGTERM)."""
        return 128 + int(self.signum or signal.SIGINT)

    def install(self) -> StopFlag:
        """Handle SIGINT and SIGTERM in this process; off the main thread (where Python forbids it), do nothing."""
        try:
            for sig in STOP_SIGNALS:
                signal.signal(sig, self._handle)
        except ValueError:
            pass  # the signals keep their default meaning
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested or not self.defer:
            raise KeyboardInterrupt
        self.signum = signum
