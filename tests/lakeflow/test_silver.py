"""The thirty-two Silver datasets, built from emulator runs, against the emulator's truth
(the bulk-only facts are checked against the daily figures in tests/e2e/test_bulk_modes.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ytlake import paths
from ytlake.lakeflow import discover
from ytlake.lakeflow.translate import query_sql

from ..two_runs import T1, T2

pytestmark = pytest.mark.slow

GRAINS = {
    "silver_channels": ["channel_id"],
    "silver_videos": ["video_id"],
    "silver_video_stats_snapshot": ["video_id", "run_id"],
    "silver_video_content_types": ["video_id"],
    "silver_video_metadata_scd2": ["video_id", "valid_from_utc"],
    "fact_channel_daily_metrics": ["channel_id", "date"],
    "fact_video_daily_metrics": ["video_id", "date"],
    "fact_video_traffic_source_metrics": ["video_id", "date", "source_id"],
    "fact_video_country_metrics": ["video_id", "date", "country_code"],
    "fact_video_device_metrics": ["video_id", "date", "device_type"],
    "dim_date": ["date"],
    "dim_traffic_source": ["source_id"],
    "dim_device": ["device_type"],
    "dim_country": ["country_code"],
    "dim_country_reference": ["country_code"],
    "dim_playback_location": ["bulk_code"],
    "dim_sharing_service": ["bulk_code"],
    "silver_channel_grants": ["channel_id"],
    "fact_video_retention": ["video_id", "as_of_date", "elapsed_video_time_ratio"],
}
#: Revenue: empty without the monetary scope (the runs here have none); built and checked on
#: their grain by tests/e2e/test_revenue.py
REVENUE_GRAINS = {
    "fact_revenue_daily": ["channel_id", "video_id", "date"],
    "fact_ad_type_daily": ["channel_id", "video_id", "date", "ad_type"],
}
#: Built from the Reporting API's files (the second run lands them; tests/e2e/test_bulk_modes.py)
BULK_GRAINS = {
    "silver_bulk_report_parts": ["request_id"],
    "silver_bulk_report_files": ["channel_id", "report_type", "date"],
    "silver_bulk_report_lines": ["report_id", "attempt", "part", "line"],
    "silver_bulk_report_rows": ["report_id", "part", "line"],  # a temporary view
    "fact_video_subscribed_status_metrics": ["video_id", "date", "subscribed_status"],
    "fact_video_live_on_demand_metrics": ["video_id", "date", "live_or_on_demand"],
    "fact_video_playback_location_metrics": [
        "video_id",
        "date",
        "playback_location_type",
        "playback_location_detail",
    ],
    "fact_video_province_metrics": ["video_id", "date", "province_code"],
    "fact_video_sharing_service_metrics": ["video_id", "date", "sharing_service"],
    "fact_video_subtitle_metrics": [
        "video_id",
        "date",
        "subtitle_language",
        "subtitle_language_autotranslated",
    ],
    "fact_video_demographics": [
        "video_id",
        "date",
        "live_or_on_demand",
        "subscribed_status",
        "country_code",
        "age_group",
        "gender",
    ],
}


def test_the_pipeline_has_exactly_the_thirty_two_datasets():
    datasets = discover(str(paths.silver_sql_dir() / "**"))
    grains = {**GRAINS, **BULK_GRAINS, **REVENUE_GRAINS}
    assert {d.name for d in datasets} == set(grains)
    for d in datasets:  # each declares the grain it is tested on
        assert d.properties["ytlake.grain"] == ",".join(grains[d.name]), d.name


@pytest.mark.parametrize("dataset", sorted({**GRAINS, **BULK_GRAINS}))
def test_every_dataset_is_built_and_unique_on_its_grain(built, dataset):
    keys = ", ".join({**GRAINS, **BULK_GRAINS}[dataset])
    [ds] = [d for d in discover(str(paths.silver_sql_dir() / "**")) if d.name == dataset]
    # a temporary view is not in the lakehouse: its query is read over the built tables
    read = (
        f"({query_sql(ds, 'duckdb', set(BULK_GRAINS) | set(GRAINS), 'silver')})"
        if ds.kind == "TEMPORARY VIEW"
        else f"silver.{dataset}"
    )
    [(rows, distinct)] = built.sql(f"SELECT count(*), count(DISTINCT ({keys})) FROM {read}")
    assert rows > 0
    assert rows == distinct


def test_channel_and_video_daily_facts_equal_the_restated_truth(built):
    world = built.world(T2)
    truth = built.truths()
    assert len(built.as_of()) > 30  # the second run landed the 30 days before the jobs and the days since
    channel = {
        d: (v, s)
        for d, v, s in built.sql("SELECT date, views, source FROM silver.fact_channel_daily_metrics")
    }
    assert channel == {d: (truth(d, s).observed_channel_day(1, d).views, s) for d, (_, s) in channel.items()}
    assert max(channel) == T2 - timedelta(days=2) and min(channel) == T1 - timedelta(days=90)
    rows = built.sql(
        "SELECT video_id, date, views, likes, estimated_minutes_watched, subscribers_lost, shares, "
        "videos_added_to_playlists, videos_removed_from_playlists, source FROM silver.fact_video_daily_metrics"
    )
    as_of = built.as_of()
    for video_id, day, views, likes, minutes, lost, shares, adds, removals, source in rows:
        if day in as_of and video_id != built.deleted.video_id:  # the day's file has the video's line
            file_had = truth(day, "bulk").observed_video_day(world.video(video_id), day)
            assert source == ("bulk" if file_had.views or file_had.likes or file_had.comments else source)
        w = truth(day, source, video_id)
        m = w.observed_video_day(w.video(video_id), day)
        assert (views, likes, minutes, lost, shares, adds, removals) == (
            m.views,
            m.likes,
            m.estimated_minutes_watched,
            m.subscribers_lost,
            m.shares,
            m.playlist_adds,
            m.playlist_removals,
        )
    # complete: every alive video has a row per day from its publication to the window end
    for v in world.videos_of(1, T2):
        first = max(v.published_date, T1 - timedelta(days=90))
        n = built.sql(
            f"SELECT count(*) FROM silver.fact_video_daily_metrics WHERE video_id = '{v.video_id}'"
        )[0][0]
        assert n == max((T2 - timedelta(days=2) - first).days + 1, 0)  # none: published after the window


@pytest.mark.parametrize(
    ("dataset", "key", "kind"),
    [
        ("fact_video_traffic_source_metrics", "source_id", "traffic"),
        ("fact_video_device_metrics", "device_type", "device"),
        ("fact_video_country_metrics", "country_code", "country"),
    ],
)
def test_breakdown_facts_equal_the_truth_and_sum_to_daily_views(built, dataset, key, kind):
    truth = built.truths()
    got = {
        (v, d, k): (views, minutes)
        for v, d, k, views, minutes in built.sql(
            f"SELECT video_id, date, {key}, views, estimated_minutes_watched FROM silver.{dataset}"
        )
    }
    sources = dict(
        ((v, d), s) for v, d, s in built.sql(f"SELECT DISTINCT video_id, date, source FROM silver.{dataset}")
    )
    expected: dict[tuple, tuple[int, int]] = {}
    for v, d in {(v, d) for v, d, _ in got}:
        bulk = sources[(v, d)] == "bulk"
        world = truth(d, sources[(v, d)], v)
        for k, m in world.breakdown(kind, world.video(v), d).items():
            if bulk and k == "NO_LINK_EMBEDDED":  # the Reporting API counts it as external (9)
                k = "EXT_URL"
            old = expected.get((v, d, k), (0, 0))
            expected[(v, d, k)] = (old[0] + m.views, old[1] + m.estimated_minutes_watched)
    assert got == expected
    assert "bulk" in set(sources.values())  # the world starts 30 days before T1: files cover it all
    mismatched = built.sql(f"""
        SELECT count(*) FROM (SELECT video_id, date, sum(views) AS v FROM silver.{dataset} GROUP BY 1, 2) b
        JOIN silver.fact_video_daily_metrics f USING (video_id, date) WHERE b.v <> f.views""")
    assert mismatched == [(0,)]


def test_restated_days_keep_the_latest_version_only(built):
    day = T1 - timedelta(days=2)  # provisional on T1, restated by T2
    versions = built.sql(f"""
        SELECT count(*) FROM (
          SELECT unnest(from_json(payload ->> '$.body.rows', '[["VARCHAR"]]')) AS r
          FROM bronze.analytics_channel_daily_raw WHERE payload ->> '$.status' = '200') WHERE r[1] = '{day}'""")
    assert versions == [(1,)]  # v2 answered it on T1; on T2 its file came (hybrid asks v2 no more)
    assert day in built.as_of()
    [(views, source)] = built.sql(
        f"SELECT views, source FROM silver.fact_channel_daily_metrics WHERE date = DATE '{day}'"
    )
    assert source == "bulk"
    assert views == built.world(T2).observed_channel_day(1, day).views
    assert views > built.world(T1).observed_channel_day(1, day).views


def test_a_retitled_video_gets_a_closed_old_version_and_a_current_new_one(built):
    v = built.retitled
    versions = built.sql(
        f"SELECT version_number, title, tags, valid_to_utc IS NULL, is_current, video_version_key "
        f"FROM silver.silver_video_metadata_scd2 WHERE video_id = '{v.video_id}' ORDER BY 1"
    )
    assert [(n, title, current) for n, title, _, _, current, _ in versions] == [
        (1, v.title, False),
        (2, f"{v.title} (updated)", True),
    ]
    assert "updated" in versions[1][2].split("|")
    [(title, key)] = built.sql(
        f"SELECT title, current_version_key FROM silver.silver_videos WHERE video_id = '{v.video_id}'"
    )
    assert (title, key) == (f"{v.title} (updated)", f"{v.video_id}:2")
    [(closed_at, opened_at)] = built.sql(f"""
        SELECT a.valid_to_utc, b.valid_from_utc FROM silver.silver_video_metadata_scd2 a
        JOIN silver.silver_video_metadata_scd2 b ON a.video_id = b.video_id AND b.version_number = 2
        WHERE a.video_id = '{v.video_id}' AND a.version_number = 1""")
    assert closed_at == opened_at


def test_a_deleted_video_is_marked_from_the_run_that_stopped_seeing_it(built):
    rows = built.sql(
        f"SELECT is_deleted, last_seen_date FROM silver.silver_videos WHERE video_id = '{built.deleted.video_id}'"
    )
    assert rows == [(True, T1)]
    assert built.sql("SELECT count(*) FROM silver.silver_videos WHERE is_deleted") == [(1,)]


def test_dimensions_cover_the_facts(built):
    assert built.sql(
        "SELECT count(*) FROM silver.fact_video_traffic_source_metrics WHERE NOT is_known_source"
    ) == [(0,)]
    assert built.sql("SELECT count(*) FROM silver.dim_country WHERE NOT is_known_country") == [(0,)]
    [(first, last, n)] = built.sql("SELECT min(date), max(date), count(*) FROM silver.dim_date")
    assert (first, last, n) == (T1 - timedelta(days=90), T2 - timedelta(days=2), (T2 - T1).days + 89)
    names = dict(
        built.sql(
            "SELECT date, day_name FROM silver.dim_date WHERE date BETWEEN DATE '2026-03-09' AND DATE '2026-03-10'"
        )
    )
    assert names == {T1 - timedelta(days=1): "Monday", T1: "Tuesday"}
    assert built.sql(
        "SELECT iso_day_of_week, is_weekend FROM silver.dim_date WHERE date = DATE '2026-03-08'"
    ) == [(7, True)]


def test_bulk_only_facts_add_up_to_the_daily_figures(built):
    daily = dict(
        ((v, d), n)
        for v, d, n in built.sql("SELECT video_id, date, views FROM silver.fact_video_daily_metrics")
    )
    for fact in ("fact_video_subscribed_status_metrics", "fact_video_live_on_demand_metrics"):
        sums = built.sql(f"SELECT video_id, date, sum(views) FROM silver.{fact} GROUP BY 1, 2")
        assert sums and all(daily[(v, d)] == n for v, d, n in sums), fact
    for fact in ("fact_video_playback_location_metrics", "fact_video_province_metrics"):
        sums = built.sql(f"SELECT video_id, date, sum(views) FROM silver.{fact} GROUP BY 1, 2")
        assert sums and all(n <= daily[(v, d)] for v, d, n in sums), fact
    shares = built.sql(
        "SELECT sum(viewer_percentage), count(*), max(source) FROM silver.fact_video_demographics "
        "GROUP BY video_id, date, live_or_on_demand, subscribed_status, country_code",
    )
    # each segment's shares: whole in a day's file; in a v2 answer each is rounded to a tenth
    assert shares and all(abs(s - 100) <= (0.05 * n if src == "query" else 0) + 1e-6 for s, n, src in shares)
