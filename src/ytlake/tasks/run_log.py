"""The run log (``bronze.run_context_log``): its row schema, and closing runs that never
finished (ABORTED). Every write of a run's row is one transaction (``Engine.replace_where``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from ytlake.jobcontext import TaskState
from ytlake.tasks.common import sql_string

RUN_LOG = "bronze.run_context_log"

RUN_LOG_SCHEMA = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("job_id", pa.string()),
        pa.field("job_run_id", pa.string()),
        pa.field("snapshot_date", pa.date32(), nullable=False),
        pa.field("source_system", pa.string(), nullable=False),
        pa.field("started_ts_utc", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("run_status", pa.string(), nullable=False),
        pa.field("finished_ts_utc", pa.timestamp("us", tz="UTC")),
        pa.field("finalized_ts_utc", pa.timestamp("us", tz="UTC")),
        pa.field("finalize_task_run_id", pa.string()),
        pa.field("params", pa.string(), nullable=False),
        pa.field("summary", pa.string()),
    ]
)


def mark_aborted(
    engine: Any, predicate: str, reason: str, states: list[TaskState] | None = None
) -> list[str]:
    """Close RUNNING rows matching ``predicate`` as ABORTED (interrupted, or found RUNNING with
    their process gone), each in one transaction; returns their run ids."""
    table = RUN_LOG
    if not engine.table_exists(table):
        return []
    found = engine.query(
        f"SELECT * FROM {engine.qualify(table)} WHERE run_status = 'RUNNING' AND ({predicate})"
    ).to_pylist()
    now = datetime.now(UTC)
    for row in found:
        summary = json.loads(row.get("summary") or "{}")
        summary["aborted"] = reason
        if states:
            summary["tasks"] = [
                {"task_key": s.task_key, "state": s.state, "seconds": round(s.seconds or 0, 3)}
                for s in states
            ]
        row.update(
            {"run_status": "ABORTED", "finished_ts_utc": now, "summary": json.dumps(summary, default=str)}
        )
        engine.replace_where(
            table,
            f"run_id = {sql_string(row['run_id'])}",
            pa.Table.from_pylist([row], schema=RUN_LOG_SCHEMA),
        )
    return [r["run_id"] for r in found]
