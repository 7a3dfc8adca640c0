"""The official google-api-python-client against the emulator, unchanged."""

from datetime import timedelta

import pytest
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from ytlake.emulator.server import running_emulator
from ytlake.emulator.service import EmulatorConfig

from ..conftest import tiny_world_config

SCOPES = [
    "https://www.googleapis.com/auth/youtube.readonly",
    "https://www.googleapis.com/auth/yt-analytics.readonly",
]


def _creds(base, refresh="ytlake-demo-refresh-token", client_id="ytlake-demo-client"):
    return Credentials(
        token=None,
        refresh_token=refresh,
        token_uri=f"{base}/token",
        client_id=client_id,
        client_secret="ytlake-demo-secret",
        scopes=SCOPES,
    )


@pytest.fixture(scope="module")
def clients(emulator):
    creds = _creds(emulator.base_url)
    opts = {"api_endpoint": emulator.base_url}
    yt = build("youtube", "v3", credentials=creds, static_discovery=True, client_options=opts)
    ya = build("youtubeAnalytics", "v2", credentials=creds, static_discovery=True, client_options=opts)
    return yt, ya


def test_channels_mine(clients, emulator):
    yt, _ = clients
    answer = yt.channels().list(part="snippet,contentDetails,statistics", mine=True).execute()
    channel = emulator.world.channel(1)
    assert answer["kind"] == "youtube#channelListResponse"
    [item] = answer["items"]
    assert item["id"] == channel.channel_id
    assert item["contentDetails"]["relatedPlaylists"]["uploads"] == "UU" + channel.channel_id[2:]
    assert isinstance(item["statistics"]["viewCount"], str)  # counts are JSON strings


