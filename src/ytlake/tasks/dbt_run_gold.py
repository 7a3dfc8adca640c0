"""dbt_run_gold: build the Gold marts with dbt (``dbt run``)."""

from __future__ import annotations

from ytlake.tasks import common
from ytlake.tasks.dbt import add_dbt_args, run_dbt
from ytlake.taskvalues import current

TASK_KEY = "dbt_run_gold"


def main(argv: list[str] | None = None) -> int:
    p = common.parser(TASK_KEY, "Build the Gold marts with dbt.")
    add_dbt_args(p)
    args = p.parse_args(argv)
    common.setup_logging()
    outcome = run_dbt("run", args)
    current().task_values.set("dbt_run", outcome.counts)
    common.emit_summary(TASK_KEY, {"counts": outcome.counts, "failures": outcome.failures})
    if not outcome.success:
        raise RuntimeError(f"dbt run failed: {'; '.join(outcome.failures) or outcome.error}")
    return 0
