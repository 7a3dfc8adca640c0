"""Our Google client against the emulator: retries, quota, token refresh, paging."""

import time

import pytest

from ytlake.emulator.server import running_emulator
from ytlake.emulator.service import EmulatorConfig
from ytlake.youtube.data_api import DataApi, uploads_playlist_id, video_ids_of
from ytlake.youtube.endpoints import ApiRoot, InvalidApiRootError
from ytlake.youtube.http import ApiResponse, GoogleHttp, QuotaExceededError
from ytlake.youtube.oauth import AuthError, ClientCredentials, OAuthSession
from ytlake.youtube.paging import RepeatedPageTokenError, paginate

from ..conftest import tiny_world_config

DEMO = ClientCredentials("ytlake-demo-client", "ytlake-demo-secret", "ytlake-demo-refresh-token")


def _http(base, creds=DEMO, **kw):
    root = ApiRoot.under(base)
    return GoogleHttp(OAuthSession(creds, root.token_uri), backoff_base=0.01, **kw), root


def _all_video_ids(http, root):
    api = DataApi(http, root.data_api)
    _, uploads = uploads_playlist_id(api.my_channel())
    ids = []
    for page in api.playlist_pages(uploads):
        ids += video_ids_of(page)
    return ids


def test_pages_through_the_uploads_playlist(emulator):
    http, root = _http(emulator.base_url)
    assert _all_video_ids(http, root) == [v.video_id for v in emulator.world.videos_of(1)]


def _answers(http, root, n=25):
    api = DataApi(http, root.data_api)
    return [api.my_channel().text for _ in range(n)] + [str(_all_video_ids(http, root))]


def test_transient_errors_are_retried_until_the_same_answers_arrive():
    world = tiny_world_config(videos=40, history_days=60)
    with running_emulator(world) as clean:
        http, root = _http(clean.base_url)
        expected = _answers(http, root)
    with running_emulator(world, EmulatorConfig(fault_rate=0.3, seed=3)) as faulty:
        http, root = _http(faulty.base_url)
        assert _answers(http, root) == expected
        faults = sum(faulty.emulator.stats.faults.values())
        assert faults > 0
        assert sum(http.stats.retries.values()) == faults
        assert {int(s) for s in faulty.emulator.stats.statuses} - {200} <= {500, 503, 429, 403}


def test_quota_exceeded_stops_without_retrying():
    with running_emulator(tiny_world_config(), EmulatorConfig(data_api_quota=1)) as emu:
        http, root = _http(emu.base_url)
        api = DataApi(http, root.data_api)
        api.my_channel()
        with pytest.raises(QuotaExceededError) as err:
            api.my_channel()
        assert err.value.reason == "quotaExceeded"
        assert emu.emulator.stats.requests["/youtube/v3/channels"] == 2


def test_an_expired_access_token_is_refreshed_on_401():
    with running_emulator(tiny_world_config(), EmulatorConfig(token_ttl=1)) as emu:
        http, root = _http(emu.base_url)
        api = DataApi(http, root.data_api)
        api.my_channel()
        # google-auth would refresh early; make it use the stale token so the API says 401
        http.oauth._creds.expiry = None
        time.sleep(1.1)
        assert api.my_channel().status == 200
        assert http.oauth.refreshes == 2
        assert emu.emulator.stats.statuses[401] == 1


def test_a_revoked_refresh_token_fails_with_one_clear_line_and_no_secret(emulator):
    creds = ClientCredentials("ytlake-demo-client", "ytlake-demo-secret", "revoked-token-xyz")
    http, root = _http(emulator.base_url, creds)
    with pytest.raises(AuthError) as err:
        DataApi(http, root.data_api).my_channel()
    text = str(err.value)
    assert "\n" not in text
    assert "invalid_grant" in text and "ytlake auth" in text
    assert "revoked-token-xyz" not in text and "ytlake-demo-secret" not in text
    assert "revoked-token-xyz" not in repr(creds)


def _page(token):
    body = '{"items": []' + (f', "nextPageToken": "{token}"' if token else "") + "}"
    return ApiResponse("playlistItems", {}, 200, body)


def test_paginator_follows_next_page_token():
    tokens = iter(["t1", "t2", None])
    asked = []

    def fetch(token):
        asked.append(token)
        return _page(next(tokens))

    assert len(list(paginate(fetch))) == 3
    assert asked == [None, "t1", "t2"]


def test_paginator_refuses_a_repeated_token():
    tokens = iter(["t1", "t2", "t1"])
    with pytest.raises(RepeatedPageTokenError, match="t1"):
        list(paginate(lambda _: _page(next(tokens))))


