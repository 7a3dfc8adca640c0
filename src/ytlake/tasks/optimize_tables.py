"""optimize_tables: copy each Silver dataset into silver_physical and optimize it.

Materialized views cannot be OPTIMIZEd by hand, so the serving layer is a physical copy
(replaced each run, so idempotent; the task runs only after ``dbt_test`` audited the run, and
on DuckDB every dataset's copy is published in one transaction), optimized with the
clustering columns the dataset declares in its ``ytlake.cluster_by`` table property. On
Databricks that is ``OPTIMIZE ... ZORDER BY``; locally DuckDB rewrites the table in that order
and checkpoints, and local Spark (parquet, no Delta) skips it, saying so. Datasets that are
only steps for other datasets (``'ytlake.serve' = 'false'``: the parsed Reporting API files)
are not copied.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ytlake import paths
from ytlake.lakeflow import discover
from ytlake.tasks import common, run_state

TASK_KEY = "optimize_tables"


def main(argv: list[str] | None = None) -> int:
    p = common.parser(TASK_KEY, "Copy Silver into silver_physical and optimize it.")
    common.add(p, "source_schema", default="silver")
    common.add(p, "target_schema", default="silver_physical")
    args = p.parse_args(argv)
    common.setup_logging()
    datasets = discover(str(paths.silver_sql_dir() / "**"))
    started = datetime.now(UTC)
    with common.engine_from(args) as engine:
        run = run_state.current_run(engine, args, TASK_KEY)
        served = [ds for ds in datasets if ds.properties.get("ytlake.serve", "true") != "false"]
        built = [ds for ds in served if engine.table_exists(f"{args.source_schema}.{ds.name}")]
        done = {ds.name: "skipped: not built" for ds in served if ds not in built}
        done |= {ds.name: "skipped: not served (ytlake.serve = false)" for ds in datasets if ds not in served}
        # published together: one transaction on DuckDB (readers see the old copy or the new)
        with engine.atomic():
            for ds in built:
                source = engine.qualify(f"{args.source_schema}.{ds.name}")
                engine.replace_table(f"{args.target_schema}.{ds.name}", f"SELECT * FROM {source}")
        for ds in built:  # then the physical layout, table by table (the rows do not change)
            target = f"{args.target_schema}.{ds.name}"
            cluster = [c.strip() for c in ds.properties.get("ytlake.cluster_by", "").split(",") if c.strip()]
            done[ds.name] = f"copied; {engine.optimize(target, cluster)}"
            common.log.info("optimize_tables: %s: %s", target, done[ds.name])
        run_state.record(
            engine, run.run_id, TASK_KEY, {"optimized": done}, started=started, task_run_id=args.task_run_id
        )
    common.emit_summary(TASK_KEY, {"tables": done})
    return 0
