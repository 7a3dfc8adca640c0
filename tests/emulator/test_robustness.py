"""The emulator against hostile or absurd requests, over real HTTP: it answers as Google does
(a 400 in Google's error JSON, or the days that have data), never a 500, never a split
header, and one client's long request never holds up another's."""

from __future__ import annotations

import base64
import threading
from datetime import date, timedelta

import httpx
import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build

from ytlake.emulator.server import running_emulator
from ytlake.emulator.service import EmulatorConfig
from ytlake.emulator.transport import IN_PROCESS_ROOT, EmulatorTransport
from ytlake.emulator.world import PACIFIC, WorldConfig

from ..conftest import TODAY, tiny_world_config

FORM = {
    "grant_type": "refresh_token",
    "client_id": "ytlake-demo-client",
    "client_secret": "ytlake-demo-secret",
    "refresh_token": "ytlake-demo-refresh-token",
}
METRICS = "views,estimatedMinutesWatched"
ABSURD = {"startDate": "0001-01-01", "endDate": "9999-12-31"}


def _bearer(base: str) -> dict[str, str]:
    token = httpx.post(f"{base}/token", data=FORM).json()["access_token"]
    return {"authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def google_like():
    with running_emulator(tiny_world_config()) as emu:
        yield emu, _bearer(emu.base_url)


@pytest.fixture(scope="module")
def exact():
    with running_emulator(tiny_world_config(), EmulatorConfig.exact()) as emu:
        yield emu, _bearer(emu.base_url)


def _report(emu, headers, timeout: float = 30, **params) -> httpx.Response:
    query = {"ids": "channel==MINE", "metrics": METRICS, **params}
    return httpx.get(f"{emu.base_url}/v2/reports", params=query, headers=headers, timeout=timeout)


def _assert_google_400(answer: httpx.Response, location: str | None = None) -> dict:
    """Google's error JSON: ``{"error": {"code": 400, "message", "errors": [...]}}``."""
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    error = answer.json()["error"]
    assert error["code"] == 400 and error["message"]
    assert error["errors"][0]["message"] and error["errors"][0]["reason"]
    if location is not None:
        assert error["errors"][0]["location"] == location
    return error


# -- absurd date ranges -----------------------------------------------------------------


@pytest.mark.parametrize("dimensions", ["day", "country", "insightTrafficSourceType,day"])
def test_a_two_thousand_year_range_answers_the_days_that_have_data(google_like, dimensions):
    emu, headers = google_like
    world = emu.world
    absurd = _report(emu, headers, timeout=10, dimensions=dimensions, **ABSURD)
    own = _report(
        emu, headers, dimensions=dimensions, startDate=world.start.isoformat(), endDate=TODAY.isoformat()
    )
    assert absurd.status_code == 200, absurd.text
    assert absurd.json() == own.json()  # nothing outside the world's days, nothing of it missing
    assert own.json()["rows"]


def test_an_absurd_range_of_one_video_answers_its_days(google_like):
    emu, headers = google_like
    video = emu.world.videos[0]
    filters = f"video=={video.video_id}"
    absurd = _report(emu, headers, timeout=10, dimensions="day", filters=filters, **ABSURD)
    own = _report(
        emu,
        headers,
        dimensions="day",
        filters=filters,
        startDate=emu.world.start.isoformat(),
        endDate="2026-03-10",
    )
    assert absurd.status_code == 200 and absurd.json() == own.json()


def test_an_absurd_range_in_the_ideal_world_is_a_dense_series_from_the_channel_creation(exact):
    emu, headers = exact
    world = emu.world
    answer = _report(emu, headers, timeout=10, dimensions="day", **ABSURD)
    assert answer.status_code == 200, answer.text
    days = [date.fromisoformat(row[0]) for row in answer.json()["rows"]]
    created = world.channel(1).published_at.astimezone(PACIFIC).date()
    assert days[0] == created and days[-1] == world.available_through
    assert days == [created + timedelta(days=i) for i in range(len(days))]  # dense, zeros included


def test_a_range_wholly_outside_the_world_has_no_rows(google_like):
    emu, headers = google_like
    for start, end in (("0001-01-01", "0001-12-31"), ("9000-01-01", "9999-12-31")):
        answer = _report(emu, headers, timeout=10, dimensions="day", startDate=start, endDate=end)
        assert answer.status_code == 200
        assert "rows" not in answer.json()  # Google omits rows when there is no data


def test_the_official_client_gets_an_absurd_range_answered():
    with running_emulator(tiny_world_config()) as emu:
        creds = Credentials(
            token=None,
            refresh_token=FORM["refresh_token"],
            token_uri=f"{emu.base_url}/token",
            client_id=FORM["client_id"],
            client_secret=FORM["client_secret"],
        )
        ya = build(
            "youtubeAnalytics",
            "v2",
            credentials=creds,
            static_discovery=True,
            client_options={"api_endpoint": emu.base_url},
        )
        answer = (
            ya.reports().query(ids="channel==MINE", metrics=METRICS, dimensions="day", **ABSURD).execute()
        )
    assert answer["rows"] and answer["rows"][0][0] >= emu.world.start.isoformat()


# -- bad numbers --------------------------------------------------------------------------

BAD_PAGE_SIZES = ["abc", "-1", "51", "99999999999999999999", "9" * 5000, "--5", "1e3", "0x10", "5.0", "²"]


@pytest.mark.parametrize("value", BAD_PAGE_SIZES)
@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("channels", {"part": "id", "mine": "true"}),
        ("playlistItems", {"part": "id", "playlistId": None}),
        ("videos", {"part": "id", "id": None}),
    ],
)
def test_a_bad_max_results_on_a_data_api_list_is_a_400(google_like, path, params, value):
    emu, headers = google_like
    channel = emu.world.channel(1)
    params = dict(params)
    if "playlistId" in params:
        params["playlistId"] = channel.uploads_playlist_id
    if "id" in params:
        params["id"] = emu.world.videos[0].video_id
    answer = httpx.get(
        f"{emu.base_url}/youtube/v3/{path}", params={**params, "maxResults": value}, headers=headers
    )
    _assert_google_400(answer, "maxResults")


