"""finalize_run_log: close the run in bronze.run_context_log (runs even after failures).

Terminal status: FAILED when any task failed (or was skipped because one did), PARTIAL
when an ingest task recorded missing data (its outputs in ``bronze.run_task_log``), else
SUCCEEDED. On Databricks the task states come from the Jobs API (``jobs.get_run``); locally
from the local runner; when neither answers, from the task log (a task that did not record
its completion did not complete).

After recording, the task fails when the run FAILED, so the job's result is FAILED and its
``on_failure`` alerts fire. PARTIAL ends the task successfully (the next run asks for what
is missing, by coverage), unless ``--fail-on-partial`` (bundle variable ``fail_on_partial``).

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

from ytlake.jobcontext import JobContext, TaskState, current
from ytlake.lakehouse.bronze import RAW_TABLES
from ytlake.tasks import common, run_state
from ytlake.tasks.run_log import RUN_LOG_SCHEMA

TASK_KEY = "finalize_run_log"
NOT_RUN_STATES = ("UPSTREAM_FAILED", "SKIPPED", "EXCLUDED")
INGEST_TASKS = ("ingest_data_api_to_bronze", "ingest_analytics_api_to_bronze")
FAILED_STATES = {"FAILED", "UPSTREAM_FAILED", "TIMEDOUT", "CANCELED", "INTERNAL_ERROR", "NOT_RECORDED"}


def databricks_task_states(job_run_id: str, ws: Any = None) -> list[TaskState]:
    """The job run's task states from the Jobs API (``jobs.get_run``)."""
    if ws is None:
        from databricks.sdk import WorkspaceClient

        ws = WorkspaceClient()
    run = ws.jobs.get_run(int(job_run_id))
    latest: dict[str, Any] = {}  # a retried task appears once per attempt: its last attempt counts
    for task in run.tasks or []:
        seen = latest.get(task.task_key)
        if seen is None or (getattr(task, "attempt_number", 0) or 0) >= (
            getattr(seen, "attempt_number", 0) or 0
        ):
            latest[task.task_key] = task
    out = []
    for task in latest.values():
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


class RunFailedError(RuntimeError):
    """The run FAILED: raised after the run log recorded it, so the job run fails too."""


def recorded_states(done: dict[str, Any]) -> list[TaskState]:
    """Task states from the task log alone: the job's wheel tasks before finalize that recorded
    their completion SUCCESS (FAILED when they recorded an error), the others NOT_RECORDED
    (the pipeline task records nothing on Databricks and is left out)."""
    from ytlake.job import job_tasks, load_bundle

    out = []
    for spec in job_tasks(load_bundle()):
        if spec.task_key == TASK_KEY or spec.kind != "python_wheel_task":
            continue
        recorded = done.get(spec.task_key)
        state = "NOT_RECORDED" if recorded is None else ("FAILED" if recorded.get("error") else "SUCCESS")
        out.append(TaskState(spec.task_key, state, error=(recorded or {}).get("error")))
    return out


def task_states(
    ctx: JobContext, job_run_id: str | None, done: dict[str, Any] | None = None
) -> list[TaskState]:
    states = ctx.states()
    if not states and job_run_id and job_run_id.isdigit():
        try:
            states = databricks_task_states(job_run_id)
        except Exception as err:  # the run's outcome must still be recorded
            common.log.warning(
                "%s: the Jobs API did not answer (%s); states from the task log", TASK_KEY, err
            )
    if not states:
        states = recorded_states(done or {})
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


#: The Silver facts that take a day from a bulk file or from v2 (their ``source`` column).
SOURCED_FACTS = (
    "fact_channel_daily_metrics",
    "fact_video_daily_metrics",
    "fact_video_traffic_source_metrics",
    "fact_video_device_metrics",
    "fact_video_country_metrics",
)


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
    # where the facts' days came from: bulk files (no privacy threshold on them) or v2 answers
    sources = {}
    for fact in SOURCED_FACTS:
        table = f"silver.{fact}"
        if engine.table_exists(table):
            rows = engine.query(
                f"SELECT source, count(*) AS n, min(date) AS first, max(date) AS last "
                f"FROM {engine.qualify(table)} GROUP BY source ORDER BY source"
            ).to_pylist()
            sources[fact] = {
                r["source"]: {"rows": int(r["n"]), "first_date": str(r["first"]), "last_date": str(r["last"])}
                for r in rows
            }
    if sources:
        out["sources"] = sources
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


_WORST = ("SUCCEEDED", "PARTIAL", "FAILED")


