"""Malformed answers in Bronze: dropped by Silver expectations and counted in the event log;
a broken key stops the pipeline by name and leaves Silver as it was."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import duckdb
import pytest

from ytlake import paths
from ytlake.lakehouse import DuckDBEngine
from ytlake.lakehouse.bronze import BronzeBatch
from ytlake.runlocal import RunOptions, run_local
from ytlake.tasks import run_lakeflow_pipeline
from ytlake.taskvalues import JobContext, LocalTaskValues, job_context

from ..conftest import TODAY

pytestmark = pytest.mark.slow


def _sql(path, query):
    con = duckdb.connect(str(path))
    try:
        return con.sql(query).fetchall()
    finally:
        con.close()


@pytest.fixture
def lakehouse(tmp_path):
    path = tmp_path / "yt.duckdb"
    result = run_local(
        RunOptions(
            source="demo",
            lakehouse=path,
            today=TODAY,
            demo_seed=7,
            demo_videos=6,
            demo_history_days=21,
            start_date=TODAY - __import__("datetime").timedelta(days=10),
        )
    )
    assert result.run_status == "SUCCEEDED"
    return path, _sql(path, "SELECT channel_id FROM silver.silver_channels")[0][0]


def _land(path, table, params, body, run_id="bad-run"):
    batch = BronzeBatch(f"bronze.{table}", run_id, TODAY, "emulator")
    batch.add(
        "v2/reports" if table.startswith("analytics") else "youtube/v3/videos",
        params,
        200,
        json.dumps(body),
        ingest_ts_utc=datetime(2030, 1, 1, tzinfo=UTC),
    )
    with DuckDBEngine(path) as engine:
        engine.append(f"bronze.{table}", batch.to_arrow())


def _pipeline(path, run_id="pipeline-check"):
    values = LocalTaskValues()
    values.current_task = "init_run_context"
    values.set("run_id", run_id)
    values.current_task = "run_lakeflow_pipeline"
    with job_context(JobContext(values)):
        return run_lakeflow_pipeline.main(
            [f"--lakehouse={path}", "--engine=duckdb", f"--include={paths.silver_sql_dir()}/**"]
        )


def test_malformed_items_are_dropped_and_counted_new_enum_ids_kept(lakehouse):
    path, channel = lakehouse
    before = _sql(path, "SELECT count(*) FROM silver.fact_video_daily_metrics")[0][0]
    video = _sql(path, "SELECT video_id FROM silver.silver_videos LIMIT 1")[0][0]
    _land(
        path,
        "videos_raw",
        {"part": "snippet", "id": "x"},
        {"items": [{"snippet": {"title": "no id"}}, {"id": "short", "snippet": {"channelId": channel}}]},
    )
    _land(
        path,
        "analytics_video_daily_raw",
        {
            "ids": f"channel=={channel}",
            "filters": f"video=={video}",
            "startDate": "2026-01-01",
            "endDate": "2026-01-02",
        },
        {
            "rows": [
                ["2026-01-01", "-5", "0", "0", "0", "0", "0", "0"],
                ["not a day", "3", "0", "0", "0", "0", "0", "0"],
            ]
        },
    )
    _land(
        path,
        "analytics_video_traffic_source_raw",
        {
            "ids": f"channel=={channel}",
            "filters": f"video=={video}",
            "startDate": "2026-03-01",
            "endDate": "2026-03-01",
        },
        {"rows": [["BRAND_NEW_SOURCE", "2026-03-01", "7", "9"]]},
    )
    assert _pipeline(path) == 0
    events = {
        (d, e): (passed, failed)
        for d, e, passed, failed in _sql(
            path,
            """
        SELECT dataset, expectation, passed_records, failed_records FROM bronze.lakeflow_event_log
        WHERE run_id = 'pipeline-check' AND event_type = 'expectation'""",
        )
    }
    assert events[("silver_video_stats_snapshot", "video_id_well_formed")][1] == 2
    assert events[("fact_video_daily_metrics", "metrics_non_negative")][1] >= 1
    assert events[("fact_video_daily_metrics", "date_in_range")][1] >= 1
    assert events[("fact_video_traffic_source_metrics", "source_id_known")][1] == 1  # warn: kept
    assert _sql(
        path,
        "SELECT views FROM silver.fact_video_traffic_source_metrics WHERE source_id = 'BRAND_NEW_SOURCE'",
    ) == [(7,)]
    assert (
        _sql(path, "SELECT count(*) FROM silver.fact_video_daily_metrics")[0][0] == before
    )  # bad rows dropped
    assert _sql(
        path, "SELECT count(*) FROM silver.silver_videos WHERE video_id IS NULL OR length(video_id) <> 11"
    ) == [(0,)]


def test_a_fail_update_expectation_fails_the_task_by_name_and_keeps_silver(lakehouse):
    path, _ = lakehouse
    before = _sql(path, "SELECT count(*), sum(views) FROM silver.fact_video_daily_metrics")
    _land(
        path,
        "analytics_video_daily_raw",
        {
            "ids": "channel==BROKEN",
            "filters": "video==abcdefghijk",
            "startDate": "2026-03-01",
            "endDate": "2026-03-01",
        },
        {"rows": [["2026-03-01", "1", "0", "0", "0", "0", "0", "0"]]},
    )
    from ytlake.lakeflow import ExpectationFailedError

    with pytest.raises(ExpectationFailedError, match=r"channel_id_well_formed.*fact_video_daily_metrics"):
        _pipeline(path, run_id="failing")
    assert _sql(path, "SELECT count(*), sum(views) FROM silver.fact_video_daily_metrics") == before
    failure = _sql(
        path,
        "SELECT dataset, expectation, failed_records FROM bronze.lakeflow_event_log "
        "WHERE run_id = 'failing' AND event_type = 'failure'",
    )
    assert failure == [("fact_video_daily_metrics", "channel_id_well_formed", 1)]


def test_a_category_a_restatement_dropped_does_not_linger(lakehouse):
    """An older answer had JP for a day; the restated (newer) answer for that day has no JP
    row: Silver keeps only the newer answer's countries and traffic sources for that day."""
    path, channel = lakehouse
    video = _sql(path, "SELECT video_id FROM silver.silver_videos LIMIT 1")[0][0]
    day = "2026-03-01"
    params = {"ids": f"channel=={channel}", "filters": f"video=={video}", "startDate": day, "endDate": day}
    batch_old = BronzeBatch("bronze.analytics_video_country_raw", "r-old", TODAY, "emulator")
    batch_old.add(
        "v2/reports",
        params,
        200,
        json.dumps({"rows": [["US", "5", "9"], ["JP", "1", "1"]]}),
        ingest_ts_utc=datetime(2030, 1, 1, tzinfo=UTC),
    )
    batch_new = BronzeBatch("bronze.analytics_video_country_raw", "r-new", TODAY, "emulator")
    batch_new.add(
        "v2/reports",
        params,
        200,
        json.dumps({"rows": [["US", "7", "12"]]}),
        ingest_ts_utc=datetime(2030, 1, 2, tzinfo=UTC),
    )
    traffic = {**params, "startDate": "2026-02-28", "endDate": day}
    t_old = BronzeBatch("bronze.analytics_video_traffic_source_raw", "r-old", TODAY, "emulator")
    t_old.add(
        "v2/reports",
        traffic,
        200,
        json.dumps({"rows": [["YT_SEARCH", day, "3", "4"], ["EXT_URL", day, "1", "1"]]}),
        ingest_ts_utc=datetime(2030, 1, 1, tzinfo=UTC),
    )
    t_new = BronzeBatch("bronze.analytics_video_traffic_source_raw", "r-new", TODAY, "emulator")
    t_new.add(
        "v2/reports",
        traffic,
        200,
        json.dumps({"rows": [["YT_SEARCH", day, "4", "5"]]}),
        ingest_ts_utc=datetime(2030, 1, 2, tzinfo=UTC),
    )
    with DuckDBEngine(path) as engine:
        for b in (batch_old, batch_new, t_old, t_new):
            engine.append(b.table, b.to_arrow())
    assert _pipeline(path) == 0
    assert _sql(
        path,
        f"SELECT country_code, views FROM silver.fact_video_country_metrics "
        f"WHERE video_id = '{video}' AND date = DATE '{day}'",
    ) == [("US", 7)]
    assert _sql(
        path,
        f"SELECT source_id, views FROM silver.fact_video_traffic_source_metrics "
        f"WHERE video_id = '{video}' AND date = DATE '{day}'",
    ) == [("YT_SEARCH", 4)]
