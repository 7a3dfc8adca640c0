"""What the orchestrator tells a task, beside its parameters: the job run's task states (the
local runner's, or the Jobs API's) and, in local demo runs, the demo channels' credentials.

No state passes between tasks through here: tasks hand state to each other through the
lakehouse (``ytlake.tasks.run_state``), never ``dbutils.jobs.taskValues``.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ytlake.channels import ChannelAccess


def on_databricks() -> bool:
    return "DATABRICKS_RUNTIME_VERSION" in os.environ


def databricks_dbutils() -> Any:
    """The job's own ``dbutils`` (only on Databricks; used for secrets)."""
    from databricks.sdk.runtime import dbutils

    return dbutils


@dataclass
class TaskState:
    task_key: str
    state: str  # SUCCESS, FAILED, UPSTREAM_FAILED, SKIPPED, EXCLUDED, RUNNING, PENDING
    seconds: float | None = None
    error: str | None = None
    cpu_seconds: float | None = None  # local runs: this process's CPU during the task
    peak_rss_mib: float | None = None  # local runs, Linux: this process's peak memory in the task


@dataclass
class JobContext:
    """The local runner's view of the job run (on Databricks: empty, the Jobs API answers)."""

    task_states: Callable[[], list[TaskState]] | None = None
    channels: list[ChannelAccess] | None = None  # explicit (demo) channels and their tokens

    def states(self) -> list[TaskState]:
        return list(self.task_states()) if self.task_states else []


_current: contextvars.ContextVar[JobContext | None] = contextvars.ContextVar("ytlake_job", default=None)


@contextmanager
def job_context(ctx: JobContext) -> Iterator[JobContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def current() -> JobContext:
    """The local runner's context, or an empty one (a task run by Databricks, or by hand)."""
    return _current.get() or JobContext()
