"""dbt_test: test the Gold marts (``dbt test``); a failing test fails the task, a warn-only
test does not."""

from __future__ import annotations

from ytlake.tasks import common
from ytlake.tasks.dbt import add_dbt_args, run_dbt
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
        raise RuntimeError(f"dbt test failed: {'; '.join(outcome.failures) or outcome.error}")
    return 0
