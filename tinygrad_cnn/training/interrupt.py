"""Ctrl-C during training: finish the current step, then stop cleanly.

Inside `StopOnInterrupt()` the first SIGINT only sets a flag that the loop reads between two
steps, so the model, the optimizer and the files on disk are never caught half-updated; the
run then writes its interrupt checkpoint and exits with 130. A second Ctrl-C raises
KeyboardInterrupt at once (files are still only replaced atomically).
"""
from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any


class StopOnInterrupt:
    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None
        self._installed = False

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __call__(self) -> bool:
        return self.requested

    def __enter__(self) -> StopOnInterrupt:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handler)
            self._installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
            self._installed = False
