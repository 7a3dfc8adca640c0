"""What one task of a job run hands the next, kept in the lakehouse (never task values).

Databricks documents ``dbutils.jobs.taskValues`` for Python notebooks only, so no task uses
it. Every task gets the job's run id (``{{job.run_id}}``) and the job parameters as named
parameters and reads the rest from the lakehouse:

- the run itself: its row in ``bronze.run_context_log`` (opened by ``init_run_context``:
  snapshot date, the pipeline's Pacific "today", source, parameters);
- what earlier tasks of the run produced: ``bronze.run_task_log``, one row per completed
  task (its outputs as JSON: rows, requests, partial reasons, warnings ...), and Bronze
  itself (the channel a run listed).

So a task run alone works as it does in a whole run: a Databricks repair run (same run id)
reopens the run's row, and a run without ``init_run_context`` (``bundle run --only``, or a
local ``run_local(only=...)``) has its row opened by its first task. Same code locally and on
Databricks.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa

from ytlake.settings import pacific_today
from ytlake.tasks.common import is_local
from ytlake.tasks.run_log import RUN_LOG, RUN_LOG_SCHEMA, mark_aborted, sql_string

log = logging.getLogger("ytlake.tasks")

TASK_LOG = "bronze.run_task_log"
TASK_LOG_SCHEMA = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("task_key", pa.string(), nullable=False),
        pa.field("task_run_id", pa.string()),
        pa.field("started_ts_utc", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("finished_ts_utc", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("outputs", pa.string(), nullable=False),
    ]
)


@dataclass
class RunInfo:
    """The run a task belongs to, as its row in the run log records it."""

    run_id: str
    snapshot_date: date
    today: date
    source_system: str
    params: dict[str, Any] = field(default_factory=dict)


def run_row(engine: Any, run_id: str) -> dict[str, Any] | None:
    if not engine.table_exists(RUN_LOG):
        return None
    rows = engine.query(
        f"SELECT * FROM {engine.qualify(RUN_LOG)} WHERE run_id = {sql_string(run_id)}"
    ).to_pylist()
    return rows[0] if rows else None


def _info(row: dict[str, Any]) -> RunInfo:
    params = json.loads(row.get("params") or "{}")
    snapshot = row["snapshot_date"]
    return RunInfo(
        run_id=row["run_id"],
        snapshot_date=snapshot,
        today=date.fromisoformat(params["today"]) if params.get("today") else snapshot,
        source_system=row.get("source_system") or "google",
        params=params,
    )


def open_run(
    engine: Any,
    run_id: str,
    *,
    today: date | None = None,
    source_system: str = "google",
    job_id: str | None = None,
    params: dict[str, Any] | None = None,
    opened_by: str = "init_run_context",
) -> RunInfo:
    """Write the run's RUNNING row (replacing any row of the same run id, in one transaction)
    after closing other runs left RUNNING as ABORTED (one run at a time holds a lakehouse)."""
    for stale in mark_aborted(
        engine,
        f"run_id <> {sql_string(run_id)}",
        f"found RUNNING by run {run_id}: its process had ended without closing the run",
    ):
        log.warning("%s: run %s was left RUNNING; marked ABORTED", opened_by, stale)
    today = today or pacific_today()
    params = {**(params or {}), "today": today.isoformat()}
    if opened_by != "init_run_context":
        params["opened_by"] = opened_by
    row = {
        "run_id": run_id,
        "job_id": job_id,
        "job_run_id": run_id,
        "snapshot_date": today,
        "source_system": source_system,
        "started_ts_utc": datetime.now(UTC),
        "run_status": "RUNNING",
        "finished_ts_utc": None,
        "finalized_ts_utc": None,
        "finalize_task_run_id": None,
        "params": json.dumps(params, sort_keys=True, default=str),
        "summary": None,
    }
    engine.replace_where(
        RUN_LOG, f"run_id = {sql_string(run_id)}", pa.Table.from_pylist([row], schema=RUN_LOG_SCHEMA)
    )
    return _info(row)


def current_run(engine: Any, args: Any, task_key: str) -> RunInfo:
    """The run this task belongs to (``--job-run-id``), opened or reopened when needed:

    - RUNNING: the normal case;
    - closed (FAILED, PARTIAL, SUCCEEDED, ABORTED): a repair run of this job run reopens it,
      and its ``finalize_run_log`` closes it again;
    - absent: ``init_run_context`` did not run in this job run; this task opens it.
    """
    run_id = str(args.job_run_id or "")
    if not run_id:
        raise RuntimeError(f"{task_key}: --job-run-id is required (on Databricks: {{{{job.run_id}}}})")
    row = run_row(engine, run_id)
    if row is None:
        log.warning("%s: run %s was not opened by init_run_context; opening it", task_key, run_id)
        engine.bootstrap(tables_only=not is_local(engine))
        return open_run(
            engine,
            run_id,
            today=getattr(args, "today", None),
            source_system="emulator" if getattr(args, "api_root", None) else "google",
            opened_by=task_key,
        )
    if row["run_status"] != "RUNNING":
        earlier = json.loads(row.get("summary") or "{}")
        reopened = earlier.pop("reopened", [])
        attempts = earlier.pop("attempts", [])
        summary = {
            "reopened": [
                *reopened,
                {"by": task_key, "was": row["run_status"], "at": datetime.now(UTC).isoformat()},
            ],
            # what the earlier attempt recorded (its failed tasks and errors) stays on record
            "attempts": [*attempts, {"run_status": row["run_status"], **earlier}],
        }
        log.warning("%s: run %s was %s; reopened (a repair run)", task_key, run_id, row["run_status"])
        row.update(
            {"run_status": "RUNNING", "finished_ts_utc": None, "summary": json.dumps(summary, default=str)}
        )
        engine.replace_where(
            RUN_LOG, f"run_id = {sql_string(run_id)}", pa.Table.from_pylist([row], schema=RUN_LOG_SCHEMA)
        )
    return _info(row)


def record(
    engine: Any,
    run_id: str,
    task_key: str,
    outputs: dict[str, Any],
    *,
    started: datetime,
    task_run_id: str | None = None,
) -> None:
    """Record a completed task's outputs (a rerun of the task in the same run replaces them)."""
    row = {
        "run_id": run_id,
        "task_key": task_key,
        "task_run_id": task_run_id,
        "started_ts_utc": started,
        "finished_ts_utc": datetime.now(UTC),
        "outputs": json.dumps(outputs, sort_keys=True, default=str),
    }
    if not engine.table_exists(TASK_LOG):  # a lakehouse bootstrapped by an earlier version
        engine.bootstrap(tables_only=not is_local(engine))
    engine.replace_where(
        TASK_LOG,
        f"run_id = {sql_string(run_id)} AND task_key = {sql_string(task_key)}",
        pa.Table.from_pylist([row], schema=TASK_LOG_SCHEMA),
    )


def outputs(engine: Any, run_id: str) -> dict[str, dict[str, Any]]:
    """``{task_key: outputs}`` of the run's completed tasks."""
    if not engine.table_exists(TASK_LOG):
        return {}
    rows = engine.query(
        f"SELECT task_key, outputs FROM {engine.qualify(TASK_LOG)} WHERE run_id = {sql_string(run_id)}"
    ).to_pylist()
    return {r["task_key"]: json.loads(r["outputs"] or "{}") for r in rows}


def output(engine: Any, run_id: str, task_key: str, key: str, default: Any = None) -> Any:
    return outputs(engine, run_id).get(task_key, {}).get(key, default)
