"""The Reporting API with the official client: report types, jobs, reports appearing,
restated and expiring on the world's clock (``--today``), the files' columns and values as
Google documents them, and their figures against v2's answers for the same day."""

from __future__ import annotations

import csv
import gzip
import io
import re
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from http.client import IncompleteRead

import pycountry
import pytest
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseDownload

from ytlake.emulator.reporting import REPORT_TYPES, Job, reports_of
from ytlake.emulator.rules import Irregularities
from ytlake.emulator.server import running_emulator
from ytlake.emulator.service import EmulatorConfig
from ytlake.emulator.world import PACIFIC

from ..conftest import tiny_world_config
from .test_official_client import _creds

T0 = date(2026, 3, 10)  # the day the jobs are created
LATER = T0 + timedelta(days=6)  # every report of T0 is out, restated included
WORLD = {"start": T0 - timedelta(days=21)}  # pinned: the same world on every --today
#: The emulators' wall clock: noon Pacific (what is listed depends on the time of day: a day's
#: report is made at 03:00), on a fixed day (token lifetimes and quota days read it too).
_NOON = datetime(2026, 11, 2, 12, 0, tzinfo=PACIFIC).timestamp()


def NOON() -> float:
    return _NOON


# -- Google's documented values (RV1/reports/dimensions; docs/research/youtube_reporting_api.md)
DOC_COLUMNS = {
    "channel_basic_a3": "date channel_id video_id live_or_on_demand subscribed_status country_code engaged_views "
    "views comments likes dislikes videos_added_to_playlists videos_removed_from_playlists shares "
    "watch_time_minutes average_view_duration_seconds average_view_duration_percentage "
    "annotation_click_through_rate annotation_close_rate annotation_impressions "
    "annotation_clickable_impressions annotation_closable_impressions annotation_clicks annotation_closes "
    "card_click_rate card_teaser_click_rate card_impressions card_teaser_impressions card_clicks "
    "card_teaser_clicks subscribers_gained subscribers_lost red_views red_watch_time_minutes",
    "channel_province_a3": "date channel_id video_id live_or_on_demand subscribed_status country_code province_code "
    "engaged_views views watch_time_minutes average_view_duration_seconds average_view_duration_percentage "
    "annotation_click_through_rate annotation_close_rate annotation_impressions "
    "annotation_clickable_impressions annotation_closable_impressions annotation_clicks annotation_closes "
    "card_click_rate card_teaser_click_rate card_impressions card_teaser_impressions card_clicks "
    "card_teaser_clicks red_views red_watch_time_minutes",
    "channel_playback_location_a3": "date channel_id video_id live_or_on_demand subscribed_status country_code "
    "playback_location_type playback_location_detail M7",
    "channel_traffic_source_a3": "date channel_id video_id live_or_on_demand subscribed_status country_code "
    "traffic_source_type traffic_source_detail M7",
    "channel_device_os_a3": "date channel_id video_id live_or_on_demand subscribed_status country_code "
    "device_type operating_system M7",
    "channel_demographics_a1": "date channel_id video_id live_or_on_demand subscribed_status country_code "
    "age_group gender views_percentage",
    "channel_sharing_service_a1": "date channel_id video_id live_or_on_demand subscribed_status country_code "
    "sharing_service shares",
    "channel_subtitles_a3": "date channel_id video_id live_or_on_demand subscribed_status country_code "
    "subtitle_language subtitle_language_autotranslated M7",
    "channel_combined_a3": "date channel_id video_id live_or_on_demand subscribed_status country_code "
    "playback_location_type traffic_source_type device_type operating_system M7",
}
M7 = "engaged_views views watch_time_minutes average_view_duration_seconds average_view_duration_percentage red_views red_watch_time_minutes"
ENUMS = {
    "live_or_on_demand": {"live", "on_demand"},
    "subscribed_status": {"subscribed", "not_subscribed"},
    "traffic_source_type": {str(c) for c in (0, 1, 3, 4, 5, 7, 8, 9, 11, 14, 17, 18, 19, 20, *range(23, 33))},
    "playback_location_type": {"0", "1", "2", "5", "7", "8", "10"},
    "device_type": {str(c) for c in range(100, 106)},
    "operating_system": {str(c) for c in (*range(1, 8), *range(9, 32))},
    "age_group": {"AGE_13_17", "AGE_18_24", "AGE_25_34", "AGE_35_44", "AGE_45_54", "AGE_55_64", "AGE_65_"},
    "gender": {"FEMALE", "MALE", "GENDER_OTHER"},
    "sharing_service": set(
        [
            "0",
            "1",
            "4",
            "5",
            "6",
            "7",
            "8",
            "9",
            "10",
            "11",
            "12",
            "18",
            "20",
            "21",
            "22",
            "25",
            "28",
            "31",
            "32",
            "34",
            "36",
            "37",
            "38",
            "39",
            "40",
            "42",
            "43",
            "44",
            "45",
            "46",
            "47",
            "49",
            "50",
            "51",
            "52",
            "53",
            "55",
            "59",
            "60",
            "61",
            "62",
            "63",
            "64",
            "65",
            "66",
            "67",
            "68",
            "69",
            "70",
            "71",
            "72",
            "73",
            "74",
            "75",
            "76",
            "77",
            "78",
            "79",
            "80",
            "81",
            "82",
            "83",
            "84",
            "85",
            "86",
            "87",
            "88",
        ]
    ),
}
TEXT_COLUMNS = {
    "date", "channel_id", "video_id", "country_code", "province_code", "traffic_source_detail",
    "playback_location_detail", "subtitle_language", "subtitle_language_autotranslated",
}  # fmt: skip
#: v2 insightTrafficSourceType -> the bulk code of the same source (RV1/reports/dimensions and
#: the v2 dimension docs). NO_LINK_EMBEDDED has no bulk code: the tests leave 9 (External) out
#: of the per-code comparison and compare totals.
V2_TRAFFIC = {
    "NO_LINK_OTHER": 0, "ADVERTISING": 1, "SUBSCRIBER": 3, "YT_CHANNEL": 4, "YT_SEARCH": 5, "RELATED_VIDEO": 7,
    "YT_OTHER_PAGE": 8, "EXT_URL": 9, "NO_LINK_EMBEDDED": 9, "PLAYLIST": 14, "NOTIFICATION": 17,
    "YT_PLAYLIST_PAGE": 18, "END_SCREEN": 20, "SHORTS": 24, "HASHTAGS": 26,
}  # fmt: skip
V2_DEVICE = {
    "UNKNOWN_PLATFORM": 100,
    "DESKTOP": 101,
    "TV": 102,
    "GAME_CONSOLE": 103,
    "MOBILE": 104,
    "TABLET": 105,
}
COUNTS = ("views", "engaged_views", "watch_time_minutes")
V2_COUNTS = "views,engagedViews,estimatedMinutesWatched"