def channel_outcomes(data: dict[str, Any], analytics: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each channel's outcome in this run (the worse of its two ingestion tasks'), with why and
    what it cost: channel id (or where its token is, when it could not be read) -> outcome."""
    out: dict[str, dict[str, Any]] = {}
    for c in data.get("channels") or []:
        key = c.get("channel_id") or c.get("origin") or "?"
        if c.get("status") == "DUPLICATE" and key in out:  # pulled with another token: that one's
            continue
        out[key] = {
            "status": c.get("status"),
            "data_api": c.get("status"),
            "videos": c.get("videos_asked"),
            "reasons": [r for r in [c.get("reason")] if r],
        }
    for channel_id, c in (analytics.get("channels") or {}).items():
        entry = out.setdefault(channel_id, {"status": "SUCCEEDED", "reasons": []})
        entry["analytics"] = c.get("status")
        entry["analytics_requests"] = c.get("requests")
        entry["planned_requests"] = c.get("planned_requests")
        entry["revenue"] = c.get("revenue")
        if c.get("reason"):
            entry["reasons"].append(c["reason"])
        entry["status"] = max(
            entry["status"] or "SUCCEEDED", c.get("status") or "SUCCEEDED", key=_WORST.index
        )
    for entry in out.values():
        entry["reason"] = "; ".join(entry.pop("reasons")) or None
    return out


def main(argv: list[str] | None = None) -> int:
    p = common.parser(TASK_KEY, "Write the run's terminal status and summary to the run log.")
    common.add(
        p,
        "fail_on_partial",
        type=common.boolean,
        default=False,
        help="fail the task (and the job) when the run is PARTIAL too",
    )
    args = p.parse_args(argv)
    common.setup_logging()
    run_id = args.job_run_id
    if not run_id:
        raise RuntimeError("no run id: --job-run-id is required (on Databricks {{job.run_id}})")
    now = datetime.now(UTC)
    with common.engine_from(args) as engine:
        done = run_state.outputs(engine, run_id)
        states = task_states(current(), run_id, done)
        partial_reasons = [r for key in INGEST_TASKS if (r := done.get(key, {}).get("partial"))]
        status = terminal_status(states, bool(partial_reasons))
        where = f"run_id = {common.sql_string(run_id)}"
        rows = {t: engine.count(f"bronze.{t}", where) for t in RAW_TABLES}
        try:
            figures = quality(engine)
        except Exception as err:  # a figure, never a reason to lose the run's row
            common.log.warning("%s: quality figures not measured: %s", TASK_KEY, err)
            figures = {}
        row: dict[str, Any] = run_state.run_row(engine, run_id) or {
            # no task opened the run: record it now
            "run_id": run_id,
            "job_id": None,
            "job_run_id": run_id,
            "snapshot_date": now.date(),
            "source_system": "unknown",
            "started_ts_utc": now,
            "params": "{}",
        }
        data, analytics = done.get(INGEST_TASKS[0], {}), done.get(INGEST_TASKS[1], {})
        pipeline, audit = done.get("run_lakeflow_pipeline", {}), done.get("dbt_test", {}).get("dbt_test")
        summary = {
            # a repaired run keeps what its earlier attempts recorded
            **{
                k: v
                for k, v in json.loads(row.get("summary") or "{}").items()
                if k in ("reopened", "attempts")
            },
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
            "failed_tasks": [s.task_key for s in states if s.state in FAILED_STATES - {"UPSTREAM_FAILED"}],
            "skipped_tasks": [s.task_key for s in states if s.state in NOT_RUN_STATES],
            "bronze_rows": rows,
            "requests": {k: done.get(k, {}).get("requests") for k in INGEST_TASKS},
            "retries": {k: done.get(k, {}).get("retries") or {} for k in INGEST_TASKS},
            "data_api_units": sum((data.get("requests") or {}).values()),
            "analytics_requests": sum((analytics.get("requests") or {}).values()),
            "skipped_videos": analytics.get("skipped_videos") or {},
            "silver_rows": pipeline.get("datasets"),
            "dbt_run": done.get("dbt_run_gold", {}).get("dbt_run"),
            "dbt_test": audit,
            "partial": partial_reasons,
            "channels": channel_outcomes(data, analytics),
            "quality": figures,
            "warnings": [
                *(data.get("warnings") or []),
                *quality_warnings(figures),
                *(
                    f"{w['dataset']}: {w['failed']} row(s) failed {w['expectation']} ({w['action']})"
                    for w in pipeline.get("expectation_failures") or []
                ),
                *(f"dbt warn: {name}" for name in (audit or {}).get("warnings", [])),
                *(done.get("dbt_test", {}).get("grant_warnings") or []),
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
    failure = outcome_error(run_id, status, summary, args.fail_on_partial)
    if failure:
        raise failure
    return 0


def outcome_error(
    run_id: str, status: str, summary: dict[str, Any], fail_on_partial: bool = False
) -> RunFailedError | None:
    """The error that fails this task (and so the job run) after the outcome is recorded."""
    if status == "FAILED":
        failed = summary.get("failed_tasks") or []
        return RunFailedError(
            f"run {run_id} FAILED (recorded in bronze.run_context_log): "
            f"{', '.join(failed) if failed else 'a task'} failed"
        )
    if status == "PARTIAL" and fail_on_partial:
        return RunFailedError(
            f"run {run_id} is PARTIAL and --fail-on-partial is set: {'; '.join(summary.get('partial') or [])}"
        )
    return None
