"""The emulator as irregular as Google documents, each irregularity alone, read with the
official google-api-python-client: privacy thresholds, per-metric latency, sparse days,
shuffled columns, a channel without uploads, every shape of a spent quota, the query rules
(engagedViews, unsupported shapes, someone else's video, revenue without its scope), scopes.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from ytlake.emulator import errors
from ytlake.emulator.oauth import ANALYTICS_READONLY
from ytlake.emulator.rules import METRIC_EXTRA_LAG, Irregularities
from ytlake.emulator.server import running_emulator
from ytlake.emulator.service import EmulatorConfig
from ytlake.emulator.world import World, demo_refresh_token

from ..conftest import consented_refresh_token, tiny_world_config

WORLD = tiny_world_config(videos=12, history_days=40, seed=11)
EXACT = Irregularities.exact()
DAILY = "views,engagedViews,likes,estimatedMinutesWatched,subscribersGained,subscribersLost"


DEMO_TOKEN = demo_refresh_token(1)


def _creds(base, refresh=DEMO_TOKEN):
    return Credentials(
        token=None,
        refresh_token=refresh,
        token_uri=f"{base}/token",
        client_id="ytlake-demo-client",
        client_secret="ytlake-demo-secret",
    )


def _clients(base, refresh=DEMO_TOKEN):
    opts = {"api_endpoint": base}
    creds = _creds(base, refresh)
    return (
        build("youtube", "v3", credentials=creds, static_discovery=True, client_options=opts),
        build("youtubeAnalytics", "v2", credentials=creds, static_discovery=True, client_options=opts),
    )


@pytest.fixture(scope="module")
def exact():
    with running_emulator(WORLD, EmulatorConfig.exact()) as emu:
        yield _clients(emu.base_url)[1], emu.world


def _only(**kw) -> EmulatorConfig:
    """The ideal world with one irregularity turned on."""
    values = {"privacy_threshold": 0, "metric_latency": False, "sparse_days": False, "shuffle_columns": False}
    values.update(kw)
    return EmulatorConfig(irregular=Irregularities(**values))


def _query(ya, **kw):
    kw.setdefault("ids", "channel==MINE")
    return ya.reports().query(**kw).execute()


def _by_name(answer) -> list[dict]:
    names = [h["name"] for h in answer["columnHeaders"]]
    return [dict(zip(names, row, strict=True)) for row in answer.get("rows", [])]


def _error(err: pytest.ExceptionInfo[HttpError]) -> dict:
    """Google's error object (the client's error_details is ``details`` when there are any)."""
    return json.loads(err.value.content)["error"]


def _window(world: World, days: int = 20) -> dict[str, str]:
    return {"startDate": (world.today - timedelta(days=days)).isoformat(), "endDate": world.today.isoformat()}


def _video(world: World):
    return next(v for v in world.videos_of(1) if (world.today - v.published_date).days > 15)


def test_the_demo_world_is_irregular_by_default():
    assert EmulatorConfig().irregular == Irregularities()
    defaults = Irregularities()
    assert defaults.privacy_threshold > 0 and defaults.metric_latency and defaults.sparse_days
    assert not defaults.shuffle_columns  # Google documents dimensions then metrics, in request order


def test_exact_turns_every_irregularity_off_and_a_flag_turns_one_back_on():
    assert Irregularities.chosen(exact=True) == EXACT
    assert Irregularities.chosen(exact=True, privacy_threshold=7) == Irregularities(
        privacy_threshold=7, metric_latency=False, sparse_days=False, shuffle_columns=False
    )
    assert Irregularities.chosen(sparse_days=False) == Irregularities(sparse_days=False)
    assert Irregularities.chosen(shuffle_columns=None) == Irregularities()


@pytest.mark.parametrize("dimensions", ["insightTrafficSourceType,day", "deviceType,day", "country"])
def test_privacy_threshold_withholds_small_breakdown_rows_not_daily_totals(exact, dimensions):
    exact_ya, world = exact
    video = _video(world)
    window = _window(world)
    f = {"filters": f"video=={video.video_id}", "dimensions": dimensions, "metrics": "views", **window}
    ideal = _by_name(_query(exact_ya, **f))
    with running_emulator(WORLD, _only(privacy_threshold=10)) as emu:
        _, ya = _clients(emu.base_url)
        got = _by_name(_query(ya, **f))
        daily = _by_name(_query(ya, dimensions="day", metrics="views", **window))
    assert got == [r for r in ideal if r["views"] >= 10]  # exactly the small rows are withheld
    assert len(got) < len(ideal)
    assert daily == _by_name(_query(exact_ya, dimensions="day", metrics="views", **window))


def test_metric_latency_ends_an_answer_at_its_slowest_metric():
    with running_emulator(WORLD, _only(metric_latency=True)) as emu:
        _, ya = _clients(emu.base_url)
        world = emu.world
        views = _by_name(_query(ya, dimensions="day", metrics="views", **_window(world)))
        all_core = _by_name(_query(ya, dimensions="day", metrics=DAILY, **_window(world)))
    assert views[-1]["day"] == world.available_through.isoformat()
    lag = max(METRIC_EXTRA_LAG[m] for m in ("engagedViews", "subscribersGained"))
    assert all_core[-1]["day"] == (world.available_through - timedelta(days=lag)).isoformat()
    assert [r["views"] for r in all_core] == [r["views"] for r in views[: len(all_core)]]


def test_sparse_days_leave_out_days_without_activity(exact):
    exact_ya, world = exact
    video = next(v for v in world.videos_of(1) if (world.today - v.published_date).days < 15)
    f = {
        "filters": f"video=={video.video_id}",
        "dimensions": "day",
        "metrics": "views,likes",
        **_window(world),
    }
    ideal = _by_name(_query(exact_ya, **f))
    with running_emulator(WORLD, _only(sparse_days=True)) as emu:
        got = _by_name(_query(_clients(emu.base_url)[1], **f))
    assert any(r["views"] == 0 and r["likes"] == 0 for r in ideal)  # days before it was published
    assert got == [r for r in ideal if r["views"] or r["likes"]]


def test_shuffled_columns_keep_headers_and_values_together(exact):
    exact_ya, world = exact
    f = {
        "dimensions": "insightTrafficSourceType,day",
        "metrics": "views,estimatedMinutesWatched",
        **_window(world),
    }
    with running_emulator(WORLD, _only(shuffle_columns=True)) as emu:
        answer = _query(_clients(emu.base_url)[1], **f)
    names = [h["name"] for h in answer["columnHeaders"]]
    assert names != ["insightTrafficSourceType", "day", "views", "estimatedMinutesWatched"]
    assert sorted(names) == sorted(["insightTrafficSourceType", "day", "views", "estimatedMinutesWatched"])
    key = lambda r: (r["day"], r["insightTrafficSourceType"])  # noqa: E731
    assert sorted(_by_name(answer), key=key) == sorted(_by_name(_query(exact_ya, **f)), key=key)


def test_a_channel_without_uploads_has_no_uploads_playlist():
    with running_emulator(tiny_world_config(videos=0)) as emu:
        yt, ya = _clients(emu.base_url)
        [channel] = yt.channels().list(part="contentDetails,statistics", mine=True).execute()["items"]
        assert channel["statistics"]["videoCount"] == "0"
        uploads = channel["contentDetails"]["relatedPlaylists"]["uploads"]
        with pytest.raises(HttpError) as err:
            yt.playlistItems().list(part="contentDetails", playlistId=uploads, maxResults=50).execute()
        days = _query(ya, dimensions="day", metrics="views", **_window(emu.world))
    assert err.value.status_code == 404
    assert _error(err)["errors"][0]["reason"] == "playlistNotFound"
    assert "rows" not in days  # no views: no data, and no day without activity


def test_the_uploads_playlist_is_capped():
    with running_emulator(WORLD, EmulatorConfig(playlist_cap=5)) as emu:
        yt, _ = _clients(emu.base_url)
        [channel] = yt.channels().list(part="contentDetails,statistics", mine=True).execute()["items"]
        page = (
            yt.playlistItems()
            .list(
                part="contentDetails",
                playlistId=channel["contentDetails"]["relatedPlaylists"]["uploads"],
                maxResults=50,
            )
            .execute()
        )
    assert len(page["items"]) == 5 < int(channel["statistics"]["videoCount"])


@pytest.mark.parametrize("shape", errors.QUOTA_ERRORS)
@pytest.mark.parametrize("api", ["data", "analytics"])
def test_every_shape_of_a_spent_quota(shape, api):
    quota = {"data_api_quota": 1} if api == "data" else {"analytics_quota": 1}
    with running_emulator(WORLD, EmulatorConfig(quota_error=shape, **quota)) as emu:
        yt, ya = _clients(emu.base_url)

        def call():
            if api == "data":
                return yt.channels().list(part="id", mine=True).execute()
            return _query(ya, dimensions="day", metrics="views", **_window(emu.world))

        call()
        with pytest.raises(HttpError) as err:
            call()
    error = _error(err)
    assert error["errors"][0]["reason"] == shape
    if shape == "rateLimitExceeded":  # Google Cloud's per-day request quota
        assert err.value.status_code == 429 and "'Queries per day'" in error["message"]
        assert error["status"] == "RESOURCE_EXHAUSTED"
        [info] = [d for d in error["details"] if d["@type"].endswith("ErrorInfo")]
        assert info["reason"] == "RATE_LIMIT_EXCEEDED"
        assert info["metadata"]["quota_limit"] == "defaultPerDayPerProject"
    else:
        assert err.value.status_code == 403
    if shape == "dailyLimitExceeded":
        assert error["errors"][0]["domain"] == "usageLimits"
        assert error["message"].startswith("Daily Limit Exceeded")


@pytest.mark.parametrize(("api", "status"), [("data", 403), ("analytics", 429)])
def test_each_api_spends_its_quota_in_its_own_shape_by_default(api, status):
    quota = {"data_api_quota": 0} if api == "data" else {"analytics_quota": 0}
    with running_emulator(WORLD, EmulatorConfig(**quota)) as emu:
        yt, ya = _clients(emu.base_url)
        with pytest.raises(HttpError) as err:
            if api == "data":
                yt.channels().list(part="id", mine=True).execute()
            else:
                _query(ya, dimensions="day", metrics="views", **_window(emu.world))
    assert err.value.status_code == status
    reason = _error(err)["errors"][0]["reason"]
    assert reason == ("quotaExceeded" if api == "data" else "rateLimitExceeded")


def test_engaged_views_are_answered_wherever_google_lists_them(exact):
    ya, world = exact
    video = _video(world)
    for extra in ({}, {"filters": f"video=={video.video_id}"}):
        rows = _by_name(_query(ya, dimensions="day", metrics="views,engagedViews", **_window(world), **extra))
        assert rows and all(r["engagedViews"] <= r["views"] for r in rows)
        assert any(0 < r["engagedViews"] < r["views"] for r in rows)
    for dims in ("insightTrafficSourceType,day", "deviceType,day", "country"):
        assert _query(ya, dimensions=dims, metrics="engagedViews", **_window(world)).get("rows")
    top = _query(
        ya, dimensions="video", metrics="engagedViews", sort="-engagedViews", maxResults=5, **_window(world)
    )
    assert len(top["rows"]) == 5


@pytest.mark.parametrize(
    "kw",
    [
        {"dimensions": "video,day", "metrics": "views"},
        {"dimensions": "insightTrafficSourceType,day", "metrics": "likes"},
        {"dimensions": "deviceType,day", "metrics": "subscribersGained"},
    ],
)
def test_unsupported_shapes_get_the_query_is_not_supported(exact, kw):
    ya, world = exact
    with pytest.raises(HttpError) as err:
        _query(ya, **_window(world), **kw)
    assert err.value.status_code == 400 and err.value.reason.startswith("The query is not supported.")


def test_a_video_of_another_channel_is_forbidden_and_revenue_needs_its_scope():
    with running_emulator(tiny_world_config(channels=2, videos=6), EmulatorConfig.exact()) as emu:
        _, ya = _clients(emu.base_url)
        theirs = emu.world.videos_of(2)[0]
        with pytest.raises(HttpError) as err:
            _query(
                ya,
                dimensions="day",
                metrics="views",
                filters=f"video=={theirs.video_id}",
                **_window(emu.world),
            )
        assert (err.value.status_code, _error(err)["errors"][0]["reason"]) == (403, "forbidden")
        with pytest.raises(HttpError) as err:
            _query(ya, dimensions="day", metrics="views,estimatedRevenue", **_window(emu.world))
        assert (err.value.status_code, _error(err)["errors"][0]["reason"]) == (403, "forbidden")


def test_the_traffic_source_report_refuses_more_than_50000_video_days():
    with running_emulator(tiny_world_config(videos=80, history_days=700), EmulatorConfig.exact()) as emu:
        _, ya = _clients(emu.base_url)
        ids = ",".join(v.video_id for v in emu.world.videos_of(1)[:80])
        window = {
            "startDate": (emu.world.today - timedelta(days=699)).isoformat(),
            "endDate": emu.world.today.isoformat(),
        }
        with pytest.raises(HttpError) as err:
            _query(
                ya,
                dimensions="insightTrafficSourceType,day",
                metrics="views",
                filters=f"video=={ids}",
                **window,
            )
        assert err.value.status_code == 400 and "50000" in err.value.reason


def test_a_token_without_the_analytics_scope_is_insufficient_permissions():
    """A user who unticked the Analytics box: the Data API answers, Analytics says 403."""
    config = EmulatorConfig(denied_scopes=frozenset({ANALYTICS_READONLY}))
    with running_emulator(WORLD, config) as emu:
        yt, ya = _clients(emu.base_url, refresh=consented_refresh_token(emu.emulator))
        assert yt.channels().list(part="id", mine=True).execute()["items"]
        with pytest.raises(HttpError) as err:
            _query(ya, dimensions="day", metrics="views", **_window(emu.world))
    error = _error(err)
    assert err.value.status_code == 403
    assert error["errors"][0]["reason"] == "insufficientPermissions"
    assert error["details"][0]["reason"] == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"


def test_revenue_with_its_scope_adds_up_and_keeps_to_googles_shapes():
    """A token granted yt-analytics-monetary.readonly reads revenue: FLOAT money, INTEGER
    counts; per-video days add up to the channel's (rounding aside); ad types only with the
    ad performance metrics; CPM is gross per thousand impressions."""
    config = EmulatorConfig.exact(demo_monetary=True)
    with running_emulator(tiny_world_config(videos=6, history_days=30), config) as emu:
        _, ya = _clients(emu.base_url)
        window = _window(emu.world)
        money = "estimatedRevenue,grossRevenue,adImpressions,cpm"
        channel = _query(ya, dimensions="day", metrics=money, **window)
        types = {h["name"]: h["dataType"] for h in channel["columnHeaders"]}
        assert types == {
            "day": "STRING",
            "estimatedRevenue": "FLOAT",
            "grossRevenue": "FLOAT",
            "adImpressions": "INTEGER",
            "cpm": "FLOAT",
        }
        rows = {r[0]: r[1:] for r in channel["rows"]}
        assert rows and all(revenue > 0 and impressions > 0 for revenue, _, impressions, _ in rows.values())
        for _, gross, impressions, cpm in rows.values():
            assert cpm == pytest.approx(gross * 1000 / impressions, abs=0.02)
        by_video: dict[str, float] = {}
        for video in emu.world.videos_of(1):
            answer = _query(
                ya, dimensions="day", metrics="estimatedRevenue", filters=f"video=={video.video_id}", **window
            )
            for day, revenue in answer.get("rows", []):
                by_video[day] = by_video.get(day, 0.0) + revenue
        for day, revenue in by_video.items():  # the channel also has its deleted videos' days
            assert revenue <= rows[day][0] + 0.0005 * 7
        ads = _query(ya, dimensions="adType,day", metrics="grossRevenue,adImpressions", **window)
        per_day: dict[str, float] = {}
        for _, day, gross, _ in ads["rows"]:
            per_day[day] = per_day.get(day, 0.0) + gross
        assert per_day.keys() == rows.keys()
        for day, gross in per_day.items():  # the ideal world withholds no ad type
            assert gross == pytest.approx(rows[day][1], abs=0.0005 * 9)
        for unsupported in (
            {"dimensions": "adType,day", "metrics": "views"},
            {"dimensions": "adType", "metrics": "estimatedRevenue"},
        ):
            with pytest.raises(HttpError) as err:
                _query(ya, **window, **unsupported)
            assert err.value.status_code == 400


def test_demographics_are_percentages_of_the_ranges_viewers_without_a_day(exact):
    """R8: ageGroup and/or gender, viewerPercentage only, no time dimension; a single-day range
    is the finest grain. The ideal world reports every cell (about 100 in all, one decimal);
    with a privacy threshold, a small answer is empty and the small cells are withheld."""
    ya, world = exact
    video = _video(world)
    f = {"filters": f"video=={video.video_id}", "metrics": "viewerPercentage"}
    day = max(
        (world.today - timedelta(days=n) for n in range(3, 30)),
        key=lambda d: world.observed_video_day(video, d).views,
    )
    assert world.observed_video_day(video, day).views >= 200
    one_day = {"startDate": day.isoformat(), "endDate": day.isoformat()}
    cells = _query(ya, dimensions="ageGroup,gender", **f, **one_day)
    assert [(h["name"], h["dataType"]) for h in cells["columnHeaders"]] == [
        ("ageGroup", "STRING"),
        ("gender", "STRING"),
        ("viewerPercentage", "FLOAT"),
    ]
    rows = _by_name(cells)
    assert {r["ageGroup"] for r in rows} <= {
        "age13-17",
        "age18-24",
        "age25-34",
        "age35-44",
        "age45-54",
        "age55-64",
        "age65-",
    }
    assert {r["gender"] for r in rows} <= {"female", "male", "user_specified"}
    assert len({(r["ageGroup"], r["gender"]) for r in rows}) == len(rows)
    assert sum(r["viewerPercentage"] for r in rows) == pytest.approx(100, abs=0.05 * len(rows))
    by_age = _by_name(_query(ya, dimensions="ageGroup", **f, **one_day))
    for r in by_age:  # one dimension is the other summed out (to the rounding)
        cell_sum = sum(c["viewerPercentage"] for c in rows if c["ageGroup"] == r["ageGroup"])
        assert r["viewerPercentage"] == pytest.approx(cell_sum, abs=0.2)
    for unsupported in (
        {"dimensions": "ageGroup,gender,day", "metrics": "viewerPercentage"},
        {"dimensions": "ageGroup,gender", "metrics": "views"},
        {"dimensions": "day", "metrics": "viewerPercentage"},
    ):
        with pytest.raises(HttpError) as err:
            _query(ya, filters=f"video=={video.video_id}", **one_day, **unsupported)
        assert err.value.status_code == 400
    with running_emulator(WORLD, _only(privacy_threshold=10)) as emu:
        _, limited = _clients(emu.base_url)
        withheld = _by_name(_query(limited, dimensions="ageGroup,gender", **f, **one_day))
    # an answer over fewer views than the threshold has no rows at all
    views = world.observed_video_day(video, day).views
    with running_emulator(WORLD, _only(privacy_threshold=views + 1)) as emu:
        _, limited = _clients(emu.base_url)
        small = _query(limited, dimensions="ageGroup,gender", **f, **one_day)
    kept = {(r["ageGroup"], r["gender"]): r["viewerPercentage"] for r in withheld}
    assert kept and len(kept) < len(rows)  # the small cells are gone, the others unchanged
    assert all(
        kept[(r["ageGroup"], r["gender"])] == r["viewerPercentage"]
        for r in rows
        if (r["ageGroup"], r["gender"]) in kept
    )
    assert sum(kept.values()) < 100
    assert "rows" not in small or not small["rows"]
