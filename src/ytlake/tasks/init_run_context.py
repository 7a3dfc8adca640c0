"""init_run_context: open the run in bronze.run_context_log and hand it to later tasks."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pyarrow as pa

from ytlake import identity
from ytlake.settings import pacific_today
from ytlake.tasks import common
from ytlake.tasks.run_log import RUN_LOG_SCHEMA, mark_aborted
from ytlake.taskvalues import current

TASK_KEY = "init_run_context"


def main(argv: list[str] | None = None) -> int:
    p = common.parser(TASK_KEY, "Open a job run: run id, Pacific snapshot date, parameters.")
    common.add(p, "job_id", default="local")
    common.add(p, "job_run_id", required=True, help="the run id (on Databricks {{job.run_id}})")
    common.add(p, "source_system", default="google", choices=["google", "emulator"])
    common.add(
        p,
        "today",
        type=common.optional_date,
        default=None,
        help="the pipeline's today (Pacific time), default: now",
    )
    common.add(p, "params_json", default="{}", help="the run's parameters, for the log")
    args = p.parse_args(argv)
    common.setup_logging()
    ctx = current()
    today = args.today or pacific_today()
    run_id = str(args.job_run_id)
    started = datetime.now(UTC)
    params = json.loads(args.params_json or "{}")
    params.update({"catalog": args.catalog, "engine": args.engine, "today": today.isoformat()})
    source = params.get("lakehouse_source") or ("emulator" if args.source_system == "emulator" else "google")
    with common.engine_from(args) as engine:
        if common.is_local(engine):
            engine.bootstrap()
        # one identity per lakehouse: refused before the run writes anything
        identity.check_source(
            engine, source, f"lakehouse {args.lakehouse if common.is_local(engine) else args.catalog}"
        )
        # a RUNNING row of another run: its process is gone (one run at a time holds the lakehouse)
        for stale in mark_aborted(
            engine,
            f"run_id <> {common.sql_string(run_id)}",
            f"found RUNNING by run {run_id}: its process had ended without closing the run",
        ):
            common.log.warning("%s: run %s was left RUNNING; marked ABORTED", TASK_KEY, stale)
        row = {
            "run_id": run_id,
            "job_id": str(args.job_id),
            "job_run_id": run_id,
            "snapshot_date": today,
            "source_system": args.source_system,
            "started_ts_utc": started,
            "run_status": "RUNNING",
            "finished_ts_utc": None,
            "finalized_ts_utc": None,
            "finalize_task_run_id": None,
            "params": json.dumps(params, sort_keys=True),
            "summary": None,
        }
        with engine.atomic():
            engine.replace_where(
                "bronze.run_context_log",
                f"run_id = {common.sql_string(run_id)}",
                pa.Table.from_pylist([row], schema=RUN_LOG_SCHEMA),
            )
            identity.register_if_new(engine, "source", source, run_id)
    tv = ctx.task_values
    tv.set("run_id", run_id)
    tv.set("snapshot_date", today.isoformat())
    tv.set("today", today.isoformat())
    tv.set("source_system", args.source_system)
    tv.set("started_ts_utc", started.isoformat())
    common.emit_summary(
        TASK_KEY, {"run_id": run_id, "snapshot_date": today.isoformat(), "source_system": args.source_system}
    )
    return 0
