"""finalize_run_log: close the run in bronze.run_context_log (runs even after failures).

Terminal status: FAILED when any task failed (or was skipped because one did), PARTIAL
when a task reported missing data through task values, else SUCCEEDED. On Databricks the
task states come from the Jobs API (``jobs.get_run``); locally from the local runner.

The summary also measures what Google does not guarantee (``quality``): how much of the
videos' daily views each breakdown report accounts for (Google withholds rows under its
privacy threshold) and how many days Silver zero-filled (days Google left out of an answer).
Those are figures and warnings, never a failure.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from ytlake.lakehouse.bronze import RAW_TABLES
from ytlake.tasks import common
from ytlake.tasks.run_log import RUN_LOG_SCHEMA
from ytlake.taskvalues import JobContext, TaskState, current

TASK_KEY = "finalize_run_log"
NOT_RUN_STATES = ("UPSTREAM_FAILED", "SKIPPED", "EXCLUDED")
INGEST_TASKS = ("ingest_data_api_to_bronze", "ingest_analytics_api_to_bronze")
FAILED_STATES = {"FAILED", "UPSTREAM_FAILED", "TIMEDOUT", "CANCELED", "INTERNAL_ERROR"}


def databricks_task_states(job_run_id: str, ws: Any = None) -> list[TaskState]:
    """The job run's task states from the Jobs API (``jobs.get_run``)."""
    if ws is None:
        from databricks.sdk import WorkspaceClient

        ws = WorkspaceClient()
    run = ws.jobs.get_run(int(job_run_id))
    out = []
    for task in run.tasks or []:
        state = task.state
        result = getattr(getattr(state, "result_state", None), "value", None)
        life = getattr(getattr(state, "life_cycle_state", None), "value", None)
        out.append(
            TaskState(
                task.task_key,
                result or life or "UNKNOWN",
                (task.execution_duration or 0) / 1000 or None,
                getattr(state, "state_message", None) or None,
            )
        )
    return out


def task_states(ctx: JobContext, job_run_id: str | None) -> list[TaskState]:
    states = ctx.states()
    if not states and job_run_id and job_run_id.isdigit():
        states = databricks_task_states(job_run_id)
    return [s for s in states if s.task_key != TASK_KEY]


def terminal_status(states: list[TaskState], partial: bool) -> str:
    if any(s.state in FAILED_STATES for s in states):
        return "FAILED"
    return "PARTIAL" if partial else "SUCCEEDED"


BREAKDOWN_SHORTFALL_SQL = """
SELECT
  breakdown,
  count(*) AS video_days,
  sum(CASE WHEN withheld_views > 0 THEN 1 ELSE 0 END) AS video_days_short,
  sum(daily_views) AS daily_views,
  sum(withheld_views) AS withheld_views
FROM {table}
GROUP BY breakdown
ORDER BY breakdown
"""


def quality(engine: Any) -> dict[str, Any]:
    """What Google withheld and left out, measured on Gold (empty when Gold is not built)."""
    out: dict[str, Any] = {}
    coverage = "gold.gold_video_breakdown_coverage"
    if engine.table_exists(coverage):
        rows = engine.query(BREAKDOWN_SHORTFALL_SQL.format(table=engine.qualify(coverage))).to_pylist()
        out["breakdown_shortfall"] = {
            r["breakdown"]: {
                "video_days": int(r["video_days"]),
                "video_days_short": int(r["video_days_short"] or 0),
                "daily_views": int(r["daily_views"] or 0),
                "withheld_views": int(r["withheld_views"] or 0),
                "withheld_share": round(int(r["withheld_views"] or 0) / int(r["daily_views"]), 4)
                if r["daily_views"]
                else 0.0,
            }
            for r in rows
        }
    filled = {}
    for key, table in (
        ("channel_days", "gold.gold_channel_daily_summary"),
        ("video_days", "gold.gold_video_daily_summary"),
    ):
        if engine.table_exists(table):
            filled[key] = engine.count(table, "is_filled")
    if filled:
        out["filled_days"] = filled
    return out


def quality_warnings(figures: dict[str, Any]) -> list[str]:
    """One line per breakdown report that falls short of the daily views."""
    out = []
    for name, f in (figures.get("breakdown_shortfall") or {}).items():
        if f["withheld_views"] > 0:
            out.append(
                f"{name} breakdown accounts for {100 * (1 - f['withheld_share']):.1f} % of daily views "
                f"({f['withheld_views']:,} views withheld on {f['video_days_short']:,} of "
                f"{f['video_days']:,} video-days: Google's privacy threshold)"
            )
    return out


