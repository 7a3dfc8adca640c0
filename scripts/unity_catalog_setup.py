"""Create the Unity Catalog objects (the bootstrap SQL) and validate the Bronze contract.

--action bootstrap makes sure the catalog exists (an existing one is used as it is; a
missing one is created, in --managed-location when given) and runs the schemas and Bronze
tables of lakeflow/bootstrap_unity_catalog.sql on a SQL warehouse (Statement Execution
API); --action validate checks every Bronze table's columns and NOT NULLs in
information_schema; --action all does both.

Example: uv run python scripts/unity_catalog_setup.py --profile dev --warehouse-id abc123 --catalog youtube_analytics_dev --action all
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from runbook import fail, guarded, parser

from ytlake.checks import validate_contract
from ytlake.databricks_ops import (
    bootstrap_unity_catalog,
    validate_managed_location,
    warehouse_runner,
    workspace_client,
)
from ytlake.lakehouse.identifiers import validate_identifier


def main(argv: list[str] | None = None, ws=None) -> int:
    p = parser(__doc__)
    p.add_argument("--action", choices=["bootstrap", "validate", "all"], default="all")
    p.add_argument(
        "--managed-location",
        metavar="URL",
        help="storage for a catalog that must be created (abfss://…, s3://…, gs://…; inside an "
        "external location you may use); needed where the metastore has no root storage. "
        "Ignored when the catalog exists.",
    )
    args = p.parse_args(argv)
    if not args.warehouse_id:
        return fail("--warehouse-id is required (a SQL warehouse runs the statements)")

    def body() -> int:
        validate_identifier(args.catalog, "catalog")
        if args.managed_location is not None:
            validate_managed_location(args.managed_location)
        run = warehouse_runner(ws or workspace_client(args.profile), args.warehouse_id)
        if args.action in ("bootstrap", "all"):
            for line in bootstrap_unity_catalog(run, args.catalog, args.managed_location):
                print(line)
        if args.action in ("validate", "all"):
            report = validate_contract(run, args.catalog)
            for line in report.failed:
                print(f"FAILED {line}")
            if not report.ok:
                return fail(
                    f"the Bronze contract does not hold in {args.catalog}: {len(report.failed)} problem(s) "
                    "above; run --action bootstrap (missing tables) or migrate the tables named"
                )
            print(f"Bronze contract holds in {args.catalog} ({len(report.passed)} tables)")
        return 0

    return guarded(body)


if __name__ == "__main__":
    sys.exit(main())
