"""dbt_test: audit Gold (``dbt test`` on the build in ``gold_staging``), then publish it.

Write-audit-publish: ``dbt_run_gold`` built the marts into ``gold_staging``; a failing test
fails the task and leaves the published ``gold`` exactly as it was (the error names the
test); when every test passes (warn-only ones may warn), the build is published to ``gold``
in one transaction (``ytlake.tasks.dbt.publish_gold``).

The project's dbt unit tests are not run here: their inputs are static, so a run would only
repeat them on each day's compute; dbt recommends running them in development and CI, which
``uv run pytest`` does (``tests/gold``)."""

from __future__ import annotations

from datetime import UTC, datetime

from ytlake.tasks import common, run_state
from ytlake.tasks.dbt import add_dbt_args, gold_models, lakehouse_engine, publish_gold, run_dbt

TASK_KEY = "dbt_test"


def main(argv: list[str] | None = None) -> int:
    p = common.parser(TASK_KEY, "Run the dbt tests on Gold.")
    add_dbt_args(p)
    args = p.parse_args(argv)
    common.setup_logging()
    started = datetime.now(UTC)
    with lakehouse_engine(args) as engine:
        run = run_state.current_run(engine, args, TASK_KEY)
    outcome = run_dbt("test", args, ["--exclude-resource-type", "unit_test"], today=run.today)
    audit = {"counts": outcome.counts, "failures": outcome.failures, "warnings": outcome.warnings}
    common.emit_summary(TASK_KEY, audit)
    error = None
    if not outcome.success:
        failed = "; ".join(outcome.failures) or outcome.error
        error = f"dbt test failed, Gold not published (gold unchanged): {failed}"
    models = gold_models()
    with lakehouse_engine(args) as engine, engine.atomic():  # published and recorded together (DuckDB)
        if error:  # the audit's findings still go to the run summary
            outputs = {"dbt_test": audit, "error": error}
        else:
            warnings = publish_gold(engine, models, readers=args.gold_readers.split(","))
            outputs = {"dbt_test": audit, "published": models, "grant_warnings": warnings}
        run_state.record(engine, run.run_id, TASK_KEY, outputs, started=started, task_run_id=args.task_run_id)
    if error:
        raise RuntimeError(error)
    common.log.info("%s: audited build published to gold: %s", TASK_KEY, ", ".join(models))
    return 0
