"""The whole job under Google as it really answers: each irregularity of the emulator alone,
then all together. Each run ends with the status Google's behaviour calls for, and Gold
equals what the API answers for the same queries, read independently with the official
google-api-python-client (values by their columnHeaders): nothing lost, nothing invented
except the zero days Silver fills, which are marked (is_filled) and are days the answer
left out."""

from __future__ import annotations

import json
from datetime import date, timedelta

import duckdb
import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build

from ytlake.emulator.oauth import ANALYTICS_READONLY
from ytlake.emulator.rules import Irregularities, available_through
from ytlake.emulator.server import running_emulator
from ytlake.emulator.service import EmulatorConfig
from ytlake.emulator.world import World
from ytlake.runlocal import RunOptions, run_local
from ytlake.youtube.reports import REPORTS_BY_NAME

from ..conftest import INGESTION, TODAY, UP_TO_SILVER, consented_refresh_token, tiny_world_config

pytestmark = pytest.mark.slow

NEXT_DAY = TODAY + timedelta(days=1)
WORLD_START = World(tiny_world_config(videos=8, history_days=40, seed=5)).start
#: The window starts before the channel's first upload: days without activity exist.
START = WORLD_START - timedelta(days=5)


def world(today: date = TODAY, **kw):
    return tiny_world_config(videos=8, history_days=40, seed=5, start=WORLD_START, today=today, **kw)


def only(**kw) -> EmulatorConfig:
    """The ideal world with the named irregularities on."""
    values = {"privacy_threshold": 0, "metric_latency": False, "sparse_days": False, "shuffle_columns": False}
    config = {k: kw.pop(k) for k in list(kw) if k not in values}
    return EmulatorConfig(irregular=Irregularities(**{**values, **kw}), **config)


ALL = EmulatorConfig(irregular=Irregularities(privacy_threshold=5, shuffle_columns=True))


def run(base_url: str, lake, today: date = TODAY, only=None, **kw):
    """A whole run; ``only=INGESTION`` for a case about what lands (finalize closes it too)."""
    kw.setdefault("start_date", START)
    options = RunOptions(source="demo", api_root=base_url, lakehouse=lake, today=today, **kw)
    return run_local(options, only=only)


def sql(lake, query: str) -> list[tuple]:
    con = duckdb.connect(str(lake))
    try:
        return con.sql(query).fetchall()
    finally:
        con.close()


def summary(lake) -> dict:
    return json.loads(
        sql(lake, "SELECT summary FROM bronze.run_context_log ORDER BY started_ts_utc DESC")[0][0]
    )


# -- the oracle: the same queries, asked with the official client ----------------------------
ENGAGEMENT = (
    "views",
    "engaged_views",
    "likes",
    "comments",
    "shares",
    "videos_added_to_playlists",
    "videos_removed_from_playlists",
    "estimated_minutes_watched",
    "subscribers_gained",
)
MARTS = {
    "analytics_channel_daily_raw": (
        "gold_channel_daily_summary",
        "channel_id",
        None,
        ENGAGEMENT,
    ),
    "analytics_video_daily_raw": (
        "gold_video_daily_summary",
        "video_id",
        None,
        ENGAGEMENT,
    ),
    "analytics_video_traffic_source_daily_raw": (
        "gold_video_traffic_source_daily_summary",
        "video_id",
        ("insightTrafficSourceType", "source_id"),
        ("views", "estimated_minutes_watched"),
    ),
    "analytics_video_device_daily_raw": (
        "gold_video_device_daily_summary",
        "video_id",
        ("deviceType", "device_type"),
        ("views", "estimated_minutes_watched"),
    ),
    "analytics_video_country_daily_raw": (
        "gold_video_country_daily_summary",
        "video_id",
        ("country", "country_code"),
        ("views", "estimated_minutes_watched"),
    ),
}
API_NAME = {
    "views": "views",
    "engaged_views": "engagedViews",
    "likes": "likes",
    "comments": "comments",
    "shares": "shares",
    "videos_added_to_playlists": "videosAddedToPlaylists",
    "videos_removed_from_playlists": "videosRemovedFromPlaylists",
    "estimated_minutes_watched": "estimatedMinutesWatched",
    "subscribers_gained": "subscribersGained",
}


