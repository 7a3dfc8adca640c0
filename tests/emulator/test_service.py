"""OAuth, quota per Pacific day, rate limit, latency, faults and stats."""

import base64
import time
from datetime import datetime

import httpx
import pytest

from ytlake.emulator.server import running_emulator
from ytlake.emulator.service import Emulator, EmulatorConfig
from ytlake.emulator.world import PACIFIC, World

from ..conftest import tiny_world_config

FORM = {
    "grant_type": "refresh_token",
    "client_id": "ytlake-demo-client",
    "client_secret": "ytlake-demo-secret",
    "refresh_token": "ytlake-demo-refresh-token",
}


def _token(emu_or_base, **overrides):
    base = emu_or_base if isinstance(emu_or_base, str) else emu_or_base.base_url
    return httpx.post(f"{base}/token", data={**FORM, **overrides})


def test_token_endpoint_accepts_http_basic_client_auth(emulator):
    basic = base64.b64encode(b"ytlake-demo-client:ytlake-demo-secret").decode()
    answer = httpx.post(
        f"{emulator.base_url}/token",
        headers={"authorization": f"Basic {basic}"},
        data={"grant_type": "refresh_token", "refresh_token": "ytlake-demo-refresh-token"},
    )
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"access_token", "expires_in", "scope", "token_type"}
    assert body["token_type"] == "Bearer"


@pytest.mark.parametrize(
    ("overrides", "status", "error"),
    [
        ({"refresh_token": "nope"}, 400, "invalid_grant"),
        ({"client_id": "x"}, 401, "invalid_client"),
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
    ],
)
def test_token_errors_as_google_sends_them(emulator, overrides, status, error):
    answer = _token(emulator, **overrides)
    assert answer.status_code == status
    assert answer.json()["error"] == error and answer.json()["error_description"]


def test_further_channels_have_numbered_demo_tokens():
    with running_emulator(tiny_world_config(channels=2)) as emu:
        tokens = [
            _token(emu, refresh_token=t).json()["access_token"]
            for t in ("ytlake-demo-refresh-token", "ytlake-demo-refresh-token-2")
        ]
        ids = [
            httpx.get(
                f"{emu.base_url}/youtube/v3/channels",
                params={"part": "id", "mine": "true"},
                headers={"authorization": f"Bearer {t}"},
            ).json()["items"][0]["id"]
            for t in tokens
        ]
        assert ids == [c.channel_id for c in emu.world.channels]


class Clock:
    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t


def _call(emulator: Emulator, token, path="/youtube/v3/channels", **params):
    params = {k: [str(v)] for k, v in {"part": "id", "mine": "true", **params}.items()}
    return emulator.handle("GET", path, params, {"authorization": f"Bearer {token}"})


def _service_token(emulator: Emulator):
    status, body, _ = emulator.handle("POST", "/token", {}, {}, {k: [v] for k, v in FORM.items()})
    assert status == 200
    return body["access_token"]


def test_data_api_quota_is_per_pacific_day_and_resets_at_pacific_midnight():
    before_midnight = datetime(2026, 3, 10, 23, 59, tzinfo=PACIFIC).timestamp()
    clock = Clock(before_midnight)
    emulator = Emulator(World(tiny_world_config()), EmulatorConfig(data_api_quota=3, token_ttl=10**6), clock)
    token = _service_token(emulator)
    assert [_call(emulator, token)[0] for _ in range(4)] == [200, 200, 200, 403]
    assert b"quotaExceeded" in str(_call(emulator, token)[1]).encode()
    clock.t = before_midnight + 120  # 00:01 Pacific, next day
    assert _call(emulator, token)[0] == 200


@pytest.mark.parametrize(
    ("shape", "status", "reason"),
    [
        (None, 429, "rateLimitExceeded"),  # a Cloud request quota: Google's per-day 429
        ("quotaExceeded", 403, "quotaExceeded"),
        ("dailyLimitExceeded", 403, "dailyLimitExceeded"),
        ("rateLimitExceeded", 429, "rateLimitExceeded"),
    ],
)
def test_analytics_quota_counts_requests(shape, status, reason):
    emulator = Emulator(World(tiny_world_config()), EmulatorConfig(analytics_quota=1, quota_error=shape))
    token = _service_token(emulator)
    q = {
        "ids": "channel==MINE",
        "startDate": "2026-03-01",
        "endDate": "2026-03-05",
        "metrics": "views",
        "dimensions": "day",
    }
    assert _call(emulator, token, "/v2/reports", **q)[0] == 200
    got, body, _ = _call(emulator, token, "/v2/reports", **q)
    assert (got, body["error"]["errors"][0]["reason"]) == (status, reason)
    if status == 429:  # a daily quota says so in its message and in its ErrorInfo
        assert "per day" in body["error"]["message"]
        [info] = [d for d in body["error"]["details"] if d["@type"].endswith("ErrorInfo")]
        assert info["metadata"]["quota_limit"].endswith("PerDayPerProject")


def test_server_side_rate_limit_answers_429_or_rate_limit_403():
    clock = Clock(1_000_000.0)
    emulator = Emulator(World(tiny_world_config()), EmulatorConfig(max_rps=5, token_ttl=10**9), clock)
    token = _service_token(emulator)
    statuses = [_call(emulator, token)[0] for _ in range(10)]
    assert statuses[:5] == [200] * 5 and set(statuses[5:]) <= {429, 403} and len(set(statuses[5:])) == 2
    clock.t += 1.0
    assert _call(emulator, token)[0] == 200


def test_faults_are_deterministic_from_the_seed():
    def sequence():
        emulator = Emulator(World(tiny_world_config()), EmulatorConfig(fault_rate=0.3, seed=9))
        token = _service_token(emulator)
        return [_call(emulator, token)[0] for _ in range(40)]

    first = sequence()
    assert first == sequence()
    assert set(first) - {200} and set(first) - {200} <= {500, 503, 429, 403}


def test_latency_is_added_to_every_answer():
    with running_emulator(tiny_world_config(), EmulatorConfig(latency_ms=150)) as emu:
        started = time.monotonic()
        httpx.get(f"{emu.base_url}/emulator/stats")
        assert time.monotonic() - started >= 0.15


def test_stats_report_requests_and_quota_per_endpoint():
    with running_emulator(tiny_world_config()) as emu:
        token = _token(emu).json()["access_token"]
        headers = {"authorization": f"Bearer {token}"}
        for _ in range(3):
            httpx.get(
                f"{emu.base_url}/youtube/v3/channels", params={"part": "id", "mine": "true"}, headers=headers
            )
        stats = httpx.get(f"{emu.base_url}/emulator/stats").json()
        assert stats["requests"]["/youtube/v3/channels"] == 3
        assert stats["data_api_units"] == {"channels.list": 3}
        assert stats["data_api_units_today"] == 3


def test_an_expired_access_token_gets_401():
    clock = Clock(1_000_000.0)
    emulator = Emulator(World(tiny_world_config()), EmulatorConfig(token_ttl=60), clock)
    token = _service_token(emulator)
    assert _call(emulator, token)[0] == 200
    clock.t += 61
    status, body, _ = _call(emulator, token)
    assert status == 401 and body["error"]["status"] == "UNAUTHENTICATED"
