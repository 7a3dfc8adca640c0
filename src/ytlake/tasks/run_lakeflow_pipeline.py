"""run_lakeflow_pipeline, locally: the Lakeflow pipeline's SQL run by the local runner.

On Databricks this task is a ``pipeline_task`` and Lakeflow itself runs the same files.
"""

from __future__ import annotations

from ytlake.lakeflow import discover, run_pipeline
from ytlake.tasks import common
from ytlake.taskvalues import current

TASK_KEY = "run_lakeflow_pipeline"


def main(argv: list[str] | None = None) -> int:
    p = common.parser(TASK_KEY, "Refresh the Silver datasets with the local Lakeflow runner.")
    common.add(p, "pipeline", default="youtube_analytics_lakeflow")
    common.add(p, "schema", default="silver")
    common.add(p, "include", required=True, help="comma-separated globs of the pipeline's SQL files")
    args = p.parse_args(argv)
    common.setup_logging()
    datasets = discover([g for g in args.include.split(",") if g])
    if not datasets:
        raise RuntimeError(f"no Lakeflow SQL files match {args.include}")
    with common.engine_from(args) as engine:
        result = run_pipeline(engine, datasets, args.schema)
    summary = result.as_dict()
    current().task_values.set("datasets", {k: v["rows"] for k, v in summary.items()})
    common.emit_summary(TASK_KEY, {"pipeline": args.pipeline, "datasets": summary})
    return 0
