"""Spark: the Bronze DDL on a local SparkSession, the whole job on one
(`ytlake run --engine spark`: Silver by the Lakeflow runner on Spark, Gold by dbt-spark's
session method), and parity: from the same Bronze rows, the same Lakeflow SQL and the same dbt
project give the same Silver and Gold rows on DuckDB as the job gave on Spark.

One file, so that one JVM serves every test here (a second whole job in a warm JVM took 81 s
against 137 s for the first). Each SparkSession is stopped before the next starts: a live one
would be handed to the next ``getOrCreate`` with its own warehouse."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import date

import pyarrow as pa
import pytest

from ytlake import paths
from ytlake.lakeflow import discover, run_pipeline
from ytlake.lakehouse import DuckDBEngine
from ytlake.lakehouse.bronze import RAW_TABLES, BronzeBatch
from ytlake.runlocal import LocalRunResult
from ytlake.tasks import run_state

from ..conftest import INGESTION
from ..two_runs import build_two_runs, find_seed

pytestmark = pytest.mark.slow
BULK = "analytics_bulk_reports_raw"
GOLD = (
    "gold_channel_daily_summary",
    "gold_video_daily_summary",
    "gold_video_traffic_source_daily_summary",
    "gold_video_country_daily_summary",
    "gold_video_device_daily_summary",
)


def _norm(value):
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 9)
    return value


def _rows(table: pa.Table) -> list[tuple]:
    return sorted(tuple(_norm(v) for v in row.values()) for row in table.to_pylist())


def _silver_datasets():
    return discover(str(paths.silver_sql_dir() / "**"))


# --- the Bronze DDL and the engine's own operations ---------------------------------------


@pytest.fixture(scope="class")
def spark_engine(tmp_path_factory):
    from ytlake.lakehouse.spark_engine import SparkEngine

    engine = SparkEngine("youtube_analytics", warehouse=tmp_path_factory.mktemp("spark"))
    yield engine
    engine.spark.stop()


def _columns_duckdb(engine, table):
    rows = engine.query_native(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
        f"WHERE table_schema = 'bronze' AND table_name = '{table}' ORDER BY ordinal_position"
    ).to_pylist()
    return [r["column_name"] for r in rows]


class TestTheEngine:
    def test_bootstrap_creates_the_same_tables_in_spark_and_duckdb(self, spark_engine, tmp_path):
        spark_engine.bootstrap()
        spark_engine.bootstrap()  # idempotent
        with DuckDBEngine(tmp_path / "yt.duckdb") as duck:
            duck.bootstrap()
            for table in (*RAW_TABLES, "run_context_log"):
                assert spark_engine.table_exists(f"bronze.{table}")
                schema = spark_engine.spark.table(f"bronze.{table}").schema
                # Local Spark keeps parquet tables in a Hive catalog, which reports every column
                # nullable; NOT NULL is enforced on Delta (Databricks) and checked on DuckDB.
                assert [f.name for f in schema.fields] == _columns_duckdb(duck, table), table
        types = {
            f.name: f.dataType.simpleString() for f in spark_engine.spark.table("bronze.videos_raw").schema
        }
        assert types == {
            "snapshot_date": "date",
            "ingest_ts_utc": "timestamp",
            "source_system": "string",
            "request_id": "string",
            "schema_version": "string",
            "run_id": "string",
            "payload": "string",
        }

    def test_spark_append_query_delete(self, spark_engine):
        spark_engine.bootstrap()
        batch = BronzeBatch("bronze.channels_raw", "spark-run", date(2026, 3, 1), "emulator")
        for i in range(3):
            batch.add("youtube/v3/channels", {"mine": "true"}, 200, f'{{"n": {i}}}')
        before = spark_engine.count("bronze.channels_raw")
        assert spark_engine.append("bronze.channels_raw", batch.to_arrow()) == 3
        got = spark_engine.query(
            "SELECT get_json_object(payload, '$.body.n') AS n FROM youtube_analytics.bronze.channels_raw "
            "WHERE run_id = 'spark-run' ORDER BY n"
        )
        assert got.column("n").to_pylist() == ["0", "1", "2"]
        both = {"bronze.channels_raw": "run_id = 'spark-run'", "bronze.videos_raw": None}
        assert spark_engine.counts(both) == {
            "bronze.channels_raw": 3,
            "bronze.videos_raw": spark_engine.count("bronze.videos_raw"),
        }
        assert spark_engine.delete("bronze.channels_raw", "run_id = 'spark-run'") == 3
        assert spark_engine.count("bronze.channels_raw") == before

    def test_an_old_breakdown_table_is_renamed_in_place_on_spark(self, spark_engine):
        """The migration's Spark path (Databricks runs the same statements on Delta)."""
        from ytlake.lakehouse.migrations import migrate

        spark_engine.bootstrap()
        old, new = "bronze.analytics_video_device_raw", "bronze.analytics_video_device_daily_raw"
        spark_engine.spark.sql(f"DROP TABLE IF EXISTS {old}").collect()
        spark_engine.spark.sql(f"ALTER TABLE {new} RENAME TO {old}").collect()
        spark_engine.spark.sql(
            f"INSERT INTO {old} VALUES (DATE'2026-01-01', TIMESTAMP'2026-01-02 00:00:00', 'emulator', 'r1', '1', 'run', '{{}}')"
        ).collect()
        assert migrate(spark_engine) == [f"renamed {old} to {new}"]
        assert not spark_engine.table_exists(old)
        assert spark_engine.query(f"SELECT request_id FROM {new}").column(0).to_pylist() == ["r1"]


