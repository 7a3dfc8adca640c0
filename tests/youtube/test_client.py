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


def test_rate_limiter_spaces_calls_across_threads():
    import itertools
    import threading

    from ytlake.youtube.http import RateLimiter

    limiter = RateLimiter(200)
    stamps = []
    lock = threading.Lock()

    def worker():
        for _ in range(5):
            limiter.wait()
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stamps.sort()
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert len(stamps) == 20
    assert min(gaps) >= 1 / 200 * 0.99  # never faster than the limit