def official_analytics(base_url: str, refresh_token: str = "ytlake-demo-refresh-token"):
    creds = Credentials(
        token=None,
        refresh_token=refresh_token,
        token_uri=f"{base_url}/token",
        client_id="ytlake-demo-client",
        client_secret="ytlake-demo-secret",
    )
    return build(
        "youtubeAnalytics",
        "v2",
        credentials=creds,
        static_discovery=True,
        client_options={"api_endpoint": base_url},
    )


def assert_gold_equals_the_api(
    base_url: str, lake, refresh_token: str = "ytlake-demo-refresh-token", channel_id: str | None = None
) -> dict[str, int]:
    """Every query the last run asked (in Bronze; of ``channel_id`` alone when given) asked
    again with the official client (with ``refresh_token``, that channel owner's); Gold's rows
    for those scopes and days are exactly the API's rows, plus zero rows marked filled on days
    the answer left out. Returns the filled rows per mart."""
    ya = official_analytics(base_url, refresh_token)
    only = f" AND payload ->> '$.request.params.ids' = 'channel=={channel_id}'" if channel_id else ""
    [(run_id,)] = sql(lake, "SELECT run_id FROM bronze.run_context_log ORDER BY started_ts_utc DESC LIMIT 1")
    filled = {}
    for table, (mart, scope_col, category, metrics) in MARTS.items():
        expected, covered = set(), set()
        for (payload,) in sql(
            lake,
            f"SELECT payload FROM bronze.{table} WHERE run_id = '{run_id}' AND payload ->> '$.status' = '200'"
            + only,
        ):
            params = json.loads(payload)["request"]["params"]
            answer = ya.reports().query(**params).execute()
            names = [h["name"] for h in answer["columnHeaders"]]
            scope = (params.get("filters") or params["ids"]).split("==")[1]
            day = date.fromisoformat(params["startDate"])
            while day <= date.fromisoformat(params["endDate"]):
                covered.add((scope, day))
                day += timedelta(days=1)
            for row in answer.get("rows", []):
                r = dict(zip(names, row, strict=True))
                day = date.fromisoformat(r.get("day", params["startDate"]))
                key = (scope, day, *((r[category[0]],) if category else ()))
                expected.add((*key, *(r[API_NAME[m]] for m in metrics)))
        cols = [scope_col, "date", *((category[1],) if category else ()), *metrics]
        filled_sql = (
            "is_filled" if mart in ("gold_channel_daily_summary", "gold_video_daily_summary") else "false"
        )
        rows = sql(lake, f"SELECT {', '.join(cols)}, {filled_sql} FROM gold.{mart}")
        in_scope = [r for r in rows if (r[0], r[1]) in covered]
        got = {r[:-1] for r in in_scope if not r[-1]}
        assert got == expected, (mart, sorted(got ^ expected)[:5])
        marked = [r for r in in_scope if r[-1]]
        answered_days = {(e[0], e[1]) for e in expected}
        assert all(not any(r[len(cols) - len(metrics) : -1]) for r in marked), mart  # zeros
        assert all((r[0], r[1]) not in answered_days for r in marked), mart  # only days left out
        filled[mart] = len(marked)
    return filled


def assert_retention_equals_the_api(base_url: str, lake) -> int:
    """Each audience retention curve the last run asked for, asked again with the official
    client, is Gold's curve of that video; returns how many curves had points."""
    ya = official_analytics(base_url)
    [(run_id,)] = sql(lake, "SELECT run_id FROM bronze.run_context_log ORDER BY started_ts_utc DESC LIMIT 1")
    curves = 0
    for (payload,) in sql(
        lake,
        "SELECT payload FROM bronze.analytics_video_retention_raw "
        f"WHERE run_id = '{run_id}' AND payload ->> '$.status' = '200'",
    ):
        params = json.loads(payload)["request"]["params"]
        answer = ya.reports().query(**params).execute()
        names = [h["name"] for h in answer["columnHeaders"]]
        expected = {
            (r["elapsedVideoTimeRatio"], r["audienceWatchRatio"], r["relativeRetentionPerformance"])
            for r in (dict(zip(names, row, strict=True)) for row in answer.get("rows", []))
        }
        video_id = params["filters"].split("==")[1]
        got = set(
            sql(
                lake,
                "SELECT elapsed_video_time_ratio, audience_watch_ratio, relative_retention_performance "
                f"FROM gold.gold_video_retention WHERE video_id = '{video_id}' AND as_of_date = DATE '{params['endDate']}'",
            )
        )
        assert got == expected, ("gold_video_retention", video_id)
        curves += bool(expected)
    return curves


