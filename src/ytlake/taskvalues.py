"""Values handed from one job task to the next, and the job run's task states.

Two implementations of one interface: Databricks (``dbutils.jobs.taskValues`` and the Jobs
API) and local (in-process, filled by the local job runner).
"""

from __future__ import annotations

import contextvars
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from ytlake.youtube.oauth import ClientCredentials


def on_databricks() -> bool:
    return "DATABRICKS_RUNTIME_VERSION" in os.environ


def databricks_dbutils() -> Any:
    """The job's own ``dbutils`` (only on Databricks)."""
    from databricks.sdk.runtime import dbutils

    return dbutils


class TaskValues(Protocol):
    def set(self, key: str, value: Any) -> None: ...
    def get(self, task_key: str, key: str, default: Any = None) -> Any: ...


@dataclass
class TaskState:
    task_key: str
    state: str  # SUCCESS, FAILED, UPSTREAM_FAILED, SKIPPED, RUNNING, PENDING
    seconds: float | None = None
    error: str | None = None
    cpu_seconds: float | None = None  # local runs: this process's CPU during the task
    peak_rss_mib: float | None = None  # local runs, Linux: this process's peak memory in the task


class LocalTaskValues:
    """The local runner's store: JSON-serialisable values keyed by (task, key)."""

    def __init__(self) -> None:
        self._values: dict[tuple[str, str], str] = {}
        self.current_task = ""

    def set(self, key: str, value: Any) -> None:
        if not self.current_task:
            raise RuntimeError("task values can only be set inside a task")
        self._values[(self.current_task, key)] = json.dumps(value)

    def get(self, task_key: str, key: str, default: Any = None) -> Any:
        raw = self._values.get((task_key, key))
        return default if raw is None else json.loads(raw)


class DatabricksTaskValues:
    """``dbutils.jobs.taskValues`` (available in a Databricks job task)."""

    def __init__(self, dbutils: Any) -> None:
        self.dbutils = dbutils

    def set(self, key: str, value: Any) -> None:
        self.dbutils.jobs.taskValues.set(key=key, value=value)

    def get(self, task_key: str, key: str, default: Any = None) -> Any:
        return self.dbutils.jobs.taskValues.get(
            taskKey=task_key, key=key, default=default, debugValue=default
        )


@dataclass
class JobContext:
    """What a task can know about the job run it belongs to."""

    task_values: TaskValues
    task_states: Any = None  # callable -> list[TaskState]; None when unknown
    credentials: ClientCredentials | None = None  # explicit (demo) credentials
    extra: dict[str, Any] = field(default_factory=dict)

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
    """The current job context: the local runner's, Databricks', or a standalone one."""
    ctx = _current.get()
    if ctx is not None:
        return ctx
    if on_databricks():
        ctx = JobContext(DatabricksTaskValues(databricks_dbutils()))
    else:
        ctx = JobContext(LocalTaskValues())
    _current.set(ctx)
    return ctx
