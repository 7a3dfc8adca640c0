"""Analytics v2 reports.query against the emulator with the official client."""

from datetime import date, timedelta

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from ytlake.emulator.server import running_emulator
from ytlake.emulator.service import EmulatorConfig
from ytlake.emulator.world import World

from ..conftest import tiny_world_config

SCOPES = [
    "https://www.googleapis.com/auth/youtube.readonly",
    "https://www.googleapis.com/auth/yt-analytics.readonly",
]
CONFIG = tiny_world_config(videos=12, history_days=40, seed=11)


def _client(base):
    creds = Credentials(
        token=None,
        refresh_token="ytlake-demo-refresh-token",
        token_uri=f"{base}/token",
        client_id="ytlake-demo-client",
        client_secret="ytlake-demo-secret",
        scopes=SCOPES,
    )
    return build(
        "youtubeAnalytics",
        "v2",
        credentials=creds,
        static_discovery=True,
        client_options={"api_endpoint": base},
    )


@pytest.fixture(scope="module")
def api():
    # the ideal world: these tests are about shapes and sums (tests/emulator/test_irregular.py
    # checks what Google withholds, delays and leaves out)
    with running_emulator(CONFIG, EmulatorConfig.exact()) as emu:
        yield _client(emu.base_url), emu.world


def _query(ya, **kw):
    kw.setdefault("ids", "channel==MINE")
    return ya.reports().query(**kw).execute()


def _live_video(world: World):
    """A public video, alive today, that had views in the last weeks."""
    return next(
        v
        for v in world.videos_of(1)
        if v.privacy_status == "public" and (world.today - v.published_date).days > 12
    )


WINDOW = {"startDate": (CONFIG.today - timedelta(days=14)).isoformat(), "endDate": CONFIG.today.isoformat()}


@pytest.mark.parametrize("scope", ["channel", "video"])
@pytest.mark.parametrize(
    ("dimensions", "metrics"),
    [
        (
            "day",
            "views,likes,comments,estimatedMinutesWatched,averageViewDuration,subscribersGained,subscribersLost",
        ),
        ("insightTrafficSourceType,day", "views,estimatedMinutesWatched"),
        ("deviceType,day", "views,estimatedMinutesWatched"),
        ("country", "views,estimatedMinutesWatched,likes"),
    ],
)
def test_each_supported_shape_answers_with_headers_in_request_order(api, scope, dimensions, metrics):
    ya, world = api
    extra = {"filters": f"video=={_live_video(world).video_id}"} if scope == "video" else {}
    answer = _query(ya, dimensions=dimensions, metrics=metrics, **WINDOW, **extra)
    assert answer["kind"] == "youtubeAnalytics#resultTable"
    names = [h["name"] for h in answer["columnHeaders"]]
    assert names == dimensions.split(",") + metrics.split(",")
    assert [h["columnType"] for h in answer["columnHeaders"]] == (
        ["DIMENSION"] * len(dimensions.split(",")) + ["METRIC"] * len(metrics.split(","))
    )
    assert answer["rows"], "the window has activity"
    for row in answer["rows"]:
        dims = len(dimensions.split(","))
        assert all(isinstance(v, str) for v in row[:dims])
        assert all(isinstance(v, int) and v >= 0 for v in row[dims:])


def test_breakdowns_sum_to_the_videos_daily_views(api):
    ya, world = api
    video = _live_video(world)
    f = {"filters": f"video=={video.video_id}", **WINDOW}
    daily = {r[0]: r[1] for r in _query(ya, dimensions="day", metrics="views", **f)["rows"]}
    for dims in ("insightTrafficSourceType,day", "deviceType,day"):
        sums: dict[str, int] = {}
        for _, day, views in _query(ya, dimensions=dims, metrics="views", **f)["rows"]:
            sums[day] = sums.get(day, 0) + views
        assert sums == {d: v for d, v in daily.items() if v}, dims
    for day, views in daily.items():
        rows = _query(
            ya,
            dimensions="country",
            metrics="views",
            filters=f"video=={video.video_id}",
            startDate=day,
            endDate=day,
        ).get("rows", [])
        assert sum(r[1] for r in rows) == views


def test_videos_sum_to_the_channel_deleted_ones_included(api):
    ya, world = api
    channel = {r[0]: r[1] for r in _query(ya, dimensions="day", metrics="views", **WINDOW)["rows"]}
    for day, views in channel.items():
        d = date.fromisoformat(day)
        assert views == sum(world.observed_video_day(v, d).views for v in world.videos)


def test_top_videos_need_a_descending_sort_and_at_most_200_results(api):
    ya, _world = api
    answer = _query(
        ya, dimensions="video", metrics="views,estimatedMinutesWatched", sort="-views", maxResults=5, **WINDOW
    )
    views = [r[1] for r in answer["rows"]]
    assert views == sorted(views, reverse=True) and len(views) <= 5
    for bad in ({"sort": "views", "maxResults": 5}, {"maxResults": 5}, {"sort": "-views", "maxResults": 201}):
        with pytest.raises(HttpError) as err:
            _query(ya, dimensions="video", metrics="views", **WINDOW, **bad)
        assert "The query is not supported" in err.value.reason


