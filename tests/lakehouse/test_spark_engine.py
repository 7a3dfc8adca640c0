"""The same Bronze DDL creates the same tables in a local SparkSession (parity)."""

from datetime import date

import pytest

from ytlake.lakehouse import DuckDBEngine
from ytlake.lakehouse.bronze import RAW_TABLES, BronzeBatch

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
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


def test_bootstrap_creates_the_same_tables_in_spark_and_duckdb(spark_engine, tmp_path):
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


def test_spark_append_query_delete(spark_engine):
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
    assert spark_engine.delete("bronze.channels_raw", "run_id = 'spark-run'") == 3
    assert spark_engine.count("bronze.channels_raw") == before


def test_an_old_breakdown_table_is_renamed_in_place_on_spark(spark_engine):
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
