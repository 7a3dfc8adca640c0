"""run_lakeflow_pipeline, locally: the Lakeflow pipeline's SQL run by the local runner.

On Databricks this task is a ``pipeline_task`` and Lakeflow itself runs the same files.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa

from ytlake.lakeflow import ExpectationFailedError, PipelineResult, discover, run_pipeline
from ytlake.lakehouse.base import Engine
from ytlake.tasks import common, run_state

TASK_KEY = "run_lakeflow_pipeline"


def main(argv: list[str] | None = None) -> int:
    p = common.parser(TASK_KEY, "Refresh the Silver datasets with the local Lakeflow runner.")
    common.add(p, "pipeline", default="youtube_analytics_lakeflow")
    common.add(p, "schema", default="silver")
    common.add(p, "include", required=True, help="comma-separated globs of the pipeline's SQL files")
    common.add(
        p,
        "full_refresh",
        type=common.boolean,
        default=False,
        help="streaming tables re-read their sources whole (the pipeline task's full_refresh)",
    )
    args = p.parse_args(argv)
    common.setup_logging()
    datasets = discover([g for g in args.include.split(",") if g])
    if not datasets:
        raise RuntimeError(f"no Lakeflow SQL files match {args.include}")
    started = datetime.now(UTC)
    with common.engine_from(args) as engine:
        run_id = run_state.current_run(engine, args, TASK_KEY).run_id
        try:
            result = run_pipeline(engine, datasets, args.schema, full_refresh=args.full_refresh)
        except ExpectationFailedError as err:
            _log_events(
                engine,
                (err.result or PipelineResult()).events(run_id, args.pipeline, err),
                run_id,
                args.pipeline,
            )
            raise
        _log_events(engine, result.events(run_id, args.pipeline), run_id, args.pipeline)
        summary = result.as_dict()
        outputs = {
            "datasets": {k: v["rows"] for k, v in summary.items()},
            "expectation_failures": [
                {"dataset": d.name, "expectation": name, "action": e["action"], "failed": e["failed"]}
                for d in result.datasets
                for name, e in d.expectations.items()
                if e["failed"]
            ],
        }
        run_state.record(engine, run_id, TASK_KEY, outputs, started=started, task_run_id=args.task_run_id)
    common.emit_summary(TASK_KEY, {"pipeline": args.pipeline, "datasets": summary})
    return 0


EVENT_SCHEMA = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("pipeline", pa.string(), nullable=False),
        pa.field("dataset", pa.string(), nullable=False),
        pa.field("event_type", pa.string(), nullable=False),
        pa.field("expectation", pa.string()),
        pa.field("action", pa.string()),
        pa.field("passed_records", pa.int64()),
        pa.field("failed_records", pa.int64()),
        pa.field("output_records", pa.int64()),
        pa.field("seconds", pa.float64()),
        pa.field("message", pa.string()),
        pa.field("event_ts_utc", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)


def _log_events(engine: Engine, events: list[dict], run_id: str, pipeline: str) -> None:
    """Record the refresh in bronze.lakeflow_event_log (a rerun of the run replaces its events)."""
    if not engine.table_exists("bronze.lakeflow_event_log"):
        engine.bootstrap()
    engine.replace_where(  # one transaction: the run's events are never half replaced
        "bronze.lakeflow_event_log",
        f"run_id = {common.sql_string(run_id)} AND pipeline = {common.sql_string(pipeline)}",
        pa.Table.from_pylist(events, schema=EVENT_SCHEMA),
    )
