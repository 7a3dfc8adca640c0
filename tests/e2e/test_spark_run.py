"""`ytlake run --engine spark`: the whole job on a local SparkSession (Silver by the Lakeflow
runner on Spark, Gold by dbt-spark's session method)."""

from datetime import timedelta

import pytest

from ytlake.runlocal import RunOptions, run_local

from ..conftest import TODAY

pytestmark = pytest.mark.slow


def test_the_whole_job_runs_on_the_spark_engine(tmp_path):
    from pyspark.sql import SparkSession

    result = run_local(
        RunOptions(
            source="demo",
            engine="spark",
            lakehouse=tmp_path / "yt.duckdb",
            today=TODAY,
            demo_seed=7,
            demo_videos=6,
            demo_history_days=21,
            start_date=TODAY - timedelta(days=10),
        )
    )
    assert result.run_status == "SUCCEEDED", {k: r.error for k, r in result.run.results.items() if r.error}
    # TODAY-10 .. TODAY-3: the channel report's subscribers and engaged views lag a day more
    assert result.rows["gold.gold_channel_daily_summary"] == 8  # rows are counted on Spark too
    assert result.rows["silver.fact_video_daily_metrics"] > 0
    spark = SparkSession.getActiveSession()
    try:
        assert spark.table("gold.gold_channel_daily_summary").count() == 8
        assert spark.table("silver.fact_video_country_metrics").count() > 0
    finally:
        spark.stop()