#: The Analytics API's spelling of the age groups and genders -> the Reporting API's (Gold's):
#: the two documented vocabularies of the same groups.
AGE_CODES = {
    "age13-17": "AGE_13_17",
    "age18-24": "AGE_18_24",
    "age25-34": "AGE_25_34",
    "age35-44": "AGE_35_44",
    "age45-54": "AGE_45_54",
    "age55-64": "AGE_55_64",
    "age65-": "AGE_65_",
}
GENDER_CODES = {"female": "FEMALE", "male": "MALE", "user_specified": "GENDER_OTHER"}


def assert_demographics_equal_the_api(base_url: str, lake) -> tuple[int, int]:
    """Each demographics answer the last run asked for (one video, one day), asked again with
    the official client, is Gold's audience of that video-day: the same cells, the same
    percentages (Google's cells withheld stay out, never renormalised). Returns the video-days
    asked and how many of them Google answered with cells."""
    ya = official_analytics(base_url)
    [(run_id,)] = sql(lake, "SELECT run_id FROM bronze.run_context_log ORDER BY started_ts_utc DESC LIMIT 1")
    asked = answered = 0
    for (payload,) in sql(
        lake,
        "SELECT payload FROM bronze.analytics_video_demographics_daily_raw "
        f"WHERE run_id = '{run_id}' AND payload ->> '$.status' = '200'",
    ):
        params = json.loads(payload)["request"]["params"]
        assert params["startDate"] == params["endDate"]
        answer = ya.reports().query(**params).execute()
        names = [h["name"] for h in answer["columnHeaders"]]
        expected = {
            (AGE_CODES[r["ageGroup"]], GENDER_CODES[r["gender"]], r["viewerPercentage"])
            for r in (dict(zip(names, row, strict=True)) for row in answer.get("rows", []))
        }
        video_id = params["filters"].split("==")[1]
        got = {
            (age, gender, round(percentage, 1))
            for age, gender, percentage in sql(
                lake,
                "SELECT age_group, gender, viewer_percentage FROM gold.gold_video_audience_daily "
                f"WHERE video_id = '{video_id}' AND date = DATE '{params['startDate']}'",
            )
        }
        assert got == expected, ("gold_video_audience_daily", video_id, params["startDate"])
        asked += 1
        answered += bool(expected)
    return asked, answered


# -- all the irregularities together (the default run), each alone (`-m campaign`) -------------
CAMPAIGN = pytest.mark.campaign


@pytest.mark.parametrize(
    ("name", "config"),
    [
        pytest.param("privacy_threshold", only(privacy_threshold=5), marks=CAMPAIGN),
        pytest.param("metric_latency", only(metric_latency=True), marks=CAMPAIGN),
        pytest.param("sparse_days", only(sparse_days=True), marks=CAMPAIGN),
        pytest.param("shuffle_columns", only(shuffle_columns=True), marks=CAMPAIGN),
        ("all_together", ALL),
    ],
)
def test_the_job_succeeds_and_gold_equals_what_the_api_answers(tmp_path, name, config):
    lake = tmp_path / "yt.duckdb"
    with running_emulator(world(), config) as emu:
        result = run(emu.base_url, lake)
        assert result.run_status == "SUCCEEDED", {
            k: r.error for k, r in result.run.results.items() if r.error
        }
        filled = assert_gold_equals_the_api(emu.base_url, lake)
        assert assert_retention_equals_the_api(emu.base_url, lake) > 0  # a first run asks every curve
        asked, answered = assert_demographics_equal_the_api(emu.base_url, lake)
        assert asked > 0  # a first run asks every video-day with views
        if not config.irregular.privacy_threshold:
            assert answered == asked
    s = summary(lake)
    shortfall = s["quality"]["breakdown_shortfall"]
    withheld = sum(f["withheld_views"] for f in shortfall.values())
    if config.irregular.privacy_threshold:  # measured and reported, a warning not an error
        assert withheld > 0 and any("privacy threshold" in w for w in s["warnings"])
    else:
        assert withheld == 0
    if config.irregular.sparse_days:  # the days before the first upload, at least
        assert filled["gold_channel_daily_summary"] >= 5
        assert s["quality"]["filled_days"]["channel_days"] == filled["gold_channel_daily_summary"]
        assert s["quality"]["filled_days"]["video_days"] == filled["gold_video_daily_summary"]
    else:
        assert sum(filled.values()) == 0
    last = sql(lake, "SELECT max(date) FROM gold.gold_channel_daily_summary")[0][0]
    metrics = REPORTS_BY_NAME["channel_daily"].metrics
    assert last == available_through(emu.world, metrics, config.irregular)


