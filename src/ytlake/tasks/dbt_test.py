"""dbt_test: audit Gold (``dbt test`` on the build in ``gold_staging``), then publish it.

Write-audit-publish: ``dbt_run_gold`` built the marts into ``gold_staging``; a failing test
fails the task and leaves the published ``gold`` exactly as it was (the error names the
test); when every test passes (warn-only ones may warn), the build is published to ``gold``
in one transaction (``ytlake.tasks.dbt.publish_gold``)."""

from __future__ import annotations

from ytlake.lakehouse import open_engine
from ytlake.tasks import common
from ytlake.tasks.dbt import add_dbt_args, gold_models, publish_gold, run_dbt
from ytlake.taskvalues import current

TASK_KEY = "dbt_test"


def main(argv: list[str] | None = None) -> int:
    p = common.parser(TASK_KEY, "Run the dbt tests on Gold.")
    add_dbt_args(p)
    args = p.parse_args(argv)
    common.setup_logging()
    outcome = run_dbt("test", args)
    tv = current().task_values
    tv.set("dbt_test", {"counts": outcome.counts, "failures": outcome.failures, "warnings": outcome.warnings})
    common.emit_summary(
        TASK_KEY, {"counts": outcome.counts, "failures": outcome.failures, "warnings": outcome.warnings}
    )
    if not outcome.success:
        failed = "; ".join(outcome.failures) or outcome.error
        raise RuntimeError(f"dbt test failed, Gold not published (gold unchanged): {failed}")
    models = gold_models()
    # where dbt built: the DuckDB file (`local`), else Spark (the local session, or Databricks)
    with open_engine("duckdb" if args.target == "local" else "spark", args.lakehouse, args.catalog) as engine:
        publish_gold(engine, models)
    tv.set("published", models)
    common.log.info("%s: audited build published to gold: %s", TASK_KEY, ", ".join(models))
    return 0