def test_api_root_puts_every_endpoint_under_one_url():
    root = ApiRoot.under("http://127.0.0.1:8765/")
    assert (root.token_uri, root.data_api, root.analytics_api) == (
        "http://127.0.0.1:8765/token",
        "http://127.0.0.1:8765/youtube/v3",
        "http://127.0.0.1:8765/v2",
    )
    with pytest.raises(InvalidApiRootError):
        ApiRoot.under("127.0.0.1:8765")


class FakeClock:
    """A monotonic clock that moves only when someone sleeps (thread-safe)."""

    def __init__(self) -> None:
        import threading

        self.now, self.slept, self._lock = 1000.0, [], threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self.now += seconds


def test_rate_limiter_spaces_calls_across_threads():
    """Pacing on an injected clock: calls from four threads leave at least 1/rate apart."""
    import itertools
    import threading

    from ytlake.youtube.http import RateLimiter

    clock = FakeClock()
    limiter = RateLimiter(200, clock=clock, sleep=clock.sleep)
    stamps = []

    def worker():
        for _ in range(5):
            stamps.append(limiter.wait())  # when the call leaves

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    gaps = [b - a for a, b in itertools.pairwise(sorted(stamps))]
    assert len(stamps) == 20
    assert min(gaps) >= 1 / 200  # never faster than the limit (with its 2 % margin)
    assert max(gaps) <= 1 / 200 / RateLimiter.MARGIN + 1e-9  # and no slower than needed


@pytest.mark.parametrize("shape", ["quotaExceeded", "dailyLimitExceeded", "rateLimitExceeded"])
@pytest.mark.parametrize("api", ["data", "analytics"])
def test_every_shape_of_a_spent_quota_stops_without_retrying(shape, api):
    from ytlake.youtube.analytics_api import AnalyticsApi

    quota = {"data_api_quota": 1} if api == "data" else {"analytics_quota": 1}
    with running_emulator(tiny_world_config(), EmulatorConfig(quota_error=shape, **quota)) as emu:
        http, root = _http(emu.base_url)
        if api == "data":
            call = DataApi(http, root.data_api).my_channel
        else:
            params = {"ids": "channel==MINE", "startDate": "2026-03-01", "endDate": "2026-03-05"}
            params |= {"metrics": "views", "dimensions": "day"}
            call = lambda: AnalyticsApi(http, root.analytics_api).request(params)  # noqa: E731
        call()
        with pytest.raises(QuotaExceededError):
            call()
        assert sum(http.stats.retries.values()) == 0
        assert sum(emu.emulator.stats.requests[p] for p in ("/youtube/v3/channels", "/v2/reports")) == 2


def _google_error(status, reason, message, details=None):
    error = {
        "code": status,
        "message": message,
        "errors": [{"message": message, "domain": "global", "reason": reason}],
    }
    if details:
        error["details"] = details
    return {"error": error}


PER_MINUTE = _google_error(
    429,
    "rateLimitExceeded",
    "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service "
    "'youtubeanalytics.googleapis.com' for consumer 'project_number:1'.",
    [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "RATE_LIMIT_EXCEEDED",
            "metadata": {"quota_limit": "defaultPerMinutePerUser"},
        }
    ],
)


def _fake_google(answers):
    """A fake network under the real client: the token endpoint, then ``answers`` in turn
    (``(status, body, headers)``), the last one repeated."""
    import httpx

    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(
                200, json={"access_token": "ya29.x", "expires_in": 3599, "token_type": "Bearer"}
            )
        calls.append(request)
        status, body, headers = answers[min(len(calls), len(answers)) - 1]
        return httpx.Response(status, json=body, headers=headers)

    return httpx.MockTransport(handler), calls


def _fake_http(answers, **kw):
    from ytlake.youtube.endpoints import mounted

    transport, calls = _fake_google(answers)
    base = "http://google.fake"
    clock = FakeClock()
    ctx = mounted(base, transport)
    ctx.__enter__()
    root = ApiRoot.under(base)
    oauth = OAuthSession(DEMO, root.token_uri)
    http = GoogleHttp(oauth, sleep=clock.sleep, **kw)
    return http, root, calls, clock, ctx


def test_a_per_minute_429_is_retried_honouring_retry_after_up_to_two_minutes():
    ok = {"kind": "youtubeAnalytics#resultTable", "columnHeaders": []}
    answers = [
        (429, PER_MINUTE, {"retry-after": "75"}),
        (429, PER_MINUTE, {"retry-after": "600"}),
        (200, ok, {}),
    ]
    http, root, calls, clock, ctx = _fake_http(answers)
    try:
        assert http.get(root.analytics_api, "reports", {"ids": "channel==MINE"}).status == 200
    finally:
        ctx.__exit__(None, None, None)
    assert len(calls) == 3
    assert clock.slept == [75.0, 120.0]  # a minute and more when Google asks; capped at two