@pytest.mark.parametrize("value", ["abc", "0", "-1", "2147483648", "99999999999999999999", "9" * 5000, "²"])
@pytest.mark.parametrize("name", ["maxResults", "startIndex"])
def test_a_bad_max_results_or_start_index_on_analytics_is_a_400(google_like, name, value):
    emu, headers = google_like
    answer = _report(
        emu, headers, dimensions="day", startDate="2026-03-01", endDate="2026-03-05", **{name: value}
    )
    _assert_google_400(answer, name)


@pytest.mark.parametrize(
    "value", ["2024-13-45", "2024-02-30", "0000-01-01", "2024-1-1", "２０２４-01-01", "yesterday"]
)
@pytest.mark.parametrize("name", ["startDate", "endDate"])
def test_a_malformed_date_is_a_400(google_like, name, value):
    emu, headers = google_like
    dates = {"startDate": "2026-03-01", "endDate": "2026-03-05", name: value}
    _assert_google_400(_report(emu, headers, dimensions="day", **dates), name)


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "token", ["abc", "!!!", "é", _b64("PI:abc"), _b64("PI:²"), _b64("PI:" + "9" * 5000), _b64("PI:-1")]
)
def test_a_page_token_that_is_not_one_of_ours_is_invalid_page_token(google_like, token):
    emu, headers = google_like
    params = {"part": "id", "playlistId": emu.world.channel(1).uploads_playlist_id, "pageToken": token}
    answer = httpx.get(f"{emu.base_url}/youtube/v3/playlistItems", params=params, headers=headers)
    error = _assert_google_400(answer, "pageToken")
    assert error["errors"][0]["reason"] == "invalidPageToken"


@pytest.mark.parametrize("name", ["max-results", "start-index", "start-date", "end-date"])
def test_analytics_refuses_v1_parameter_names(google_like, name):
    """v2 is a One Platform API: its front end refuses a query parameter the method does not
    have, such as v1's hyphenated names, whatever the value."""
    emu, headers = google_like
    answer = _report(
        emu, headers, dimensions="day", startDate="2026-03-01", endDate="2026-03-05", **{name: "abc"}
    )
    error = _assert_google_400(answer)
    assert error["status"] == "INVALID_ARGUMENT" and f'Unknown name "{name}"' in error["message"]


@pytest.mark.parametrize("params", [{"max-results": "abc"}, {"maxResults": "7", "max-results": "-1"}])
def test_a_v1_style_number_on_the_data_api_is_never_a_server_error(google_like, params):
    emu, headers = google_like
    answer = httpx.get(
        f"{emu.base_url}/youtube/v3/channels",
        params={"part": "id", "mine": "true", **params},
        headers=headers,
    )
    assert answer.status_code < 500 and isinstance(answer.json(), dict)


# -- header injection ---------------------------------------------------------------------

INJECTED = "%0d%0aSet-Cookie:%20injected=1"