def _reporting(emu):
    return build(
        "youtubereporting",
        "v1",
        credentials=_creds(emu.base_url),
        static_discovery=True,
        client_options={"api_endpoint": emu.base_url},
    )


def _analytics(emu):
    opts = {"api_endpoint": emu.base_url}
    return build(
        "youtubeAnalytics", "v2", credentials=_creds(emu.base_url), static_discovery=True, client_options=opts
    )


def _download(api, url: str) -> bytes:
    """As Google's sample does: a media request pointed at the downloadUrl, chunksize -1."""
    request = api.media().download_media(resourceName=" ")
    request.uri = url
    out = io.BytesIO()
    downloader = MediaIoBaseDownload(out, request, chunksize=-1)
    done = False
    while not done:
        _, done = downloader.next_chunk()
    return out.getvalue()


def _rows(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(data.decode()))
    return list(reader.fieldnames or []), list(reader)


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    """A state in which every channel report type got a job on T0."""
    path = tmp_path_factory.mktemp("reporting") / "state.json"
    with serving(path, T0, exact=False) as emu:
        api = _reporting(emu)
        for kind in REPORT_TYPES:
            api.jobs().create(body={"reportTypeId": kind.id, "name": kind.id}).execute()
    return path


@contextmanager
def serving(state, today, exact=True, **config):
    irregular = Irregularities.exact() if exact else Irregularities()
    cfg = EmulatorConfig(state_path=state, irregular=irregular, **config)
    with running_emulator(tiny_world_config(today=today, **WORLD), cfg, clock=NOON) as emu:
        yield emu


def _jobs(api) -> dict[str, str]:
    return {j["reportTypeId"]: j["id"] for j in api.jobs().list().execute()["jobs"]}


def _reports(api, job_id: str, **filters) -> list[dict]:
    out, token = [], None
    while True:
        page = api.jobs().reports().list(jobId=job_id, pageToken=token, **filters).execute()
        out += page.get("reports", [])
        token = page.get("nextPageToken")
        if not token:
            assert len({r["id"] for r in out}) == len(out), "a report listed on two pages"
            return out


def _day_of(report: dict) -> date:
    start = datetime.fromisoformat(report["startTime"].replace("Z", "+00:00"))
    return start.astimezone(PACIFIC).date()


