"""Live progress of the ingestion tasks: requests answered against requests planned.

A task says how many requests it plans (as it plans them: the Analytics task plans its
single-day reports once the range reports have answered, so its total can grow) and each
one answered; whoever runs the task may listen (`ytlake run` draws one line per task:
done / planned, rate, ETA). With nobody listening, as on Databricks, a report costs a lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class TaskProgress:
    task_key: str
    started: float
    planned: int = 0
    done: int = 0

    def rate(self, now: float) -> float:
        """Answers per second since the task's first plan."""
        elapsed = now - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def eta(self, now: float) -> float | None:
        """Seconds until the planned requests are answered at the rate so far (None: unknown)."""
        rate = self.rate(now)
        if not rate or self.done >= self.planned:
            return None
        return (self.planned - self.done) / rate

    def line(self, now: float) -> str:
        """``1,234 / 5,000 requests · 41.2/s · ETA 1m33s``."""
        parts = [f"{self.done:,} / {self.planned:,} requests" if self.planned else f"{self.done:,} requests"]
        if self.rate(now):
            parts.append(f"{self.rate(now):,.1f}/s")
        eta = self.eta(now)
        if eta is not None:
            minutes, seconds = divmod(round(eta), 60)
            parts.append(f"ETA {minutes}m{seconds:02d}s" if minutes else f"ETA {seconds}s")
        return " · ".join(parts)


Listener = Callable[[TaskProgress], None]

_lock = threading.Lock()
_listener: Listener | None = None
_clock: Callable[[], float] = time.monotonic
_tasks: dict[str, TaskProgress] = {}


def listen(listener: Listener | None, clock: Callable[[], float] = time.monotonic) -> None:
    """Call ``listener`` on every report (None: stop listening); ``clock`` times the rates."""
    global _listener, _clock
    with _lock:
        _listener, _clock = listener, clock
        _tasks.clear()


def _report(task_key: str, planned: int = 0, done: int = 0) -> None:
    with _lock:
        if _listener is None:
            return
        task = _tasks.get(task_key)
        if task is None:
            task = _tasks[task_key] = TaskProgress(task_key, _clock())
        task.planned += planned
        task.done += done
        snapshot = TaskProgress(task.task_key, task.started, task.planned, task.done)
        listener = _listener
    listener(snapshot)


def plan(task_key: str, requests: int) -> None:
    """``requests`` more requests are planned for ``task_key``."""
    if requests:
        _report(task_key, planned=requests)


def advance(task_key: str, requests: int = 1) -> None:
    """``requests`` more were answered (or finally refused)."""
    _report(task_key, done=requests)