def test_lookback_shorter_than_the_latency_leaves_no_gap(tmp_path):
    """The cursor is the last day that came back with data, so a report that ends a day early
    (metric latency) is asked again from there, whatever --lookback-days says."""
    lake = tmp_path / "yt.duckdb"
    config = only(metric_latency=True)
    last = NEXT_DAY + timedelta(days=1)
    for today in (TODAY, NEXT_DAY, last):  # Gold (rebuilt whole from Silver) by the last run
        with running_emulator(world(today), config) as emu:
            tasks = None if today == last else UP_TO_SILVER
            assert run(emu.base_url, lake, today, only=tasks, lookback_days=0).run_status == "SUCCEEDED"
    days = [d for (d,) in sql(lake, "SELECT date FROM gold.gold_channel_daily_summary ORDER BY date")]
    assert days == [START + timedelta(days=i) for i in range((days[-1] - START).days + 1)]
    assert days[-1] == available_through(
        emu.world, REPORTS_BY_NAME["channel_daily"].metrics, config.irregular
    )


def test_a_channel_without_uploads_lands_its_channel_facts_and_succeeds(tmp_path):
    lake = tmp_path / "yt.duckdb"
    with running_emulator(tiny_world_config(videos=0), EmulatorConfig()) as emu:
        result = run(emu.base_url, lake)
    assert result.run_status == "SUCCEEDED", {k: r.error for k, r in result.run.results.items() if r.error}
    assert sql(lake, "SELECT count(*) FROM silver.silver_channels") == [(1,)]
    assert sql(lake, "SELECT count(*) FROM silver.silver_videos") == [(0,)]
    assert sql(lake, "SELECT payload ->> '$.status' FROM bronze.playlist_items_raw") == [("404",)]
    # the channel's Analytics answer came back without rows (no activity, ever): nothing to
    # fill (no day is known to be available), a warning, not a stale-Gold failure
    assert sql(
        lake,
        "SELECT payload ->> '$.status', payload ->> '$.body.rows' FROM bronze.analytics_channel_daily_raw",
    ) == [("200", None)]
    assert sql(lake, "SELECT count(*) FROM gold.gold_channel_daily_summary") == [(0,)]
    assert "dbt warn: warn_channel_without_analytics_days" in summary(lake)["warnings"]


def test_a_playlist_shorter_than_the_video_count_is_a_warning(tmp_path):
    lake = tmp_path / "yt.duckdb"
    with running_emulator(world(), EmulatorConfig(playlist_cap=3)) as emu:
        result = run(emu.base_url, lake)
    assert result.run_status == "SUCCEEDED"
    assert any("uploads playlist lists 3 video(s)" in w for w in summary(lake)["warnings"])


@pytest.mark.parametrize("shape", ["quotaExceeded", "dailyLimitExceeded", "rateLimitExceeded"])
def test_a_spent_analytics_quota_in_any_shape_ends_partial_and_the_next_day_completes(tmp_path, shape):
    lake = tmp_path / "yt.duckdb"
    with running_emulator(world(), EmulatorConfig(analytics_quota=30, quota_error=shape)) as emu:
        first = run(emu.base_url, lake, only=INGESTION)
        retries = sum(summary(lake)["retries"]["ingest_analytics_api_to_bronze"].values())
    assert first.run_status == "PARTIAL"
    assert retries == 0  # a spent quota is not retried
    assert any("Analytics quota exceeded" in p for p in summary(lake)["partial"])
    with running_emulator(world(NEXT_DAY), EmulatorConfig()) as emu:
        # what lands the next day does not depend on the shape: Gold is checked for one
        whole = shape == "quotaExceeded"
        assert run(emu.base_url, lake, NEXT_DAY, only=None if whole else INGESTION).run_status == "SUCCEEDED"
        if whole:
            assert_gold_equals_the_api(emu.base_url, lake)