def main(argv: list[str] | None = None) -> int:
    p = common.parser(TASK_KEY, "Write the run's terminal status and summary to the run log.")
    common.add(p, "job_run_id", default=None)
    common.add(p, "task_run_id", default=None)
    args = p.parse_args(argv)
    common.setup_logging()
    ctx = current()
    tv = ctx.task_values
    run_id = tv.get("init_run_context", "run_id") or args.job_run_id
    if not run_id:
        raise RuntimeError("no run id: init_run_context did not run and --job-run-id is not set")
    states = task_states(ctx, args.job_run_id)
    partial_reasons = [
        r
        for key in ("ingest_data_api_to_bronze", "ingest_analytics_api_to_bronze")
        if (r := tv.get(key, "partial"))
    ]
    status = terminal_status(states, bool(partial_reasons))
    now = datetime.now(UTC)
    with common.engine_from(args) as engine:
        where = f"run_id = {common.sql_string(run_id)}"
        rows = {t: engine.count(f"bronze.{t}", where) for t in RAW_TABLES}
        try:
            figures = quality(engine)
        except Exception as err:  # a figure, never a reason to lose the run's row
            common.log.warning("%s: quality figures not measured: %s", TASK_KEY, err)
            figures = {}
        existing = engine.query(f"SELECT * FROM {engine.qualify('bronze.run_context_log')} WHERE {where}")
        row: dict[str, Any]
        if existing.num_rows:
            row = existing.to_pylist()[0]
        else:  # init_run_context never wrote the run: record it now
            row = {
                "run_id": run_id,
                "job_id": None,
                "job_run_id": args.job_run_id,
                "snapshot_date": now.date(),
                "source_system": "unknown",
                "started_ts_utc": now,
                "params": "{}",
            }
        summary = {
            "tasks": [
                {
                    "task_key": s.task_key,
                    "state": s.state,
                    "seconds": round(s.seconds, 3) if s.seconds is not None else None,
                    **({"cpu_seconds": s.cpu_seconds} if s.cpu_seconds is not None else {}),
                    **({"peak_rss_mib": s.peak_rss_mib} if s.peak_rss_mib is not None else {}),
                    **({"error": s.error} if s.error else {}),
                }
                for s in states
            ],
            "failed_tasks": [s.task_key for s in states if s.state == "FAILED"],
            "skipped_tasks": [s.task_key for s in states if s.state in NOT_RUN_STATES],
            "bronze_rows": rows,
            "requests": {k: tv.get(k, "requests") for k in INGEST_TASKS},
            "retries": {k: tv.get(k, "retries") or {} for k in INGEST_TASKS},
            "data_api_units": sum((tv.get(INGEST_TASKS[0], "requests") or {}).values()),
            "analytics_requests": sum((tv.get(INGEST_TASKS[1], "requests") or {}).values()),
            "skipped_videos": tv.get(INGEST_TASKS[1], "skipped_videos") or {},
            "silver_rows": tv.get("run_lakeflow_pipeline", "datasets"),
            "dbt_run": tv.get("dbt_run_gold", "dbt_run"),
            "dbt_test": tv.get("dbt_test", "dbt_test"),
            "partial": partial_reasons,
            "quality": figures,
            "warnings": [
                *(tv.get(INGEST_TASKS[0], "warnings") or []),
                *quality_warnings(figures),
                *(
                    f"{w['dataset']}: {w['failed']} row(s) failed {w['expectation']} ({w['action']})"
                    for w in tv.get("run_lakeflow_pipeline", "expectation_failures") or []
                ),
                *(f"dbt warn: {name}" for name in (tv.get("dbt_test", "dbt_test") or {}).get("warnings", [])),
            ],
        }
        row.update(
            {
                "run_status": status,
                "finished_ts_utc": now,
                "finalized_ts_utc": now,
                "finalize_task_run_id": args.task_run_id,
                "summary": json.dumps(summary, default=str),
            }
        )
        # one transaction: the run's row is never lost between a delete and an append
        engine.replace_where(
            "bronze.run_context_log", where, pa.Table.from_pylist([row], schema=RUN_LOG_SCHEMA)
        )
    common.emit_summary(
        TASK_KEY, {"run_id": run_id, "run_status": status, "failed_tasks": summary["failed_tasks"]}
    )
    return 0