def _file(api, job_id: str, day: date, last: bool = True) -> bytes:
    """The newest (or first) report of ``day``."""
    found = sorted((r for r in _reports(api, job_id) if _day_of(r) == day), key=lambda r: r["createTime"])
    assert found, f"no report for {day}"
    return _download(api, found[-1 if last else 0]["downloadUrl"])


def test_jobs_are_created_once_per_type_listed_fetched_and_deleted(tmp_path):
    state = tmp_path / "state.json"
    # the wall clock pinned at noon, as in every other test here: what is listed depends on it
    with running_emulator(
        tiny_world_config(today=T0, **WORLD), EmulatorConfig(state_path=state), clock=NOON
    ) as emu:
        api = _reporting(emu)
        types = api.reportTypes().list(includeSystemManaged=True).execute()["reportTypes"]
        assert {t["id"] for t in types} == set(DOC_COLUMNS)
        job = api.jobs().create(body={"reportTypeId": "channel_basic_a3", "name": "basic"}).execute()
        assert re.fullmatch(r"[0-9a-f-]{36}", job["id"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", job["createTime"])
        with pytest.raises(HttpError) as twice:
            api.jobs().create(body={"reportTypeId": "channel_basic_a3", "name": "again"}).execute()
        assert twice.value.resp.status == 409
        for body, status in (({"name": "x"}, 400), ({"reportTypeId": "channel_basic_a1", "name": "x"}, 404)):
            with pytest.raises(HttpError) as refused:
                api.jobs().create(body=body).execute()
            assert refused.value.resp.status == status
        assert [j["id"] for j in api.jobs().list().execute()["jobs"]] == [job["id"]]
        assert api.jobs().get(jobId=job["id"]).execute() == job
        assert api.jobs().reports().list(jobId=job["id"]).execute() == {}  # nothing for 48 hours
    with running_emulator(
        tiny_world_config(today=T0 + timedelta(days=1), **WORLD), EmulatorConfig(state_path=state), clock=NOON
    ) as emu:
        assert (
            _reporting(emu).jobs().reports().list(jobId=job["id"]).execute() == {}
        )  # a day later: still nothing
    with running_emulator(
        tiny_world_config(today=LATER, **WORLD), EmulatorConfig(state_path=state), clock=NOON
    ) as emu:
        api = _reporting(emu)
        reports = _reports(api, job["id"])
        days = Counter(_day_of(r) for r in reports)
        # the 30 days before the job, then one report per day through LATER - latency
        assert set(days) == {T0 - timedelta(days=i) for i in range(-4, 31)}
        assert all(r["downloadUrl"].startswith(emu.base_url + "/v1/media/CHANNEL/") for r in reports)
        assert re.fullmatch(r"\d+", reports[0]["id"])
        api.jobs().delete(jobId=job["id"]).execute()
        with pytest.raises(HttpError) as gone:
            api.jobs().reports().list(jobId=job["id"]).execute()
        assert gone.value.resp.status == 404


def test_every_report_type_has_the_documented_columns_and_values(state):
    day = T0 - timedelta(days=10)
    with serving(state, LATER, exact=False) as emu:
        api = _reporting(emu)
        jobs = _jobs(api)
        channel_id = emu.world.channel(1).channel_id
        for type_id, spec in DOC_COLUMNS.items():
            header, rows = _rows(_file(api, jobs[type_id], day))
            assert header == spec.replace("M7", M7).split(), type_id
            assert rows, f"{type_id}: no rows on a day with views"
            metrics = [c for c in header if c not in TEXT_COLUMNS and c not in ENUMS]
            for row in rows:
                assert row["date"] == day.strftime("%Y%m%d") and row["channel_id"] == channel_id
                assert row["video_id"] == "" or re.fullmatch(r"[A-Za-z0-9_-]{11}", row["video_id"])
                assert row["country_code"] == "ZZ" or pycountry.countries.get(alpha_2=row["country_code"])
                for column, allowed in ENUMS.items():
                    if column in row:
                        assert row[column] in allowed, (type_id, column, row[column])
                if "province_code" in row:
                    assert row["country_code"] == "US"
                    assert row["province_code"] == "US-ZZ" or pycountry.subdivisions.get(
                        code=row["province_code"]
                    )
                for column in metrics:
                    assert float(row[column]) >= 0 and row[column] != "-0", (type_id, column)
            if type_id == "channel_demographics_a1":
                shares = defaultdict(float)
                for row in rows:
                    shares[tuple(row[c] for c in header[:6])] += float(row["views_percentage"])
                assert all(abs(total - 100) < 1e-6 for total in shares.values())
            if type_id == "channel_traffic_source_a3":  # search terms may carry commas and quotes
                assert any(r["traffic_source_type"] == "5" and r["traffic_source_detail"] for r in rows)
        # a day before the world began: a header row and nothing else
        header, rows = _rows(_file(api, jobs["channel_basic_a3"], T0 - timedelta(days=30)))
        assert header and rows == []


def _sums(rows, keys, metrics=COUNTS):
    """Sums by ``keys``; watch time is written with decimals (as Google's files are), so sums
    are rounded to a millionth before they are compared with v2's whole minutes."""
    out: dict[tuple, Counter] = defaultdict(Counter)
    for row in rows:
        for m in metrics:
            out[tuple(row[k] for k in keys)][m] += float(row[m])
    return {k: Counter({m: round(v, 6) for m, v in c.items()}) for k, c in out.items()}


def _documented(sums):
    """The codes with a documented one-to-one v2 value (not External, 9, where the files put
    embedded players, which have no code of their own)."""
    return {k: v for k, v in sums.items() if k != ("9",) and +v}


def _total(sums) -> Counter:
    return Counter({m: round(sum(c[m] for c in sums.values()), 6) for m in COUNTS})


def _v2(analytics, day, dimension, mapping, video=None):
    """v2's answer for ``day`` by ``dimension`` (one video or the channel), keyed as the bulk file."""
    extra = {"filters": f"video=={video}"} if video else {}
    answer = analytics.reports().query(
        ids="channel==MINE", startDate=day.isoformat(), endDate=day.isoformat(), metrics=V2_COUNTS,
        dimensions=dimension, **extra,
    ).execute()  # fmt: skip
    out: dict[tuple, Counter] = defaultdict(Counter)
    for value, views, engaged, minutes in answer.get("rows", []):
        out[(str(mapping(value)),)] += Counter(views=views, engaged_views=engaged, watch_time_minutes=minutes)
    return out


def test_bulk_files_sum_to_the_v2_answers_of_the_same_day(state):
    day = T0 - timedelta(days=10)  # final in the report (historical) and in v2 (on LATER)
    with serving(state, LATER) as emu:
        api, analytics = _reporting(emu), _analytics(emu)
        jobs = _jobs(api)
        _, traffic = _rows(_file(api, jobs["channel_traffic_source_a3"], day))
        _, device = _rows(_file(api, jobs["channel_device_os_a3"], day))
        _, combined = _rows(_file(api, jobs["channel_combined_a3"], day))
        _, basic = _rows(_file(api, jobs["channel_basic_a3"], day))
        alive = [v.video_id for v in emu.world.videos_of(1, LATER)]
        assert "" in {r["video_id"] for r in basic}  # a video deleted since: its rows, no id
        checked = 0
        for vid in alive:
            want = _v2(analytics, day, "insightTrafficSourceType", V2_TRAFFIC.get, vid)
            got = _sums([r for r in traffic if r["video_id"] == vid], ["traffic_source_type"])
            assert _documented(got) == _documented(want), vid
            assert _total(got) == _total(want), vid
            assert _sums([r for r in combined if r["video_id"] == vid], ["traffic_source_type"]) == got
            want = _v2(analytics, day, "deviceType", V2_DEVICE.get, vid)
            assert _sums([r for r in device if r["video_id"] == vid], ["device_type"]) == want
            assert _sums([r for r in combined if r["video_id"] == vid], ["device_type"]) == want
            checked += bool(want)
        assert checked >= 3
        # the whole channel, deleted videos included
        assert _sums(traffic, ["traffic_source_type"]) == _v2(
            analytics, day, "insightTrafficSourceType", V2_TRAFFIC.get
        )
        # country (v2: a range report) and the day's totals, every metric the world has
        v2_metrics = "views,engagedViews,estimatedMinutesWatched,likes,comments,shares,subscribersGained,subscribersLost"
        bulk_metrics = ("views", "engaged_views", "watch_time_minutes", "likes", "comments", "shares",
                        "subscribers_gained", "subscribers_lost")  # fmt: skip
        for vid in alive:
            answer = analytics.reports().query(
                ids="channel==MINE", startDate=day.isoformat(), endDate=day.isoformat(), metrics=v2_metrics,
                dimensions="country", filters=f"video=={vid}",
            ).execute()  # fmt: skip
            want = {
                (r[0],): Counter(dict(zip(bulk_metrics, r[1:], strict=True))) for r in answer.get("rows", [])
            }
            got = _sums([r for r in basic if r["video_id"] == vid], ["country_code"], bulk_metrics)
            assert {k: +v for k, v in got.items() if +v} == {k: +v for k, v in want.items() if +v}, vid


def test_anonymisation_aggregates_small_rows_and_loses_no_view(state):
    day = T0 - timedelta(days=10)
    with serving(state, LATER) as exact, serving(state, LATER, exact=False) as google:
        _, ideal = _rows(_file(_reporting(exact), _jobs(_reporting(exact))["channel_traffic_source_a3"], day))
        api = _reporting(google)
        _, real = _rows(_file(api, _jobs(api)["channel_traffic_source_a3"], day))
        keys = ["video_id", "traffic_source_type"]
        assert _sums(real, keys) == _sums(ideal, keys)  # sums stay whole
        threshold = Irregularities().privacy_threshold
        assert all(r["traffic_source_detail"] == "" for r in real if int(r["views"]) < threshold)
        assert any(r["traffic_source_detail"] for r in ideal if int(r["views"]) < threshold)
        assert len(real) < len(ideal)
        _, ideal = _rows(
            _file(_reporting(exact), _jobs(_reporting(exact))["channel_playback_location_a3"], day)
        )
        _, real = _rows(_file(api, _jobs(api)["channel_playback_location_a3"], day))
        keys = ["video_id", "playback_location_type"]
        assert _sums(real, keys) == _sums(ideal, keys)
        assert all(r["playback_location_detail"] == "" for r in real if int(r["views"]) < threshold)


def test_a_restated_day_gets_a_second_report_with_the_final_figures(state):
    with serving(state, LATER) as emu:
        api = _reporting(emu)
        job = _jobs(api)["channel_basic_a3"]
        of_t0 = sorted((r for r in _reports(api, job) if _day_of(r) == T0), key=lambda r: r["createTime"])
        assert len(of_t0) == 2 and of_t0[0]["id"] != of_t0[1]["id"]
        assert of_t0[0]["startTime"] == of_t0[1]["startTime"] and of_t0[0]["endTime"] == of_t0[1]["endTime"]
        first, final = (_sums(_rows(_download(api, r["downloadUrl"]))[1], []) for r in of_t0)
        # only reports created after the first one: its restatement (and later days)
        newer = _reports(api, job, createdAfter=of_t0[0]["createTime"])
        assert of_t0[1]["id"] in {r["id"] for r in newer} and of_t0[0]["id"] not in {r["id"] for r in newer}
        in_window = _reports(
            api, job, startTimeAtOrAfter=of_t0[0]["startTime"], startTimeBefore=of_t0[0]["endTime"]
        )
        assert [r["id"] for r in in_window] == [r["id"] for r in of_t0]
        final_v2 = _v2_day_total(_analytics(emu), T0)
    created = datetime.fromisoformat(of_t0[0]["createTime"].replace("Z", "+00:00")).astimezone(PACIFIC).date()
    with serving(state, created) as then:  # v2 on the day the first report was made
        first_v2 = _v2_day_total(_analytics(then), T0)
    assert first[()] == first_v2 and final[()] == final_v2
    assert first_v2["views"] < final_v2["views"]  # the first figures were provisional


def test_reports_expire_from_the_listing_as_documented(state):
    historical, first_daily = T0 - timedelta(days=10), T0
    day40, day75 = T0 + timedelta(days=40), T0 + timedelta(days=75)
    seen = {}
    for today in (LATER, day40, day75):
        with serving(state, today) as emu:
            api = _reporting(emu)
            seen[today] = {_day_of(r) for r in _reports(api, _jobs(api)["channel_basic_a3"])}
    assert historical in seen[LATER] and first_daily in seen[LATER]
    # historical reports are kept 30 days from their creation (T0 + 2), daily ones 60
    assert historical not in seen[day40] and first_daily in seen[day40]
    assert first_daily not in seen[day75] and T0 + timedelta(days=30) in seen[day75]


def _v2_day_total(analytics, day) -> Counter:
    answer = (
        analytics.reports()
        .query(
            ids="channel==MINE",
            startDate=day.isoformat(),
            endDate=day.isoformat(),
            metrics=V2_COUNTS,
            dimensions="day",
        )
        .execute()
    )
    ((_, views, engaged, minutes),) = answer["rows"]
    return Counter(views=views, engaged_views=engaged, watch_time_minutes=minutes)


def test_downloads_ignore_range_and_are_gzip_encoded_when_accepted(state):
    with serving(state, LATER) as emu:
        api = _reporting(emu)
        report = _reports(api, _jobs(api)["channel_basic_a3"])[-1]
        plain = _download(api, report["downloadUrl"])  # Range: bytes=0--2, Accept-Encoding: identity
        request = api.media().download_media(resourceName=" ")
        request.uri = report["downloadUrl"]
        assert request.execute() == plain  # the client asks for gzip and undoes it
        token = api._http.credentials.token
        raw = urllib.request.Request(
            report["downloadUrl"], headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
        )
        with urllib.request.urlopen(raw) as answer:
            assert answer.headers["Content-Encoding"] == "gzip"
            assert gzip.decompress(answer.read()) == plain


def test_list_parameters_are_checked_and_pages_are_small(state):
    with serving(state, T0 + timedelta(days=29)) as emu:  # a month of reports: more than a page
        api = _reporting(emu)
        job = _jobs(api)["channel_basic_a3"]
        first = api.jobs().reports().list(jobId=job).execute()
        assert "nextPageToken" in first and len(first["reports"]) < len(_reports(api, job))
        page = api.jobs().reports().list(jobId=job, pageSize=5).execute()
        assert len(page["reports"]) == 5
        for bad in ({"createdAfter": "2026-03-01"}, {"pageToken": "nonsense"}, {"pageSize": -1}):
            with pytest.raises(HttpError) as refused:
                api.jobs().reports().list(jobId=job, **bad).execute()
            assert refused.value.resp.status == 400, bad


def test_quota_per_project_per_day_and_faults(tmp_path):
    state = tmp_path / "quota.json"
    with serving(state, LATER, reporting_quota=3) as emu:
        api = _reporting(emu)
        for _ in range(3):
            api.reportTypes().list().execute()
        with pytest.raises(HttpError) as spent:
            api.reportTypes().list().execute()
        assert spent.value.resp.status == 429 and "youtubereporting.googleapis.com" in str(
            spent.value.content
        )
    # restarted on the same state: still spent
    with serving(state, LATER, reporting_quota=3) as emu, pytest.raises(HttpError) as still:
        _reporting(emu).reportTypes().list().execute()
    assert still.value.resp.status == 429
    with serving(tmp_path / "other.json", LATER, fault_rate=0.5, seed=3) as emu:
        api = _reporting(emu)
        for _ in range(6):
            assert api.reportTypes().list().execute(num_retries=8)["reportTypes"]
        assert sum(n for p, n in emu.emulator.stats.faults.items() if p.startswith("/v1/")) > 0


def test_a_cut_download_drops_the_connection_never_a_short_file(state):
    with serving(state, LATER) as emu:
        api = _reporting(emu)
        url = _reports(api, _jobs(api)["channel_combined_a3"])[-1]["downloadUrl"]
        token = api._http.credentials.token
        emu.emulator.config.truncate_rate = 1.0  # from now on every answer is cut
        with (
            pytest.raises((IncompleteRead, ConnectionError)),
            urllib.request.urlopen(
                urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
            ) as a,
        ):
            a.read()


def test_timing_history_daily_restatement_and_expiry():
    created = datetime(2026, 3, 1, 10, 0, tzinfo=PACIFIC)
    job = Job("j", "channel_basic_a3", "n", created, 1)
    assert reports_of(job, created + timedelta(hours=47), 2, 4) == []
    at_start = reports_of(job, created + timedelta(hours=48), 2, 4)
    history = [r for r in at_start if r.historical]
    assert len(history) == 30 and history[0].day == date(2026, 1, 30) and history[-1].day == date(2026, 2, 28)
    # and the creation day's own report, due two days (the world's latency) after it
    assert [r.day for r in at_start if not r.historical] == [date(2026, 3, 1)]
    later = created + timedelta(days=10)
    reports = reports_of(job, later, 2, 4)
    days = [r.day for r in reports if not r.historical]
    # every day from the creation day gets a report; a day restated gets a second one, later
    restated = [d for d in set(days) if days.count(d) == 2]
    assert date(2026, 3, 1) in restated
    for d in restated:
        a, b = (r for r in reports if r.day == d and not r.historical)
        assert a.start_time == b.start_time and a.id != b.id and b.create_time > a.create_time
    # historical reports leave after 30 days, daily ones after 60
    assert not [r for r in reports_of(job, created + timedelta(days=33), 2, 4) if r.historical]
    assert min(r.day for r in reports_of(job, created + timedelta(days=70), 2, 4)) > date(2026, 3, 1)
    # a spring-forward day is 23 hours long, a fall-back day 25
    dst = next(r for r in reports if r.day == date(2026, 3, 8))
    assert dst.end_time.astimezone(UTC) - dst.start_time.astimezone(UTC) == timedelta(hours=23)
    autumn = Job("k", "channel_basic_a3", "n", datetime(2026, 10, 30, 10, 0, tzinfo=PACIFIC), 1)
    back = next(
        r
        for r in reports_of(autumn, autumn.create_time + timedelta(days=9), 2, 4)
        if r.day == date(2026, 11, 1)
    )
    assert back.end_time.astimezone(UTC) - back.start_time.astimezone(UTC) == timedelta(hours=25)
    # the historical day just before the job was not final yet: restated later, not historical
    eve = [r for r in reports_of(job, created + timedelta(days=6), 2, 4) if r.day == date(2026, 2, 28)]
    assert [r.historical for r in eve] == [True, False] and eve[1].create_time > eve[0].create_time
    # expiry to the second: historical 30 days after creation, daily 60
    first_history = history[0]
    at = first_history.create_time + timedelta(days=30)
    listed = {r.id for r in reports_of(job, at - timedelta(seconds=1), 2, 4)}
    assert first_history.id in listed and first_history.id not in {r.id for r in reports_of(job, at, 2, 4)}
    daily = next(r for r in at_start if not r.historical)
    at = daily.create_time + timedelta(days=60)
    assert daily.id in {r.id for r in reports_of(job, at - timedelta(seconds=1), 2, 4)}
    assert daily.id not in {r.id for r in reports_of(job, at, 2, 4)}


def test_a_pretty_printed_job_body_is_json_like_any_other(tmp_path):
    with serving(tmp_path / "s.json", T0) as emu:
        api = _reporting(emu)
        api.reportTypes().list().execute()  # mints the access token
        body = b'{\n  "reportTypeId": "channel_basic_a3",\n  "name": "pretty"\n}\n'
        request = urllib.request.Request(
            emu.base_url + "/v1/jobs",
            data=body,
            headers={
                "Authorization": f"Bearer {api._http.credentials.token}",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(request) as answer:
            assert answer.status == 200
        assert [j["name"] for j in api.jobs().list().execute()["jobs"]] == ["pretty"]


def test_readme_and_help_list_every_report_type_and_its_columns():
    from pathlib import Path

    from typer.testing import CliRunner

    from ytlake.cli import app

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    shown = CliRunner().invoke(app, ["emulator", "serve", "--help"], env={"COLUMNS": "400"}).output
    for type_id, spec in DOC_COLUMNS.items():
        columns = ", ".join(spec.replace("M7", M7).split())
        assert f"| `{type_id}` (" in readme and f") | {columns} |" in readme, type_id
        assert f"{type_id} (" in shown and columns in " ".join(shown.split()), type_id


def test_methods_refuse_what_google_refuses_and_get_what_they_list(state):
    with serving(state, LATER) as emu:
        api = _reporting(emu)
        job = _jobs(api)["channel_basic_a3"]
        refusals = [
            (lambda: api.jobs().create(body={"reportTypeId": "channel_nonsense_a1", "name": "x"}), 400),
            (lambda: api.jobs().create(body={"reportTypeId": ["channel_basic_a3"], "name": "x"}), 400),
            (
                lambda: api.jobs().create(body={"reportTypeId": "channel_basic_a3", "name": "x", "color": 1}),
                400,
            ),
            (lambda: api.jobs().reports().get(jobId=job, reportId="1"), 404),
            (lambda: api.jobs().get(jobId="not-a-job"), 404),
        ]
        for i, (call, status) in enumerate(refusals):
            with pytest.raises(HttpError) as refused:
                call().execute()
                pytest.fail(f"refusal {i} not refused")
            assert refused.value.resp.status == status, i
        # (the client casts booleans itself; a raw request can send anything)
        bad = urllib.request.Request(
            f"{emu.base_url}/v1/reportTypes?includeSystemManaged=maybe",
            headers={"Authorization": f"Bearer {api._http.credentials.token}"},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(bad)
        assert refused.value.code == 400
        listed = _reports(api, job)[3]
        assert api.jobs().reports().get(jobId=job, reportId=listed["id"]).execute() == listed
        # without alt=media the download URL answers the media's metadata, not the file
        request = api.media().download(
            resourceName=listed["downloadUrl"].split("/v1/media/")[1].split("?")[0]
        )
        assert "resourceName" in request.execute()
        # a page token belongs to its list
        token = api.jobs().reports().list(jobId=job, pageSize=2).execute()["nextPageToken"]
        with pytest.raises(HttpError) as elsewhere:
            api.reportTypes().list(pageToken=token).execute()
        assert elsewhere.value.resp.status == 400


def test_paging_is_not_shifted_by_a_report_that_expires_between_pages():
    from ytlake.emulator.reporting import ReportingApi
    from ytlake.emulator.world import World

    now = [datetime(2026, 3, 1, 12, tzinfo=PACIFIC)]
    api = ReportingApi(World(tiny_world_config(today=T0, **WORLD)), now=lambda: now[0])
    api.jobs["j"] = Job("j", "channel_basic_a3", "n", datetime(2026, 1, 1, 12, tzinfo=PACIFIC), 1)

    def page(token=None):
        params = {"pageSize": ["10"], **({"pageToken": [token]} if token else {})}
        status, body, _ = api.handle("GET", "/v1/jobs/j/reports", params, None, 1, "http://x")
        assert status == 200
        return [r["id"] for r in body.get("reports", [])], body.get("nextPageToken")

    first, token = page()
    # the first report listed expires before the next page is asked for
    now[0] = min(r.expire_time for r in api._reports(api.jobs["j"])) + timedelta(seconds=1)
    rest = []
    while token:
        ids, token = page(token)
        rest += ids
    still_listed = {r.id for r in api._reports(api.jobs["j"])}
    assert len(first) == 10 and len(still_listed) > 20
    assert not set(rest) & set(first)  # nothing twice
    assert still_listed <= set(first) | set(rest)  # nothing skipped


def test_the_world_clock_runs_forward_past_midnight():
    from ytlake.emulator.service import Emulator
    from ytlake.emulator.world import World

    wall = [datetime(2026, 11, 2, 23, 59, tzinfo=PACIFIC).timestamp()]
    emulator = Emulator(World(tiny_world_config(today=T0, **WORLD)), clock=lambda: wall[0])
    before = emulator.world_now()
    wall[0] += 120
    after = emulator.world_now()
    assert before.date() == T0 and after > before and after.date() == T0 + timedelta(days=1)


def test_jobs_are_created_through_the_in_process_transport_too():
    import httpx

    from ytlake.emulator.service import Emulator
    from ytlake.emulator.transport import IN_PROCESS_ROOT, EmulatorTransport
    from ytlake.emulator.world import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, World, demo_refresh_token

    emulator = Emulator(World(tiny_world_config(today=T0, **WORLD)))
    with httpx.Client(transport=EmulatorTransport(emulator), base_url=IN_PROCESS_ROOT) as client:
        token = client.post(
            "/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": demo_refresh_token(1),
                "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET,
            },
        ).json()["access_token"]
        made = client.post(
            "/v1/jobs",
            json={"reportTypeId": "channel_basic_a3", "name": "in-process"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert made.status_code == 200 and made.json()["name"] == "in-process"


def test_a_live_streams_broadcast_day_is_mostly_live_views_and_its_recording_on_demand():
    """``live_or_on_demand`` is LIVE for what was watched during the broadcast: the files split a
    live stream's publication day between live and on-demand, and the split loses nothing (each
    country's cells add up to the world's day; no live watch time without live views)."""
    from ytlake.emulator import reporting_files
    from ytlake.emulator.reporting import REPORT_TYPES_BY_ID
    from ytlake.emulator.world import World

    world = World(tiny_world_config(videos=60, history_days=90, today=T0))
    kind = REPORT_TYPES_BY_ID["channel_basic_a3"]
    streams = [v for v in world.videos if v.content_type == "LIVE_STREAM" and v.published_date < T0]
    assert streams, "the world has no live stream to check"
    for video in streams[:3]:
        for day in (video.published_date, video.published_date + timedelta(days=1)):
            rows = [
                r
                for r in reporting_files.rows(world, kind.id, kind.dimensions, video.channel_index, day, T0)
                if r["video_id"] == video.video_id
            ]
            by_country = world.breakdown("country", video, day, as_of=T0)
            for country, truth in by_country.items():
                cells = [r for r in rows if r["country_code"] == country]
                assert sum(r.get("views", 0) for r in cells) == truth.views, (video.video_id, day, country)
                minutes = sum(r.get("watch_time_minutes", 0) for r in cells)
                assert round(minutes, 6) == truth.estimated_minutes_watched, (video.video_id, day, country)
                live = [r for r in cells if r["live_or_on_demand"] == "live"]
                if not sum(r.get("views", 0) for r in live):
                    assert not sum(r.get("watch_time_minutes", 0) for r in live), (video.video_id, country)
            live = sum(r.get("views", 0) for r in rows if r["live_or_on_demand"] == "live")
            total = sum(r.get("views", 0) for r in rows)
            if day == video.published_date:
                assert total and 0.3 < live / total < 0.95, (video.video_id, live, total)
            else:
                assert live == 0, (video.video_id, day)
    others = [v for v in world.videos if v.content_type != "LIVE_STREAM" and v.published_date < T0][:5]
    for video in others:
        rows = reporting_files.rows(
            world, kind.id, kind.dimensions, video.channel_index, video.published_date, T0
        )
        assert not [r for r in rows if r["video_id"] == video.video_id and r["live_or_on_demand"] == "live"]
