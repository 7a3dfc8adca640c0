"""Malformed answers in Bronze: dropped by Silver expectations and counted in the event log;
a broken key stops the pipeline by name and leaves Silver as it was."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime

import duckdb
import pytest

from ytlake import paths
from ytlake.lakehouse import DuckDBEngine
from ytlake.lakehouse.bronze import BronzeBatch
from ytlake.runlocal import RunOptions, run_local
from ytlake.tasks import run_lakeflow_pipeline
from ytlake.youtube.reports import REPORTS_BY_NAME

from ..conftest import TODAY, UP_TO_SILVER

pytestmark = pytest.mark.slow


def _sql(path, query):
    con = duckdb.connect(str(path))
    try:
        return con.sql(query).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def healthy(tmp_path_factory):
    """One healthy run up to Silver, shared: each test works on its own copy."""
    path = tmp_path_factory.mktemp("healthy") / "yt.duckdb"
    result = run_local(
        RunOptions(
            source="demo",
            lakehouse=path,
            today=TODAY,
            demo_seed=7,
            demo_videos=6,
            demo_history_days=21,
            start_date=TODAY - __import__("datetime").timedelta(days=10),
        ),
        only=UP_TO_SILVER,
    )
    assert result.run_status == "SUCCEEDED"
    _sql(path, "CHECKPOINT")
    return path


@pytest.fixture
def lakehouse(healthy, tmp_path):
    path = tmp_path / "yt.duckdb"
    shutil.copy(healthy, path)
    return path, _sql(path, "SELECT channel_id FROM silver.silver_channels")[0][0]


DAILY = ("day", *REPORTS_BY_NAME["video_daily"].metrics)


def _daily(day, views, **metrics):
    """One row of a daily answer in DAILY's column order (metrics not given are 0)."""
    values = {"day": day, "views": views, **metrics}
    return [str(values.get(c, 0)) for c in DAILY]


def _answer(columns, rows):
    """An Analytics answer as Google sends it: columnHeaders, then rows in that order."""
    headers = [
        {
            "name": c,
            "columnType": "DIMENSION" if c in ("day", "country", "insightTrafficSourceType") else "METRIC",
        }
        for c in columns
    ]
    return {"kind": "youtubeAnalytics#resultTable", "columnHeaders": headers, "rows": rows}


