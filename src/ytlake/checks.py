"""Post-deploy checks that run against any SQL engine: the Bronze contract and the smoke checks.

A ``SqlRunner`` is anything that turns a SQL query into rows (list of dicts): the local
DuckDB lakehouse, or a Databricks SQL warehouse through the Statement Execution API.
``ytlake validate-contract`` / ``ytlake smoke`` use the first; the runbook scripts
``unity_catalog_setup.py --action validate`` / ``post_deploy_smoke_checks.py`` the second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ytlake.lakehouse.bootstrap import bronze_table_columns
from ytlake.lakehouse.identifiers import validate_identifier

SqlRunner = Callable[[str], list[dict[str, Any]]]

GOLD_MARTS = (
    "gold_channel_daily_summary",
    "gold_video_daily_summary",
    "gold_video_traffic_source_daily_summary",
    "gold_video_country_daily_summary",
    "gold_video_device_daily_summary",
)


@dataclass
class CheckReport:
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

    def check(self, ok: bool, what: str, why: str = "") -> None:
        (self.passed if ok else self.failed).append(what if ok else f"{what}: {why}")


def _columns(run: SqlRunner, catalog: str | None, schema: str) -> dict[str, dict[str, str]]:
    prefix = f"{catalog}." if catalog else ""
    rows = run(
        f"SELECT table_name, column_name, is_nullable, data_type FROM {prefix}information_schema.columns "
        f"WHERE table_schema = '{schema}'"
    )
    out: dict[str, dict[str, str]] = {}
    for r in rows:
        out.setdefault(r["table_name"], {})[r["column_name"]] = str(r["is_nullable"]).upper()
    return out


def validate_contract(run: SqlRunner, catalog: str | None = None) -> CheckReport:
    """Every Bronze table of the bootstrap SQL exists with its columns, NOT NULL where declared."""
    if catalog:
        validate_identifier(catalog, "catalog")
    report = CheckReport()
    actual = _columns(run, catalog, "bronze")
    for table, columns in bronze_table_columns().items():
        if table not in actual:
            report.check(
                False,
                f"bronze.{table}",
                "table missing; run the bootstrap (unity_catalog_setup.py --action bootstrap)",
            )
            continue
        for name, _type, not_null in columns:
            if name not in actual[table]:
                report.check(False, f"bronze.{table}.{name}", "column missing from the Bronze contract")
            elif not_null and actual[table][name] not in ("NO", "FALSE"):
                report.check(False, f"bronze.{table}.{name}", "must be NOT NULL")
        report.check(all(n in actual[table] for n, _, _ in columns), f"bronze.{table}")
    return report


def smoke(
    run: SqlRunner,
    catalog: str | None,
    today: date,
    max_gold_lag_days: int,
    require_latest_run_success: bool = True,
) -> CheckReport:
    """Tables exist and are not empty, Gold is fresh, and the latest run succeeded."""
    prefix = f"{validate_identifier(catalog, 'catalog')}." if catalog else ""
    report = CheckReport()
    for table in (
        "bronze.run_context_log",
        "silver.fact_channel_daily_metrics",
        *(f"gold.{m}" for m in GOLD_MARTS),
    ):
        try:
            n = int(run(f"SELECT count(*) AS n FROM {prefix}{table}")[0]["n"])
        except Exception as err:
            report.check(False, table, f"cannot be read ({str(err).splitlines()[0][:120]})")
            continue
        report.check(n > 0, f"{table} has rows", "is empty")
    try:
        last = run(f"SELECT max(date) AS d FROM {prefix}gold.gold_channel_daily_summary")[0]["d"]
    except Exception:
        last = None
    if last is not None:
        last = last if isinstance(last, date) else date.fromisoformat(str(last)[:10])
        lag = (today - last).days
        report.check(
            lag <= max_gold_lag_days,
            f"Gold lag {lag} day(s) <= {max_gold_lag_days}",
            f"last day {last} is {lag} days before {today}",
        )
    else:
        report.check(False, "Gold freshness", "no day in gold.gold_channel_daily_summary")
    if require_latest_run_success:
        rows = run(
            f"SELECT run_id, run_status FROM {prefix}bronze.run_context_log "
            "ORDER BY started_ts_utc DESC LIMIT 1"
        )
        status = rows[0]["run_status"] if rows else None
        report.check(
            status == "SUCCEEDED",
            f"latest run {rows[0]['run_id'] if rows else ''} SUCCEEDED",
            f"latest run is {status or 'missing'}",
        )
    return report


def duckdb_runner(lakehouse) -> SqlRunner:
    """A read-only SqlRunner over the local lakehouse (opened per query, never held)."""
    from ytlake.lakehouse import DuckDBEngine

    def run(sql: str) -> list[dict[str, Any]]:
        with DuckDBEngine(lakehouse, read_only=True) as engine:
            return engine.query_native(sql).to_pylist()

    return run


def default_today() -> date:
    from ytlake.settings import pacific_today

    return pacific_today()
