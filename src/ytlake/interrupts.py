"""SIGINT and SIGTERM as one clean stop: an exception in the main thread, never in the middle
of a write.

``ytlake run`` installs :func:`handling_signals`: either signal raises :class:`Interrupted`
(a ``KeyboardInterrupt``) in the main thread, and sets :data:`STOP` so that worker threads
waiting between retries give up at once. Inside :func:`shielded` (a Bronze batch being
appended, the run log being written) the signal is held back and raised when the block ends,
so a batch lands whole or not at all and bookkeeping is never cut in half.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

#: Set when a stop was asked for: retry waits end early, no new request starts.
STOP = threading.Event()
_state = threading.local()
_pending: list[int] = []
_received: list[int] = []


class Interrupted(KeyboardInterrupt):
    """The run was asked to stop (SIGINT or SIGTERM)."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.signal_name = signal.Signals(signum).name
        super().__init__(self.signal_name)


def _shield_depth() -> int:
    return getattr(_state, "depth", 0)


def _handler(signum: int, frame: FrameType | None) -> None:
    STOP.set()
    _received.append(signum)
    if _shield_depth() > 0:
        _pending.append(signum)
        return
    raise Interrupted(signum)


def reraise_if_stopped(err: BaseException) -> None:
    """Raise :class:`Interrupted` when ``err`` is how a stop reached us in disguise: DuckDB, for
    one, turns the exception our handler raised mid-query into its own ``InterruptException``."""
    if STOP.is_set() and _received:
        raise Interrupted(_received[-1]) from err


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Hold SIGINT/SIGTERM back while the block runs (in the main thread); raise after."""
    _state.depth = _shield_depth() + 1
    try:
        yield
    finally:
        _state.depth -= 1
        if _state.depth == 0 and _pending and threading.current_thread() is threading.main_thread():
            signum = _pending.pop()
            _pending.clear()
            raise Interrupted(signum)


@contextlib.contextmanager
def handling_signals() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into :class:`Interrupted` for the block (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    STOP.clear()
    _received.clear()
    previous = {s: signal.signal(s, _handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
        _pending.clear()
