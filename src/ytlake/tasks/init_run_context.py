"""init_run_context: open the run in bronze.run_context_log (later tasks read it there)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from ytlake import identity
from ytlake.tasks import common, run_state

TASK_KEY = "init_run_context"


def main(argv: list[str] | None = None) -> int:
    p = common.parser(TASK_KEY, "Open a job run: run id, Pacific snapshot date, parameters.")
    common.add(p, "job_id", default="local")
    common.add(p, "source_system", default="google", choices=["google", "emulator"])
    common.add(p, "params_json", default="{}", help="the run's parameters, for the log")
    args = p.parse_args(argv)
    common.setup_logging()
    if not args.job_run_id:
        p.error("--job-run-id is required (on Databricks {{job.run_id}})")
    started = datetime.now(UTC)
    run_id = str(args.job_run_id)
    params = json.loads(args.params_json or "{}")
    params.update(
        {
            "catalog": args.catalog,
            "engine": args.engine,
            **{k: getattr(args, k) for k in common.JOB_PARAMETERS if k != "today"},
        }
    )
    source = params.get("lakehouse_source") or ("emulator" if args.source_system == "emulator" else "google")
    with common.engine_from(args) as engine:
        # on Databricks the catalog and schemas are the Unity Catalog setup's: tables only
        for step in engine.bootstrap(tables_only=not common.is_local(engine)):
            common.log.info("%s: %s", TASK_KEY, step)
        # one identity per lakehouse: refused before the run writes anything
        identity.check_source(
            engine, source, f"lakehouse {args.lakehouse if common.is_local(engine) else args.catalog}"
        )
        with engine.atomic():
            run = run_state.open_run(
                engine,
                run_id,
                today=args.today,
                source_system=args.source_system,
                job_id=str(args.job_id),
                params=params,
            )
            identity.register_if_new(engine, "source", source, run_id)
            run_state.record(
                engine, run_id, TASK_KEY, {"today": run.today}, started=started, task_run_id=args.task_run_id
            )
    common.emit_summary(
        TASK_KEY,
        {"run_id": run_id, "snapshot_date": run.today.isoformat(), "source_system": args.source_system},
    )
    return 0