# --- the whole job, twice, on Spark --------------------------------------------------------


@dataclass
class SparkJob:
    results: list[LocalRunResult]
    tables: dict[str, pa.Table]  # every Bronze raw, Silver and Gold table as the job left it
    outputs: list[dict[str, dict]]  # each run's recorded task outputs


@pytest.fixture(scope="module")
def spark_job(tmp_path_factory) -> SparkJob:
    """The two runs of tests/two_runs.py (the second lands the Reporting API's files, a video
    is retitled and one deleted between them) on the Spark engine, the first landing Bronze only:
    the second rebuilds every materialized view whole, and the streaming tables read the files,
    which only the second run lands. Its tables read out."""
    from pyspark.sql import SparkSession

    from ytlake.lakehouse.spark_engine import SparkEngine

    seed, _, _ = find_seed()
    lakehouse = tmp_path_factory.mktemp("spark-job") / "yt.duckdb"
    results = build_two_runs(lakehouse, seed, engine="spark", first_only=INGESTION)
    spark = SparkSession.getActiveSession()
    try:
        engine = SparkEngine(spark=spark)
        names = [f"bronze.{t}" for t in RAW_TABLES]
        names += [f"silver.{d.name}" for d in _silver_datasets() if d.kind != "TEMPORARY VIEW"]
        names += [f"gold.{m}" for m in GOLD]
        tables = {name: spark.table(name).toArrow() for name in names}
        outputs = [run_state.outputs(engine, r.run.run_id) for r in results]
    finally:
        spark.stop()
    return SparkJob(results, tables, outputs)


def test_the_whole_job_runs_on_the_spark_engine(spark_job):
    first, second = spark_job.results
    assert first.run_status == second.run_status == "SUCCEEDED"
    for table, rows in second.rows.items():  # the run's counts are Spark's own tables'
        if table.startswith(("silver.", "gold.")) and table in spark_job.tables:
            assert spark_job.tables[table].num_rows == rows, table
    assert second.rows["gold.gold_channel_daily_summary"] > 0
    # the second run landed the Reporting API's files on Spark and Silver read their lines
    assert second.rows[f"bronze.{BULK}"] > 0
    assert spark_job.tables["silver.silver_bulk_report_lines"].num_rows > 0
    first_tasks = set(spark_job.outputs[0])  # the first run landed Bronze, and built nothing
    assert (
        "ingest_analytics_api_to_bronze" in first_tasks
        and not {"run_lakeflow_pipeline", "dbt_run_gold"} & first_tasks
    )
    outputs = spark_job.outputs[1]
    assert outputs["run_lakeflow_pipeline"]["expectation_failures"] == []
    assert set(outputs) >= {"dbt_run_gold", "dbt_test", "optimize_tables"}  # all ran on Spark and passed