@pytest.mark.parametrize("shape", ["dailyLimitExceeded", "rateLimitExceeded"])
def test_a_spent_data_api_quota_in_another_shape_ends_partial(tmp_path, shape):
    lake = tmp_path / "yt.duckdb"
    with running_emulator(world(), EmulatorConfig(data_api_quota=2, quota_error=shape)) as emu:
        result = run(emu.base_url, lake, only=INGESTION)
    assert result.run_status == "PARTIAL"
    assert any("Data API quota exceeded" in p for p in summary(lake)["partial"])


def test_retries_that_run_out_end_partial_with_what_landed(tmp_path, monkeypatch):
    """Google's Analytics answers nothing but 5xx and rate limits for a day: the task keeps
    what landed, stops after a run of failures, and the run is PARTIAL, not FAILED."""
    lake = tmp_path / "yt.duckdb"
    with running_emulator(world(), EmulatorConfig()) as emu:
        assert run(emu.base_url, lake, only=INGESTION).run_status == "SUCCEEDED"
    monkeypatch.setenv("YTLAKE_HTTP_MAX_WAIT_S", "0.2")
    outage = EmulatorConfig(fault_rate=1.0, fault_paths=("/v2/",), seed=3)
    with running_emulator(world(NEXT_DAY), outage) as emu:
        result = run(emu.base_url, lake, NEXT_DAY)
    assert result.run_status == "PARTIAL", {k: r.error for k, r in result.run.results.items() if r.error}
    [partial] = summary(lake)["partial"]
    assert "kept refusing" in partial
    assert sql(lake, "SELECT count(*) FROM bronze.videos_raw WHERE payload ->> '$.status' = '200'")[0][0] == 2


def test_a_missing_scope_fails_fast_with_googles_message(tmp_path, monkeypatch):
    """The user unticked the Analytics box: every Analytics request would fail the same way.
    The task stops at once with Google's message and the request, not "N videos gone"."""
    lake = tmp_path / "yt.duckdb"
    with running_emulator(world(), EmulatorConfig(denied_scopes=frozenset({ANALYTICS_READONLY}))) as emu:
        monkeypatch.setenv("YT_CLIENT_ID", "ytlake-demo-client")
        monkeypatch.setenv("YT_CLIENT_SECRET", "ytlake-demo-secret")
        monkeypatch.setenv("YT_REFRESH_TOKEN", consented_refresh_token(emu.emulator))
        result = run_local(
            RunOptions(source="google", api_root=emu.base_url, lakehouse=lake, today=TODAY, start_date=START)
        )
        asked = emu.emulator.stats.requests["/v2/reports"]
    task = result.run.results["ingest_analytics_api_to_bronze"]
    assert result.run_status == "FAILED" and task.state == "FAILED"
    assert "insufficientPermissions" in task.error and "insufficient authentication scopes" in task.error
    assert "asked: reports?ids=channel==" in task.error
    assert asked <= 2 * 8  # stopped at the first answers, not after every video
    assert summary(lake)["skipped_videos"] == {}


def test_an_unknown_metric_fails_fast_with_googles_message(tmp_path, monkeypatch):
    from dataclasses import replace

    import ytlake.tasks.ingest_analytics_api_to_bronze as task_module
    import ytlake.youtube.reports as reports

    bad = tuple(
        replace(r, metrics=(*r.metrics, "viewz")) if r.name == "video_daily" else r for r in reports.REPORTS
    )
    monkeypatch.setattr(task_module, "REPORTS", bad)
    monkeypatch.setattr(reports, "REPORTS", bad)  # what the task asks: reports.reports_to_ask
    lake = tmp_path / "yt.duckdb"
    with running_emulator(world(), EmulatorConfig()) as emu:
        result = run(emu.base_url, lake)
    error = result.run.results["ingest_analytics_api_to_bronze"].error
    assert result.run_status == "FAILED"
    assert "Unknown identifier (viewz)" in error and "filters=video==" in error
    assert summary(lake)["skipped_videos"] == {}
