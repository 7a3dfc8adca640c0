"""The same Lakeflow SQL on a local SparkSession gives the same Silver rows as on DuckDB."""

from __future__ import annotations

import datetime as dt

import pytest

from ytlake import paths
from ytlake.lakeflow import discover, run_pipeline
from ytlake.lakehouse import DuckDBEngine
from ytlake.lakehouse.bronze import RAW_TABLES

pytestmark = pytest.mark.slow


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


def test_spark_and_duckdb_build_identical_silver(built, tmp_path):
    from ytlake.lakehouse.spark_engine import SparkEngine

    spark = SparkEngine(warehouse=tmp_path / "spark")
    try:
        spark.bootstrap()
        with DuckDBEngine(built.lakehouse) as duck:
            for table in RAW_TABLES:
                spark.append(f"bronze.{table}", duck.query_native(f"SELECT * FROM bronze.{table}"))
            datasets = discover(str(paths.silver_sql_dir() / "**"))
            result = run_pipeline(spark, datasets, "silver")
            assert len(result.datasets) == 14
            for ds in datasets:
                duck_rows = duck.query_native(f"SELECT * FROM silver.{ds.name}")
                spark_rows = spark.spark.table(f"silver.{ds.name}").toArrow()
                assert spark_rows.column_names == duck_rows.column_names, ds.name
                assert _rows(spark_rows) == _rows(duck_rows), ds.name
                # expectations counted alike on both engines
                spark_counts = next(d.expectations for d in result.datasets if d.name == ds.name)
                assert all(c["failed"] == 0 for c in spark_counts.values()), ds.name
    finally:
        spark.spark.stop()
