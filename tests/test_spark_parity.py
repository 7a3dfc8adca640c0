"""Parity: the same Lakeflow SQL and the same dbt project on a local SparkSession give the
same Silver and Gold rows as on DuckDB, from the same Bronze rows."""

from __future__ import annotations

import datetime as dt

import pytest

from ytlake import paths
from ytlake.lakeflow import discover, run_pipeline
from ytlake.lakehouse import DuckDBEngine
from ytlake.lakehouse.bronze import RAW_TABLES

pytestmark = pytest.mark.slow
BULK = "analytics_bulk_reports_raw"


def _norm(value):
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 9)
    return value


def _rows(table):
    return sorted(tuple(_norm(v) for v in row.values()) for row in table.to_pylist())


@pytest.fixture(scope="module")
def spark_silver(built, tmp_path_factory):
    """Bronze copied from the DuckDB lakehouse into a local SparkSession, Silver built there."""
    from ytlake.lakehouse.spark_engine import SparkEngine

    spark = SparkEngine(warehouse=tmp_path_factory.mktemp("spark"))
    spark.bootstrap()
    datasets = discover(str(paths.silver_sql_dir() / "**"))
    [lines] = [d for d in datasets if d.name == "silver_bulk_report_lines"]
    with DuckDBEngine(built.lakehouse) as duck:
        for table in RAW_TABLES:
            if table != BULK:
                spark.append(f"bronze.{table}", duck.query_native(f"SELECT * FROM bronze.{table}"))
        # the files' parts land in two halves, the streaming table is refreshed in between:
        # the second update appends the second half's lines only (Spark's incremental path)
        parts = duck.query_native(f"SELECT * FROM bronze.{BULK} ORDER BY request_id")
    half = parts.num_rows // 2
    spark.append(f"bronze.{BULK}", parts.slice(0, half))
    first = run_pipeline(spark, [lines], "silver")
    spark.append(f"bronze.{BULK}", parts.slice(half))
    result = run_pipeline(spark, datasets, "silver")
    [again] = [d for d in result.datasets if d.name == lines.name]
    assert 0 < first.datasets[0].rows < again.rows and again.added == again.rows - first.datasets[0].rows
    yield spark, [d for d in datasets if d.kind != "TEMPORARY VIEW"], result
    spark.spark.stop()


def test_spark_and_duckdb_build_identical_silver(built, spark_silver):
    spark, datasets, result = spark_silver
    assert len(result.datasets) == 32 and len(datasets) == 31  # one is a temporary view
    with DuckDBEngine(built.lakehouse) as duck:
        for ds in datasets:
            duck_rows = duck.query_native(f"SELECT * FROM silver.{ds.name}")
            spark_rows = spark.spark.table(f"silver.{ds.name}").toArrow()
            assert spark_rows.column_names == duck_rows.column_names, ds.name
            assert _rows(spark_rows) == _rows(duck_rows), ds.name
            counts = next(d.expectations for d in result.datasets if d.name == ds.name)
            assert all(c["failed"] == 0 for c in counts.values()), ds.name


GOLD = (
    "gold_channel_daily_summary",
    "gold_video_daily_summary",
    "gold_video_traffic_source_daily_summary",
    "gold_video_country_daily_summary",
    "gold_video_device_daily_summary",
)


def test_spark_and_duckdb_build_identical_gold(built, spark_silver, tmp_path):
    from dbt.cli.main import dbtRunner

    spark, _, _ = spark_silver
    project = paths.dbt_project_dir()
    common = [
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target",
        "spark",
        "--target-path",
        str(tmp_path / "target"),
        "--log-path",
        str(tmp_path / "logs"),
        "--quiet",
        "--vars",
        '{"today": "2026-03-13"}',
    ]
    run = dbtRunner().invoke(["run", *common])
    assert run.success, run.exception
    test = dbtRunner().invoke(["test", "--exclude", "test_type:unit", *common])
    assert test.success, [(r.node.name, r.status) for r in test.result.results if str(r.status) != "pass"]
    with DuckDBEngine(built.lakehouse) as duck:
        for mart in GOLD:
            duck_rows = duck.query_native(f"SELECT * FROM gold.{mart}")
            spark_rows = spark.spark.table(f"gold.{mart}").toArrow()
            assert spark_rows.column_names == duck_rows.column_names, mart
            assert _rows(spark_rows) == _rows(duck_rows), mart
