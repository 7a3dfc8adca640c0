"""dbt_run_gold: build the Gold marts with dbt (``dbt run``) into ``gold_staging``."""

from __future__ import annotations

from datetime import UTC, datetime

from ytlake.tasks import common, run_state
from ytlake.tasks.dbt import add_dbt_args, lakehouse_engine, run_dbt

TASK_KEY = "dbt_run_gold"


def main(argv: list[str] | None = None) -> int:
    p = common.parser(TASK_KEY, "Build the Gold marts with dbt.")
    add_dbt_args(p)
    args = p.parse_args(argv)
    common.setup_logging()
    started = datetime.now(UTC)
    with lakehouse_engine(args) as engine:
        run = run_state.current_run(engine, args, TASK_KEY)
    outcome = run_dbt("run", args, today=run.today)
    common.emit_summary(TASK_KEY, {"counts": outcome.counts, "failures": outcome.failures})
    if not outcome.success:
        raise RuntimeError(f"dbt run failed: {'; '.join(outcome.failures) or outcome.error}")
    with lakehouse_engine(args) as engine:
        run_state.record(
            engine,
            run.run_id,
            TASK_KEY,
            {"dbt_run": outcome.counts},
            started=started,
            task_run_id=args.task_run_id,
        )
    return 0