def test_retries_stop_within_a_bounded_total_wait_and_keep_the_last_answer():
    from ytlake.youtube.http import RetryableError

    unavailable = _google_error(503, "backendError", "The service is currently unavailable.")
    http, root, calls, clock, ctx = _fake_http(
        [(503, unavailable, {"retry-after": "100"})], max_total_wait=250
    )
    try:
        with pytest.raises(RetryableError) as err:
            http.get(root.analytics_api, "reports", {"ids": "channel==MINE"})
    finally:
        ctx.__exit__(None, None, None)
    assert sum(clock.slept) == 250  # 100 + 100 + the 50 left, then one last try
    assert len(calls) == 4
    assert err.value.response.status == 503  # Bronze can record what Google said


def test_a_per_day_429_is_a_spent_quota_not_a_retry():
    per_day = _google_error(
        429,
        "rateLimitExceeded",
        "Quota exceeded for quota metric 'Queries' and limit 'Queries per day' of service "
        "'youtubeanalytics.googleapis.com' for consumer 'project_number:1'.",
    )
    http, root, calls, clock, ctx = _fake_http([(429, per_day, {})])
    try:
        with pytest.raises(QuotaExceededError):
            http.get(root.analytics_api, "reports", {"ids": "channel==MINE"})
    finally:
        ctx.__exit__(None, None, None)
    assert len(calls) == 1 and clock.slept == []


def test_a_transport_error_while_refreshing_the_token_is_retried():
    import google.auth.exceptions
    import httpx

    from ytlake.youtube.endpoints import mounted

    attempts = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(request.url.path)
        if len(attempts) < 3:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(
            200, json={"access_token": "ya29.ok", "expires_in": 3599, "token_type": "Bearer"}
        )

    clock = FakeClock()
    with mounted("http://google.fake", httpx.MockTransport(handler)):
        oauth = OAuthSession(DEMO, "http://google.fake/token", sleep=clock.sleep)
        assert oauth.access_token() == "ya29.ok"
    assert len(attempts) == 3 and len(clock.slept) == 2
    with mounted(
        "http://google.fake",
        httpx.MockTransport(lambda r: (_ for _ in ()).throw(httpx.ConnectError("down", request=r))),
    ):
        oauth = OAuthSession(DEMO, "http://google.fake/token", refresh_attempts=3, sleep=clock.sleep)
        with pytest.raises(AuthError, match="cannot reach the OAuth token endpoint"):
            oauth.access_token()
    assert google.auth.exceptions.TransportError  # the error google-auth raises, retried above


def _error_response(status, body, params):
    import json as _json

    return ApiResponse("reports", params, status, _json.dumps(body))


@pytest.mark.parametrize(
    ("status", "reason", "message", "location", "filters", "one_video"),
    [
        (
            400,
            "badRequest",
            "The video identified by the filters parameter (aaaaaaaaaaa) could not be found.",
            "filters",
            "video==aaaaaaaaaaa",
            True,
        ),
        (403, "forbidden", "Forbidden", None, "video==aaaaaaaaaaa", True),  # not the channel's video
        (404, "notFound", "Not found", None, "video==aaaaaaaaaaa", True),
        (
            400,
            "badRequest",
            "The query is not supported. Check the documentation at ...",
            None,
            "video==aaaaaaaaaaa",
            False,
        ),
        (
            400,
            "badRequest",
            "Unknown identifier (viewz) given in field parameters.metrics.",
            None,
            "video==aaaaaaaaaaa",
            False,
        ),
        (
            403,
            "insufficientPermissions",
            "Request had insufficient authentication scopes.",
            None,
            "video==aaaaaaaaaaa",
            False,
        ),
        (403, "forbidden", "Forbidden", None, None, False),  # the channel is not the caller's
    ],
)
def test_only_an_error_about_one_video_skips_that_video(
    status, reason, message, location, filters, one_video
):
    from ytlake.youtube.analytics_api import concerns_one_video
    from ytlake.youtube.http import GoogleApiError

    item = {"message": message, "domain": "global", "reason": reason}
    if location:
        item["location"] = location
    params = {"ids": "channel==MINE", **({"filters": filters} if filters else {})}
    response = _error_response(
        status, {"error": {"code": status, "message": message, "errors": [item]}}, params
    )
    err = GoogleApiError(status, reason, message, response)
    assert concerns_one_video(err) is one_video
    assert "asked: reports?ids=channel==MINE" in str(err)  # the request that drew it