def _assert_no_injected_header(answer: httpx.Response) -> None:
    assert "set-cookie" not in answer.headers
    assert all("injected" not in value for value in answer.headers.values())


@pytest.mark.parametrize(
    "query",
    [
        "/youtube/v3/playlistItems?part=id&playlistId=UUx&pageToken=" + INJECTED,
        "/youtube/v3/channels?part=id&mine=true" + INJECTED,
        "/youtube/v3/videos?part=id&id=abc" + INJECTED,
        "/v2/reports?ids=channel%3D%3DMINE&metrics=views&startDate=2026-03-01&endDate=2026-03-05" + INJECTED,
        "/v2/reports?ids=channel%3D%3DMINE&metrics=views&startDate=2026-03-01&endDate=2026-03-05&x"
        + INJECTED
        + "=1",
    ],
)
def test_a_parameter_carrying_cr_lf_is_a_400_and_injects_no_header(google_like, query):
    emu, headers = google_like
    answer = httpx.get(httpx.URL(emu.base_url + query), headers=headers)
    _assert_google_400(answer)
    _assert_no_injected_header(answer)


def test_a_redirect_uri_carrying_cr_lf_is_refused_before_it_reaches_location(google_like):
    emu, _ = google_like
    url = (
        f"{emu.base_url}/o/oauth2/auth?client_id=ytlake-demo-client&response_type=code&scope=x"
        f"&redirect_uri=http://localhost:1/{INJECTED}"
    )
    answer = httpx.get(httpx.URL(url))
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"
    assert "location" not in answer.headers
    _assert_no_injected_header(answer)


def test_a_redirect_uri_that_is_not_header_text_is_a_400_not_a_500(google_like):
    emu, _ = google_like
    params = {
        "client_id": "ytlake-demo-client",
        "response_type": "code",
        "redirect_uri": "http://localhost:1/€",
    }
    answer = httpx.get(f"{emu.base_url}/o/oauth2/auth", params=params)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"


def test_a_token_request_carrying_cr_lf_is_invalid_request(google_like):
    emu, _ = google_like
    answer = httpx.post(
        f"{emu.base_url}/token", data={**FORM, "refresh_token": "x\r\nSet-Cookie: injected=1"}
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"
    _assert_no_injected_header(answer)


def test_a_basic_auth_header_that_is_not_ascii_is_invalid_client_not_a_500(google_like):
    emu, _ = google_like
    answer = httpx.post(
        f"{emu.base_url}/token",
        headers={"authorization": b"Basic \xe9\xe9\xe9"},
        data={"grant_type": "refresh_token", "refresh_token": "ytlake-demo-refresh-token"},
    )
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


def test_the_in_process_transport_refuses_cr_lf_as_the_server_does(tiny_world):
    from ytlake.emulator.service import Emulator

    emulator = Emulator(tiny_world)
    with httpx.Client(transport=EmulatorTransport(emulator), base_url=IN_PROCESS_ROOT) as client:
        token = client.post("/token", data=FORM).json()["access_token"]
        answer = client.get(
            httpx.URL(f"{IN_PROCESS_ROOT}/youtube/v3/channels?part=id&mine=true&pageToken={INJECTED}"),
            headers={"authorization": f"Bearer {token}"},
        )
    _assert_google_400(answer)
    _assert_no_injected_header(answer)


# -- one client never holds up another ---------------------------------------------------


def test_a_small_request_is_answered_while_a_huge_query_is_being_computed():
    """A world big enough that a whole-history country report takes seconds to compute
    (cold): while it is computed, another client's channels.list is answered."""
    world = WorldConfig(seed=3, videos=30, history_days=600, today=TODAY)
    with running_emulator(world) as emu:
        headers = _bearer(emu.base_url)
        big: dict[str, httpx.Response] = {}

        def ask_big() -> None:
            big["answer"] = _report(emu, headers, timeout=300, dimensions="country", **ABSURD)

        thread = threading.Thread(target=ask_big, daemon=True)
        thread.start()
        stats = emu.emulator.stats
        while not stats.requests["/v2/reports"]:  # the big query is in the handler
            assert thread.is_alive(), "the big query ended before it was counted"
            threading.Event().wait(0.005)
        small = httpx.get(
            f"{emu.base_url}/youtube/v3/channels",
            params={"part": "id", "mine": "true"},
            headers=headers,
            timeout=60,
        )
        big_still_running = thread.is_alive()
        thread.join(timeout=300)
    assert small.status_code == 200
    assert big_still_running, "the small request waited for the big one"
    assert big["answer"].status_code == 200 and big["answer"].json()["rows"]