@pytest.fixture(scope="module")
def duckdb_from_spark_bronze(spark_job, tmp_path_factory):
    """A DuckDB lakehouse holding the Spark job's Bronze rows, Silver and Gold built there."""
    from dbt.cli.main import dbtRunner

    from ytlake.tasks.dbt import _release_duckdb, environment

    work = tmp_path_factory.mktemp("duckdb-parity")
    lakehouse = work / "yt.duckdb"
    with DuckDBEngine(lakehouse) as duck:
        duck.bootstrap()
        for table in RAW_TABLES:
            duck.append(f"bronze.{table}", spark_job.tables[f"bronze.{table}"])
        result = run_pipeline(duck, _silver_datasets(), "silver")
    project = paths.dbt_project_dir()
    env = {"YTLAKE_DUCKDB_PATH": str(lakehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    with environment(env):
        run = dbtRunner().invoke(
            [
                "run",
                *("--project-dir", str(project), "--profiles-dir", str(project), "--target", "local"),
                *("--target-path", str(work / "target"), "--log-path", str(work / "logs"), "--quiet"),
            ]
        )
        _release_duckdb()
    assert run.success, run.exception
    return lakehouse, result


def test_spark_and_duckdb_build_identical_silver(spark_job, duckdb_from_spark_bronze):
    lakehouse, result = duckdb_from_spark_bronze
    datasets = [d for d in _silver_datasets() if d.kind != "TEMPORARY VIEW"]
    assert len(result.datasets) == 32 and len(datasets) == 31  # one is a temporary view
    with DuckDBEngine(lakehouse) as duck:
        for ds in datasets:
            duck_rows = duck.query_native(f"SELECT * FROM silver.{ds.name}")
            spark_rows = spark_job.tables[f"silver.{ds.name}"]
            assert spark_rows.column_names == duck_rows.column_names, ds.name
            assert _rows(spark_rows) == _rows(duck_rows), ds.name


def test_spark_and_duckdb_build_identical_gold(spark_job, duckdb_from_spark_bronze):
    lakehouse, _ = duckdb_from_spark_bronze
    with DuckDBEngine(lakehouse) as duck:
        for mart in GOLD:
            duck_rows = duck.query_native(f"SELECT * FROM gold.{mart}")
            spark_rows = spark_job.tables[f"gold.{mart}"]
            assert spark_rows.num_rows > 0, mart
            assert spark_rows.column_names == duck_rows.column_names, mart
            assert _rows(spark_rows) == _rows(duck_rows), mart


def test_a_streaming_tables_next_update_appends_only_the_new_lines_on_spark(spark_job, tmp_path):
    """The job landed every file in one run; here the files' parts land in two halves with an
    update in between: the second appends the second half's lines only (Spark's incremental
    path), and the table ends as the job's."""
    from ytlake.lakehouse.spark_engine import SparkEngine

    [lines] = [d for d in _silver_datasets() if d.name == "silver_bulk_report_lines"]
    parts = spark_job.tables[f"bronze.{BULK}"].sort_by("request_id")
    half = parts.num_rows // 2
    spark = SparkEngine(warehouse=tmp_path / "spark")
    try:
        spark.bootstrap()
        spark.append(f"bronze.{BULK}", parts.slice(0, half))
        [first] = run_pipeline(spark, [lines], "silver").datasets
        spark.append(f"bronze.{BULK}", parts.slice(half))
        [again] = run_pipeline(spark, [lines], "silver").datasets
        assert 0 < first.rows < again.rows and again.added == again.rows - first.rows
        built = spark.spark.table(f"silver.{lines.name}").toArrow()
    finally:
        spark.spark.stop()
    assert _rows(built) == _rows(spark_job.tables[f"silver.{lines.name}"])