def test_uploads_playlist_pages_with_list_next(clients, emulator):
    yt, _ = clients
    channel = emulator.world.channel(1)
    request = yt.playlistItems().list(
        part="contentDetails", playlistId=channel.uploads_playlist_id, maxResults=4
    )
    pages, ids = 0, []
    while request is not None:
        page = request.execute()
        pages += 1
        assert page["pageInfo"]["resultsPerPage"] == 4
        ids += [i["contentDetails"]["videoId"] for i in page["items"]]
        request = yt.playlistItems().list_next(request, page)
    expected = [v.video_id for v in emulator.world.videos_of(1)]
    assert ids == expected
    assert pages == -(-len(expected) // 4)


def test_fifty_videos_in_one_call():
    with running_emulator(tiny_world_config(videos=55, history_days=60)) as emu:
        yt = build(
            "youtube",
            "v3",
            credentials=_creds(emu.base_url),
            static_discovery=True,
            client_options={"api_endpoint": emu.base_url},
        )
        ids = [v.video_id for v in emu.world.videos_of(1)][:50]
        answer = (
            yt.videos().list(part=["snippet", "contentDetails", "statistics", "status"], id=ids).execute()
        )
        assert [i["id"] for i in answer["items"]] == ids
        assert all(i["contentDetails"]["duration"].startswith("PT") for i in answer["items"])


def test_channel_daily_report_is_dense_and_stops_at_the_latency():
    """The ideal world (--exact): every day, zeros included, up to the latency."""
    with running_emulator(tiny_world_config(), EmulatorConfig.exact()) as emu:
        ya = build(
            "youtubeAnalytics",
            "v2",
            credentials=_creds(emu.base_url),
            static_discovery=True,
            client_options={"api_endpoint": emu.base_url},
        )
        _dense_days(ya, emu.world)


def _dense_days(ya, world):
    start = world.today - timedelta(days=10)
    answer = (
        ya.reports()
        .query(
            ids="channel==MINE",
            startDate=start.isoformat(),
            endDate=world.today.isoformat(),
            metrics="views,likes",
            dimensions="day",
        )
        .execute()
    )
    assert [h["name"] for h in answer["columnHeaders"]] == ["day", "views", "likes"]
    days = [r[0] for r in answer["rows"]]
    assert days[0] == start.isoformat()
    assert days[-1] == world.available_through.isoformat()
    assert len(days) == 9  # 10 days back to 2 days back, inclusive
    assert all(isinstance(v, int) for r in answer["rows"] for v in r[1:])


def test_unsupported_query_gets_googles_400(clients):
    _, ya = clients
    with pytest.raises(HttpError) as err:
        ya.reports().query(
            ids="channel==MINE",
            startDate="2026-03-01",
            endDate="2026-03-05",
            metrics="views",
            dimensions="video,day",
        ).execute()
    assert err.value.status_code == 400
    assert err.value.error_details[0]["reason"] == "badRequest"
    assert "The query is not supported" in err.value.reason


def test_max_results_out_of_range_is_invalid_value(clients, emulator):
    yt, _ = clients
    with pytest.raises(HttpError) as err:
        yt.playlistItems().list(
            part="id", playlistId=emulator.world.channel(1).uploads_playlist_id, maxResults=51
        ).execute()
    assert err.value.status_code == 400
    assert err.value.error_details[0]["reason"] == "invalidValue"


def test_quota_exceeded_is_not_retried_by_the_client():
    config = EmulatorConfig(data_api_quota=2)
    with running_emulator(tiny_world_config(), config) as emu:
        yt = build(
            "youtube",
            "v3",
            credentials=_creds(emu.base_url),
            static_discovery=True,
            client_options={"api_endpoint": emu.base_url},
        )
        yt.channels().list(part="id", mine=True).execute()
        yt.channels().list(part="id", mine=True).execute()
        with pytest.raises(HttpError) as err:
            yt.channels().list(part="id", mine=True).execute(num_retries=3)
        assert err.value.error_details[0]["reason"] == "quotaExceeded"
        assert emu.emulator.stats.requests["/youtube/v3/channels"] == 3


def test_a_revoked_refresh_token_is_invalid_grant(emulator):
    yt = build(
        "youtube",
        "v3",
        credentials=_creds(emulator.base_url, refresh="revoked"),
        static_discovery=True,
        client_options={"api_endpoint": emulator.base_url},
    )
    with pytest.raises(RefreshError, match="invalid_grant"):
        yt.channels().list(part="id", mine=True).execute()


def test_an_unknown_client_is_invalid_client(emulator):
    yt = build(
        "youtube",
        "v3",
        credentials=_creds(emulator.base_url, client_id="stranger"),
        static_discovery=True,
        client_options={"api_endpoint": emulator.base_url},
    )
    with pytest.raises(RefreshError, match="invalid_client"):
        yt.channels().list(part="id", mine=True).execute()


def test_same_seed_same_bytes():
    import httpx

    bodies = []
    for _ in range(2):
        with running_emulator(tiny_world_config()) as emu:
            token = httpx.post(
                f"{emu.base_url}/token",
                data={
                    "grant_type": "refresh_token",
                    "client_id": "ytlake-demo-client",
                    "client_secret": "ytlake-demo-secret",
                    "refresh_token": "ytlake-demo-refresh-token",
                },
            ).json()["access_token"]
            headers = {"authorization": f"Bearer {token}"}
            ch = httpx.get(
                f"{emu.base_url}/youtube/v3/channels",
                params={"part": "snippet,contentDetails,statistics", "mine": "true"},
                headers=headers,
            ).content
            rep = httpx.get(
                f"{emu.base_url}/v2/reports",
                headers=headers,
                params={
                    "ids": "channel==MINE",
                    "startDate": "2026-02-20",
                    "endDate": "2026-03-08",
                    "metrics": "views,estimatedMinutesWatched",
                    "dimensions": "day",
                },
            ).content
            bodies.append((ch, rep))
    assert bodies[0] == bodies[1]


def test_api_calls_without_a_token_get_401(emulator):
    import httpx

    answer = httpx.get(f"{emulator.base_url}/youtube/v3/channels", params={"part": "id", "mine": "true"})
    assert answer.status_code == 401
    assert answer.json()["error"]["errors"][0]["reason"] == "authError"