COUNTRY = ("country", "views", "estimatedMinutesWatched")
TRAFFIC = ("insightTrafficSourceType", "day", "views", "estimatedMinutesWatched")


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
    return run_lakeflow_pipeline.main(
        [
            f"--lakehouse={path}",
            "--engine=duckdb",
            f"--job_run_id={run_id}",
            f"--include={paths.silver_sql_dir()}/**",
        ]
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
        _answer(DAILY, [_daily("2026-01-01", -5), _daily("not a day", 3)]),
    )
    _land(
        path,
        "analytics_video_traffic_source_daily_raw",
        {
            "ids": f"channel=={channel}",
            "filters": f"video=={video}",
            "startDate": "2026-03-01",
            "endDate": "2026-03-01",
        },
        _answer(
            ("insightTrafficSourceType", "day", "views", "estimatedMinutesWatched"),
            [["BRAND_NEW_SOURCE", "2026-03-01", "7", "9"]],
        ),
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
        _answer(DAILY, [_daily("2026-03-01", 1)]),
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
    batch_old = BronzeBatch("bronze.analytics_video_country_daily_raw", "r-old", TODAY, "emulator")
    batch_old.add(
        "v2/reports",
        params,
        200,
        json.dumps(_answer(COUNTRY, [["US", "5", "9"], ["JP", "1", "1"]])),
        ingest_ts_utc=datetime(2030, 1, 1, tzinfo=UTC),
    )
    batch_new = BronzeBatch("bronze.analytics_video_country_daily_raw", "r-new", TODAY, "emulator")
    batch_new.add(
        "v2/reports",
        params,
        200,
        json.dumps(_answer(COUNTRY, [["US", "7", "12"]])),
        ingest_ts_utc=datetime(2030, 1, 2, tzinfo=UTC),
    )
    traffic = {**params, "startDate": "2026-02-28", "endDate": day}
    t_old = BronzeBatch("bronze.analytics_video_traffic_source_daily_raw", "r-old", TODAY, "emulator")
    t_old.add(
        "v2/reports",
        traffic,
        200,
        json.dumps(_answer(TRAFFIC, [["YT_SEARCH", day, "3", "4"], ["EXT_URL", day, "1", "1"]])),
        ingest_ts_utc=datetime(2030, 1, 1, tzinfo=UTC),
    )
    t_new = BronzeBatch("bronze.analytics_video_traffic_source_daily_raw", "r-new", TODAY, "emulator")
    t_new.add(
        "v2/reports",
        traffic,
        200,
        json.dumps(_answer(TRAFFIC, [["YT_SEARCH", day, "4", "5"]])),
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


def test_values_are_read_by_column_header_whatever_the_order(lakehouse):
    """Google's data model: clients read columnHeaders. The same answer in another column order
    gives the same Silver rows."""
    path, channel = lakehouse
    video = _sql(path, "SELECT video_id FROM silver.silver_videos LIMIT 1")[0][0]
    params = {"ids": f"channel=={channel}", "filters": f"video=={video}", "startDate": "2030-01-01"}
    row = dict(zip(DAILY, _daily("2030-01-01", 120, engagedViews=100, likes=9, comments=2), strict=True))
    row["estimatedMinutesWatched"] = "300"
    shuffled = list(reversed(DAILY))
    _land(
        path,
        "analytics_video_daily_raw",
        {**params, "endDate": "2030-01-01"},
        _answer(shuffled, [[row[c] for c in shuffled]]),
    )
    _land(
        path,
        "analytics_video_traffic_source_daily_raw",
        {**params, "endDate": "2030-01-01"},
        _answer(
            ("views", "day", "estimatedMinutesWatched", "insightTrafficSourceType"),
            [["7", "2030-01-01", "9", "YT_SEARCH"]],
        ),
    )
    with DuckDBEngine(path) as engine:  # a snapshot date after the answer's day
        engine.execute("UPDATE bronze.analytics_video_daily_raw SET snapshot_date = DATE '2030-01-02'")
        engine.execute(
            "UPDATE bronze.analytics_video_traffic_source_daily_raw SET snapshot_date = DATE '2030-01-02'"
        )
    assert _pipeline(path) == 0
    assert _sql(
        path,
        "SELECT views, engaged_views, likes, comments, estimated_minutes_watched, is_filled "
        f"FROM silver.fact_video_daily_metrics WHERE video_id = '{video}' AND date = DATE '2030-01-01'",
    ) == [(120, 100, 9, 2, 300, False)]
    assert _sql(
        path,
        "SELECT source_id, views, estimated_minutes_watched FROM silver.fact_video_traffic_source_metrics "
        f"WHERE video_id = '{video}' AND date = DATE '2030-01-01'",
    ) == [("YT_SEARCH", 7, 9)]


def test_days_an_answer_left_out_are_zero_rows_marked_filled_up_to_the_last_day_reached(lakehouse):
    """Google leaves days without activity out of a `day` answer and ends an answer at the last
    day all its metrics are available: Silver fills the left-out days inside the answer's range
    up to the last day the run's answers reached, never beyond, and marks them."""
    path, channel = lakehouse
    video = _sql(path, "SELECT video_id FROM silver.silver_videos LIMIT 1")[0][0]
    params = {"ids": f"channel=={channel}", "filters": f"video=={video}"}
    # asked Jan 1..6; Jan 2 and 3 had no activity (left out); Jan 5 and 6 not available yet
    _land(
        path,
        "analytics_video_daily_raw",
        {**params, "startDate": "2030-01-01", "endDate": "2030-01-06"},
        _answer(DAILY, [_daily("2030-01-01", 5), _daily("2030-01-04", 2)]),
        run_id="sparse-run",
    )
    # an answer of another run that reached nothing fills nothing
    _land(
        path,
        "analytics_video_daily_raw",
        {**params, "startDate": "2030-02-01", "endDate": "2030-02-03"},
        _answer(DAILY, []),
        run_id="empty-run",
    )
    with DuckDBEngine(path) as engine:
        engine.execute("UPDATE bronze.analytics_video_daily_raw SET snapshot_date = DATE '2030-03-01'")
    assert _pipeline(path) == 0
    rows = _sql(
        path,
        "SELECT date, views, is_filled FROM silver.fact_video_daily_metrics "
        f"WHERE video_id = '{video}' AND date >= DATE '2030-01-01' ORDER BY date",
    )
    day = __import__("datetime").date
    assert rows == [
        (day(2030, 1, 1), 5, False),
        (day(2030, 1, 2), 0, True),
        (day(2030, 1, 3), 0, True),
        (day(2030, 1, 4), 2, False),
    ]
