"""Smoke-check a deployment: tables exist and are not empty, Gold is fresh, the latest run succeeded.

--precheck (before promotion) instead checks that the secret scope holds every key and
that the principal can use the catalog and the SQL warehouse. --execution-mode spark runs
the queries on the ambient SparkSession (inside a Databricks job) instead of a warehouse.

Example: uv run python scripts/post_deploy_smoke_checks.py --profile prod --warehouse-id abc123 --catalog youtube_analytics --max-gold-lag-days 5
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from runbook import fail, guarded, parser

from ytlake.checks import default_today, smoke
from ytlake.databricks_ops import explain, missing_secrets, warehouse_runner, workspace_client
from ytlake.lakehouse.identifiers import validate_identifier


def spark_runner():
    from pyspark.sql import SparkSession

    spark = SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()
    return lambda sql: [r.asDict() for r in spark.sql(sql).collect()]


def precheck(ws, args) -> int:
    problems = []
    try:
        problems += [f"secret {k} missing from scope {args.scope}" for k in missing_secrets(ws, args.scope)]
    except Exception as err:
        problems.append(f"secrets: {explain(err)}")
    try:
        ws.warehouses.get(args.warehouse_id)
    except Exception as err:
        problems.append(f"warehouse {args.warehouse_id} not usable: {explain(err)}")
    try:
        warehouse_runner(ws, args.warehouse_id)(f"SHOW SCHEMAS IN {args.catalog}")
    except Exception as err:
        problems.append(f"catalog {args.catalog} not usable: {explain(err)}")
    for problem in problems:
        print(f"FAILED {problem}")
    if problems:
        return fail(f"precheck failed: {len(problems)} problem(s) above; fix them and run again")
    print("precheck passed: secrets, catalog and warehouse are usable")
    return 0


def main(argv: list[str] | None = None, ws=None) -> int:
    p = parser(__doc__)
    p.add_argument("--max-gold-lag-days", type=int, default=5)
    p.add_argument("--execution-mode", choices=["spark", "warehouse"], default="warehouse")
    p.add_argument("--require-latest-run-success", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--precheck", action="store_true", help="check secrets and permissions only")
    args = p.parse_args(argv)
    if (args.execution_mode == "warehouse" or args.precheck) and not args.warehouse_id:
        return fail("--warehouse-id is required with --execution-mode warehouse and --precheck")

    def body() -> int:
        validate_identifier(args.catalog, "catalog")
        if args.precheck:
            return precheck(ws or workspace_client(args.profile), args)
        run = (
            spark_runner()
            if args.execution_mode == "spark"
            else warehouse_runner(ws or workspace_client(args.profile), args.warehouse_id)
        )
        report = smoke(
            run, args.catalog, default_today(), args.max_gold_lag_days, args.require_latest_run_success
        )
        for line in report.passed:
            print(f"ok     {line}")
        for line in report.failed:
            print(f"FAILED {line}")
        if report.ok:
            return 0
        return fail(f"smoke checks failed in {args.catalog}: {len(report.failed)} problem(s) above")

    return guarded(body)


if __name__ == "__main__":
    sys.exit(main())