def test_creator_content_type_splits_reports_by_each_videos_format(api):
    """creatorContentType names the format YouTube gives each video (not its length's verdict),
    alone, beside a day or a breakdown, for a video or the channel; the split adds up."""
    ya, world = api
    assert len({v.content_type for v in world.videos_of(1)}) >= 2  # the world has several formats
    for video in world.videos_of(1):
        f = {"filters": f"video=={video.video_id}", **WINDOW}
        rows = _query(ya, dimensions="creatorContentType", metrics="views", **f).get("rows", [])
        total = sum(r[1] for r in _query(ya, dimensions="day", metrics="views", **f).get("rows", []))
        assert rows == ([[video.content_type, total]] if total else []), video.video_id
    channel = {r[0]: r[1] for r in _query(ya, dimensions="day", metrics="views", **WINDOW)["rows"]}
    typed: dict[str, int] = {}
    for day, kind, views in _query(ya, dimensions="day,creatorContentType", metrics="views", **WINDOW)[
        "rows"
    ]:
        typed[day] = typed.get(day, 0) + views
        assert kind in {"SHORTS", "LIVE_STREAM", "VIDEO_ON_DEMAND"}
    assert typed == {d: v for d, v in channel.items() if v}
    top = _query(
        ya, dimensions="video,creatorContentType", metrics="views", sort="-views", maxResults=10, **WINDOW
    )["rows"]
    assert top and all(world.video(vid).content_type == kind for vid, kind, _ in top)
    with pytest.raises(HttpError) as err:  # Google's ad performance report does not take it
        _query(ya, dimensions="adType,creatorContentType", metrics="grossRevenue", **f)
    assert err.value.status_code in (400, 403)
    with pytest.raises(HttpError) as err:  # alone it is the playback details report: no subscribers
        _query(ya, dimensions="creatorContentType", metrics="views,subscribersGained", **f)
    assert err.value.status_code == 400


@pytest.mark.parametrize(
    "kw",
    [
        {"dimensions": "video,day", "metrics": "views"},
        {"dimensions": "country,day", "metrics": "views"},
        {"dimensions": "insightTrafficSourceType,day", "metrics": "likes"},
        {"dimensions": "day,month", "metrics": "views"},
        {"dimensions": "day", "metrics": "views", "filters": "country==US;province==US-CA"},
    ],
)
def test_unsupported_queries_get_googles_400(api, kw):
    ya, _ = api
    with pytest.raises(HttpError) as err:
        _query(ya, **WINDOW, **kw)
    assert err.value.status_code == 400
    assert err.value.error_details[0]["reason"] == "badRequest"
    assert err.value.reason.startswith("The query is not supported.")


def test_unknown_metric_and_missing_parameters(api):
    ya, _ = api
    with pytest.raises(HttpError) as err:
        _query(ya, dimensions="day", metrics="views,viewz", **WINDOW)
    assert err.value.reason == "Unknown identifier (viewz) given in field parameters.metrics."
    with pytest.raises(HttpError) as err:
        ya.reports().query(ids="channel==MINE", startDate="2026-03-01", metrics="views").execute()
    assert err.value.error_details[0]["reason"] == "required"


def test_a_deleted_video_gets_an_error_but_its_views_stay_in_the_channel(api):
    ya, world = api
    gone = next(v for v in world.videos if v.deleted_on and v.deleted_on <= world.today)
    with pytest.raises(HttpError) as err:
        _query(ya, dimensions="day", metrics="views", filters=f"video=={gone.video_id}", **WINDOW)
    assert err.value.status_code == 400
    before = gone.deleted_on - timedelta(days=1)
    assert world.observed_video_day(gone, before).views > 0
    day = _query(
        ya, dimensions="day", metrics="views", startDate=before.isoformat(), endDate=before.isoformat()
    )["rows"][0][1]
    alive = sum(world.observed_video_day(v, before).views for v in world.videos if v is not gone)
    assert day == alive + world.observed_video_day(gone, before).views


def test_no_rows_key_when_nothing_is_available(api):
    ya, world = api
    answer = _query(
        ya,
        dimensions="day",
        metrics="views",
        startDate=world.today.isoformat(),
        endDate=world.today.isoformat(),
    )
    assert "rows" not in answer  # today is inside the data latency


def test_restated_days_change_until_final_then_stay():
    start = World(CONFIG).start  # the same world, pinned, seen on later days
    config_a = tiny_world_config(videos=12, history_days=40, seed=11, start=start)
    config_b = tiny_world_config(
        videos=12, history_days=40, seed=11, start=start, today=CONFIG.today + timedelta(days=1)
    )
    config_c = tiny_world_config(
        videos=12, history_days=40, seed=11, start=start, today=CONFIG.today + timedelta(days=8)
    )
    days = {}
    for label, cfg in (("a", config_a), ("b", config_b), ("c", config_c)):
        with running_emulator(cfg) as emu:
            rows = _query(
                _client(emu.base_url),
                dimensions="day",
                metrics="views",
                startDate=(CONFIG.today - timedelta(days=12)).isoformat(),
                endDate=CONFIG.today.isoformat(),
            )["rows"]
            days[label] = dict(rows)
    recent = (CONFIG.today - timedelta(days=2)).isoformat()
    old = (CONFIG.today - timedelta(days=10)).isoformat()
    assert days["a"][recent] < days["b"][recent] < days["c"][recent]  # provisional, then restated up
    assert days["a"][old] == days["b"][old] == days["c"][old]  # final days never change
    final = World(config_c)
    assert days["c"][recent] == final.channel_day(1, date.fromisoformat(recent)).views
