"""The emulator's request handling, independent of any web framework.

``Emulator.handle`` takes a method, a path, the query as a multi-dict, the headers and the
form body, and returns ``(status, json_body, headers)``. ``app.py`` puts it behind HTTP.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
import random
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from ytlake.emulator import errors, rules
from ytlake.emulator import state as emulator_state
from ytlake.emulator.reporting import Job, ReportingApi
from ytlake.emulator.rules import Irregularities
from ytlake.emulator.world import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    PACIFIC,
    Channel,
    Video,
    World,
    demo_refresh_token,
)

Params = Mapping[str, list[str]]
Answer = tuple[int, Any, dict[str, str]]

_AUTH = "https://www.googleapis.com/auth/"
YOUTUBE_READONLY = _AUTH + "youtube.readonly"
ANALYTICS_READONLY = _AUTH + "yt-analytics.readonly"
MONETARY_READONLY = _AUTH + "yt-analytics-monetary.readonly"
#: What the demo refresh tokens were granted.
SCOPES = f"{YOUTUBE_READONLY} {ANALYTICS_READONLY}"
_FULL_GRANT = frozenset(SCOPES.split())
#: Scopes that let a token call the Data API list methods (any one of them).
_DATA_API_SCOPES = frozenset({YOUTUBE_READONLY, _AUTH + "youtube", _AUTH + "youtube.force-ssl"})
#: Analytics: an analytics scope, and (Google's banner) youtube.readonly as well.
_ANALYTICS_SCOPES = frozenset({ANALYTICS_READONLY, MONETARY_READONLY})

CHANNEL_PARTS = {
    "id",
    "snippet",
    "contentDetails",
    "statistics",
    "status",
    "brandingSettings",
    "topicDetails",
    "localizations",
    "auditDetails",
    "contentOwnerDetails",
}
VIDEO_PARTS = {
    "id",
    "snippet",
    "contentDetails",
    "statistics",
    "status",
    "player",
    "topicDetails",
    "recordingDetails",
    "localizations",
    "liveStreamingDetails",
    "fileDetails",
    "processingDetails",
    "suggestions",
    "ageGating",
    "brandPartner",
    "monetizationDetails",
    "paidProductPlacementDetails",
    "projectDetails",
}
PLAYLIST_ITEM_PARTS = {"id", "snippet", "contentDetails", "status"}

_ENDPOINT_NAMES = {
    "/youtube/v3/channels": "channels.list",
    "/youtube/v3/playlistItems": "playlistItems.list",
    "/youtube/v3/videos": "videos.list",
}
#: Where the APIs live: Data API v3, Analytics v2, Reporting v1.
_API_PREFIXES = ("/youtube/", "/v2/", "/v1/")
#: Standard parameters that do not change an answer.
_IGNORED_PARAMS = frozenset({"alt", "prettyPrint", "fields", "quotaUser", "key", "access_token", "$.xgafv"})

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: An integer as Google reads a query parameter: ASCII digits, an optional minus sign. More
#: than 20 digits is out of every range (and int() refuses thousands of digits).
_INTEGER = re.compile(r"-?[0-9]{1,20}")
_INT32_MAX = 2**31 - 1
#: Control characters (CR and LF among them): no parameter of any method takes one, and a
#: value carrying one must never reach a response header.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: What a response header may not carry: anything but printable ASCII.
_NOT_HEADER_TEXT = re.compile(r"[^\x20-\x7e]")
#: Analytics v1's names of reports.query parameters. v2 (``startDate``, ``maxResults``...) is a
#: One Platform API (its discovery document has ``$.xgafv``), whose front end refuses a query
#: parameter the method does not have: 400 INVALID_ARGUMENT "Cannot bind query parameter".
#: The emulator refuses these, the names a client written for v1 sends; other unknown names
#: are still ignored (some callers, tests among them, send the Data API's ``part``).
_V1_REPORTS_PARAMS = frozenset({"start-date", "end-date", "max-results", "start-index"})


@dataclass
class EmulatorConfig:
    token_ttl: int = 3600
    data_api_quota: int = 10_000
    analytics_quota: int | None = None
    reporting_quota: int | None = None  # Reporting API requests per Pacific day (per project)
    max_rps: float | None = None  # server-side rate limit (requests per second)
    fault_rate: float = 0.0  # share of API calls answered with a transient error
    fault_paths: tuple[str, ...] = ("/youtube/", "/v2/", "/v1/")  # where --fault-rate applies (prefixes)
    latency_ms: int = 0  # added to every answer
    seed: int = 0  # drives the fault sequence
    # Malformed data, the same for the same question (Google really sent it): an item missing
    # its id, a count as a JSON number, an unknown new field, a new traffic source id.
    malformed_rate: float = 0.0
    # Transport faults, per request (a retry gets a fresh chance): a truncated JSON answer, an
    # answer slower than the client waits, a connection dropped mid-answer.
    truncate_rate: float = 0.0
    slow_rate: float = 0.0
    slow_ms: int = 5_000
    reset_rate: float = 0.0
    # An answer whose shape is not the endpoint's (Analytics ``rows`` or Data API ``items`` sent
    # as a string), per request: what a broken proxy or a Google incident produces once.
    garbled_rate: float = 0.0
    # Revoke the refresh tokens (and their access tokens) after this many API requests.
    revoke_after: int | None = None
    # How Google's Analytics answers differ from an ideal table (privacy thresholds, per-metric
    # latency, sparse days, column order); Irregularities.exact() for the ideal world.
    irregular: Irregularities = field(default_factory=Irregularities)
    # The shape a spent daily quota takes (errors.QUOTA_ERRORS), for both APIs; None: each
    # API's own (Data API: 403 quotaExceeded; Analytics, a Cloud request quota: 429 per day).
    quota_error: str | None = None
    # The uploads playlist lists at most this many videos (reportedly capped near 20,000).
    playlist_cap: int = 20_000
    # Consent boxes the user leaves unticked (granular consent): never granted by the flow.
    denied_scopes: frozenset[str] = frozenset()
    # Where what calls change (quota spent, refresh tokens issued and revoked) is kept across
    # restarts (``ytlake emulator serve --state PATH``); None: in memory only.
    state_path: Path | None = None

    @classmethod
    def exact(cls, **kwargs: Any) -> EmulatorConfig:
        """The ideal world: no privacy threshold, dense days, one availability date."""
        return cls(irregular=Irregularities.exact(), **kwargs)


#: The transient errors --fault-rate injects, in rotation picked from the seed.
FAULTS: tuple[Callable[[], tuple[int, dict[str, Any]]], ...] = (
    lambda: errors.backend_error(500),
    lambda: errors.backend_error(503),
    errors.too_many_requests,
    errors.rate_limited_403,
)


@dataclass
class _Token:
    channel_index: int
    expires_at: float
    scopes: frozenset[str] = _FULL_GRANT


@dataclass
class Stats:
    requests: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    data_api_units: Counter = field(default_factory=Counter)
    analytics_requests: Counter = field(default_factory=Counter)
    faults: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "data_api_units": dict(self.data_api_units),
            "analytics_requests": dict(self.analytics_requests),
            "faults": dict(self.faults),
        }


def _etag(payload: Any) -> str:
    digest = hashlib.blake2b(json.dumps(payload, sort_keys=True).encode(), digest_size=18).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _rfc3339(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _encode_page_token(kind: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{offset}".encode()).decode().rstrip("=")


def _decode_page_token(kind: str, token: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    prefix, _, num = raw.partition(":")
    if prefix != kind or not re.fullmatch(r"[0-9]{1,20}", num):
        return None
    return int(num)


def _integer(raw: str) -> int | None:
    """``raw`` as an integer parameter, or None when it is not one (see ``_INTEGER``)."""
    return int(raw) if _INTEGER.fullmatch(raw) else None


def _control_characters(params: Params, form: Params | None) -> str | None:
    """The name of the first parameter (query or form) whose name or value carries a
    control character, or None."""
    for source in (params, form or {}):
        for name, values in source.items():
            if name == "__json__":
                continue  # a JSON body (jobs.create) may be pretty-printed: JSON parses it
            if _CONTROL.search(name) or any(_CONTROL.search(v) for v in values):
                return _CONTROL.sub("", name)
    return None


def _malformed_request(path: str, name: str) -> Answer:
    """400 for a parameter carrying a control character, in the shape of ``path``'s API.

    Google answers a malformed request with 400; nothing of it is echoed in a header."""
    if path in ("/token", "/o/oauth2/auth"):
        return (*errors.oauth_error(400, "invalid_request", f"Invalid parameter value for {name}"), {})
    msg = f"Invalid value for parameter '{name}': control characters are not allowed."
    return (*errors.bad_request(msg, reason="invalidParameter", location=name), {})


def _values(params: Params, name: str) -> list[str]:
    """All values of a repeated parameter, accepting repeated keys and comma lists."""
    out: list[str] = []
    for raw in params.get(name, []):
        out.extend(v.strip() for v in raw.split(",") if v.strip())
    return out


def _one(params: Params, name: str) -> str | None:
    vals = params.get(name)
    return vals[-1] if vals else None


class Emulator:
    """Google, offline: OAuth token endpoint, Data API v3 list methods, Analytics v2."""

    def __init__(
        self, world: World, config: EmulatorConfig | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.world = world
        self.config = config or EmulatorConfig()
        self.clock = clock
        self.stats = Stats()
        self._tokens: dict[str, _Token] = {}
        self._lock = threading.Lock()
        self._units_by_day: dict[date, Counter] = {}
        self._analytics_by_day: dict[date, int] = {}
        self._rate_second, self._rate_count = 0, 0
        self._answers: dict[tuple[Any, ...], bytes] = {}
        # code -> (PKCE challenge, challenge method, redirect_uri, scope asked, prompt)
        self._codes: dict[str, tuple[str, str, str, str, str]] = {}
        self._refresh_tokens: dict[str, tuple[int, frozenset[str]]] = {
            demo_refresh_token(c.index): (c.index, _FULL_GRANT) for c in world.channels
        }
        self._consented: set[tuple[str, int]] = set()  # (client, channel) pairs that consented once
        self.reporting = ReportingApi(
            world,
            now=self.world_now,
            privacy_threshold=self.config.irregular.privacy_threshold,
            on_change=self._save_state_locked,
        )
        self._reporting_by_day: dict[date, int] = {}
        if self.config.state_path is not None:  # what earlier runs of this emulator changed
            saved = emulator_state.load(self.config.state_path)
            self.reporting.jobs = {j["id"]: Job.from_json(j) for j in saved.reporting_jobs}
            self._units_by_day = saved.data_api_units
            self._analytics_by_day = saved.analytics_requests
            self._reporting_by_day = saved.reporting_requests
            if saved.refresh_tokens is not None:
                self._refresh_tokens = saved.refresh_tokens
            self._consented = saved.consented
        self._routes: dict[tuple[str, str], Callable[..., Answer]] = {
            ("POST", "/token"): self._token,
            ("GET", "/o/oauth2/auth"): self._authorize,
            ("GET", "/youtube/v3/channels"): self._channels,
            ("GET", "/youtube/v3/playlistItems"): self._playlist_items,
            ("GET", "/youtube/v3/videos"): self._videos,
            ("GET", "/v2/reports"): self._reports,
            ("GET", "/emulator/stats"): self._stats,
        }

    # -- dispatch ------------------------------------------------------------------
    def handle(
        self, method: str, path: str, params: Params, headers: Mapping[str, str], form: Params | None = None
    ) -> Answer:
        path = "/" + path.strip("/")
        route = self._routes.get((method.upper(), path))
        with self._lock:
            self.stats.requests[path] += 1
            number = sum(self.stats.requests.values())
        bad = _control_characters(params, form)
        if bad is not None:
            return self._counted(_malformed_request(path, bad))
        fault = self._fault(path, number)
        if fault is None and path.startswith(_API_PREFIXES):
            fault = self._rate_limited(number)
        if fault is not None:
            answer = (*fault, {})
            with self._lock:
                self.stats.statuses[answer[0]] += 1
                self.stats.faults[path] += 1
            return answer
        if path.startswith("/v1/"):
            answer: Answer = self._reporting_call(method.upper(), path, params, headers, form)
            if answer[0] == 200:
                answer = self._transport_fault(number, answer, media=isinstance(answer[1], bytes))
            self._maybe_revoke()
        elif route is None:
            status, body = 404, errors.google_error(404, f"Not Found: {path}", "notFound")
            answer = (status, body, {})
        elif path == "/token":
            answer = route(form or {}, headers)
        elif path == "/emulator/stats":
            answer = route()
        elif path == "/o/oauth2/auth":
            answer = route(params, headers)
        else:
            answer = self._api_call(path, route, params, headers)
            if answer[0] == 200:
                answer = self._maybe_damage(path, params, number, answer)
            self._maybe_revoke()
        if any(_NOT_HEADER_TEXT.search(f"{k}{v}") for k, v in answer[2].items()):
            # the last guard: no answer carries a header a request could split or garble (a value
            # is echoed only in the consent page's Location, from redirect_uri)
            answer = _malformed_request(path, "redirect_uri")
        return self._counted(answer)

    def _counted(self, answer: Answer) -> Answer:
        with self._lock:
            self.stats.statuses[answer[0]] += 1
        return answer

    def _api_call(
        self, path: str, route: Callable[..., Answer], params: Params, headers: Mapping[str, str]
    ) -> Answer:
        """Authenticate, charge the quota, then answer (from the cache when asked before).

        The world does not change while the emulator runs, so a 200 answer to the same
        caller and parameters is always the same bytes.
        """
        token = self._caller_token(headers)
        if token is None:
            return (*errors.unauthenticated(), {})
        caller = token.channel_index
        analytics = path == "/v2/reports"
        if not (token.scopes & _DATA_API_SCOPES) or (analytics and not token.scopes & _ANALYTICS_SCOPES):
            service = errors.ANALYTICS_SERVICE if analytics else errors.DATA_API_SERVICE
            return (*errors.insufficient_scopes(service), {})
        charged = self._charge_analytics() if analytics else self._charge_data_api(_ENDPOINT_NAMES[path])
        if not charged:
            return (*self._quota_refusal(analytics), {})
        if analytics:  # what the token may see is part of the question (and of the cache key);
            # set here, so a caller cannot claim it
            params = {**params, "__monetary": ["1" if MONETARY_READONLY in token.scopes else "0"]}
        key = (
            path,
            caller,
            tuple(sorted((k, tuple(v)) for k, v in params.items() if k not in _IGNORED_PARAMS)),
        )
        cached = self._answers.get(key)
        if cached is not None:
            return 200, cached, {}
        status, body, extra = route(params, caller)
        if status == 200:
            data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
            with self._lock:
                if len(self._answers) > 50_000:
                    self._answers.clear()
                self._answers[key] = data
            return 200, data, extra
        return status, body, extra

    def _save_state(self) -> None:
        """Keep what calls changed (``--state``); the caller holds the lock."""
        if self.config.state_path is None:
            return
        emulator_state.save(
            self.config.state_path,
            emulator_state.EmulatorState(
                data_api_units=self._units_by_day,
                analytics_requests=self._analytics_by_day,
                refresh_tokens=self._refresh_tokens,
                consented=self._consented,
                reporting_jobs=self.reporting.saved_jobs(),
                reporting_requests=self._reporting_by_day,
            ),
        )

    def _save_state_locked(self) -> None:
        with self._lock:
            self._save_state()

    def world_now(self) -> datetime:
        """Now on the world's clock: the world's today (``--today``) at this Pacific time of day."""
        wall = datetime.fromtimestamp(self.clock(), PACIFIC)
        return datetime.combine(self.world.today, wall.time(), PACIFIC)

    def _reporting_call(
        self, method: str, path: str, params: Params, headers: Mapping[str, str], form: Params | None
    ) -> Answer:
        """The Reporting API (``reporting.ReportingApi``): OAuth, quota, then the method; a
        report file is gzip-encoded when the caller accepts it (as Google's downloads are)."""
        token = self._caller_token(headers)
        if token is None:
            return (*errors.unauthenticated(), {})
        if not token.scopes & _ANALYTICS_SCOPES:
            return (*errors.insufficient_scopes(errors.REPORTING_SERVICE), {})
        if not self._charge_reporting():
            kind = self.config.quota_error or "rateLimitExceeded"
            return (
                *errors.daily_quota_spent(kind, errors.REPORTING_SERVICE, self.config.reporting_quota),
                {},
            )
        body = None
        raw = (form or {}).get("__json__")
        if raw:
            try:
                body = json.loads(raw[0])
            except ValueError:
                return (*errors.bad_request("Invalid JSON payload received."), {})
            if not isinstance(body, dict):
                return (*errors.bad_request("Invalid JSON payload received."), {})
        base_url = f"http://{headers.get('host', 'localhost')}"
        status, out, extra = self.reporting.handle(method, path, params, body, token.channel_index, base_url)
        if isinstance(out, bytes) and "gzip" in headers.get("accept-encoding", "").lower():
            out, extra = gzip.compress(out, mtime=0), {**extra, "content-encoding": "gzip"}
        return status, out, extra

    def _charge_reporting(self) -> bool:
        day = self.pacific_day()
        with self._lock:
            spent = self._reporting_by_day.get(day, 0)
            if self.config.reporting_quota is not None and spent >= self.config.reporting_quota:
                return False
            self._reporting_by_day[day] = spent + 1
            self._save_state()
            return True

    def _maybe_revoke(self) -> None:
        if self.config.revoke_after is None:
            return
        with self._lock:
            api_calls = sum(n for p, n in self.stats.requests.items() if p.startswith(_API_PREFIXES))
            if api_calls >= self.config.revoke_after and self._refresh_tokens:
                self._refresh_tokens.clear()
                self._tokens.clear()
                self._save_state()

    def _transport_fault(self, number: int, answer: Answer, media: bool = False) -> Answer:
        """A transport fault for request ``number`` (truncated, slow, dropped), or ``answer``.
        A file download is never cut short silently: a truncated one drops the connection,
        as a body shorter than its Content-Length does."""
        cfg = self.config
        status, body, extra = answer
        rng = random.Random(f"{cfg.seed}:transport:{number}")
        roll = rng.random()
        if roll < cfg.truncate_rate:
            with self._lock:
                self.stats.faults["truncated"] += 1
            if media:
                return status, body, {**extra, "x-emulator-reset": "1"}
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            return 200, data[: max(1, len(data) // 2)], extra
        roll -= cfg.truncate_rate
        if roll < cfg.slow_rate:
            with self._lock:
                self.stats.faults["slow"] += 1
            return status, body, {**extra, "x-emulator-delay-ms": str(cfg.slow_ms)}
        roll -= cfg.slow_rate
        if roll < cfg.reset_rate:
            with self._lock:
                self.stats.faults["reset"] += 1
            return status, body, {**extra, "x-emulator-reset": "1"}
        return answer

    def _maybe_damage(self, path: str, params: Params, number: int, answer: Answer) -> Answer:
        """Transport faults by request number; malformed data by the question asked."""
        cfg = self.config
        damaged = self._transport_fault(number, answer)
        if damaged is not answer:
            return damaged
        status, body, extra = answer
        rng = random.Random(f"{cfg.seed}:transport:{number}")
        roll = rng.random() - cfg.truncate_rate - cfg.slow_rate - cfg.reset_rate
        if roll < cfg.garbled_rate and status == 200:
            doc = json.loads(body) if isinstance(body, bytes) else body
            key = "rows" if "columnHeaders" in doc else "items"
            doc[key] = json.dumps(doc.get(key) or [])
            with self._lock:
                self.stats.faults["garbled"] += 1
            return 200, json.dumps(doc, separators=(",", ":")).encode(), extra
        if cfg.malformed_rate <= 0:
            return answer
        question = json.dumps([path, sorted((k, v) for k, v in params.items() if k not in _IGNORED_PARAMS)])
        drng = random.Random(f"{cfg.seed}:malformed:{question}")
        if drng.random() >= cfg.malformed_rate:
            return answer
        doc = json.loads(body) if isinstance(body, bytes) else body
        kind = _malform(doc, path, drng)
        if kind is None:
            return answer
        with self._lock:
            self.stats.faults[f"malformed:{kind}"] += 1
        return 200, json.dumps(doc, separators=(",", ":")).encode(), extra

    def _fault(self, path: str, number: int) -> tuple[int, dict[str, Any]] | None:
        """A deterministic transient error for API call ``number``, at ``fault_rate``."""
        if self.config.fault_rate <= 0 or not path.startswith(self.config.fault_paths):
            return None
        rng = random.Random(f"{self.config.seed}:fault:{number}")
        if rng.random() >= self.config.fault_rate:
            return None
        return rng.choice(FAULTS)()

    def reset_stats(self) -> None:
        with self._lock:
            self.stats = Stats()

    # -- OAuth -----------------------------------------------------------------------
    def _token(self, form: Params, headers: Mapping[str, str]) -> Answer:
        client_id = _one(form, "client_id")
        client_secret = _one(form, "client_secret")
        auth = headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(auth[6:]).decode()
                client_id, _, client_secret = decoded.partition(":")
            except ValueError:  # not base64 (binascii.Error), not ASCII, not UTF-8
                return (*errors.oauth_error(401, "invalid_client", "Unauthorized"), {})
        if client_id != DEMO_CLIENT_ID:
            return (*errors.oauth_error(401, "invalid_client", "The OAuth client was not found."), {})
        if client_secret != DEMO_CLIENT_SECRET:
            return (*errors.oauth_error(401, "invalid_client", "Unauthorized"), {})
        grant = _one(form, "grant_type")
        refresh_out = None
        if grant == "refresh_token":
            refresh = _one(form, "refresh_token") or ""
            held = self._refresh_tokens.get(refresh)
            if held is None:
                return (*errors.oauth_error(400, "invalid_grant", "Token has been expired or revoked."), {})
            channel_index, granted = held
        elif grant == "authorization_code":
            with self._lock:
                pending = self._codes.pop(_one(form, "code") or "", None)
            if pending is None:
                return (*errors.oauth_error(400, "invalid_grant", "Malformed auth code."), {})
            challenge, method, redirect_uri, scope_asked, prompt = pending
            verifier = _one(form, "code_verifier") or ""
            if method == "S256":
                digest = hashlib.sha256(verifier.encode()).digest()
                computed = base64.urlsafe_b64encode(digest).decode().rstrip("=")
            else:
                computed = verifier
            if challenge and computed != challenge:
                return (*errors.oauth_error(400, "invalid_grant", "Invalid code verifier."), {})
            if (_one(form, "redirect_uri") or "") != redirect_uri:
                return (*errors.oauth_error(400, "redirect_uri_mismatch", "Bad Request"), {})
            channel_index = 1
            granted = frozenset(scope_asked.split()) - self.config.denied_scopes
            # Google returns a refresh token on a first consent, or when asked to show the
            # consent screen again (prompt=consent); otherwise only an access token.
            with self._lock:
                first = (client_id, channel_index) not in self._consented
                self._consented.add((client_id, channel_index))
                if first or "consent" in prompt.split():
                    refresh_out = "1//emu-" + secrets.token_urlsafe(24)
                    self._refresh_tokens[refresh_out] = (channel_index, granted)
                self._save_state()
        else:
            return (
                *errors.oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant or ''}"),
                {},
            )
        access = "ya29.emu-" + secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[access] = _Token(channel_index, self.clock() + self.config.token_ttl, granted)
        asked = set((_one(form, "scope") or "").split())
        scope = " ".join(sorted(granted & asked if asked else granted))
        body = {
            "access_token": access,
            "expires_in": max(self.config.token_ttl - 1, 0),
            "scope": scope,
            "token_type": "Bearer",
        }
        if refresh_out:
            body["refresh_token"] = refresh_out
        return 200, body, {"Cache-Control": "no-store"}

    def _authorize(self, params: Params, headers: Mapping[str, str]) -> Answer:
        """Google's consent page, auto-approved: 302 to redirect_uri with a code (PKCE kept)."""
        client_id = _one(params, "client_id")
        redirect_uri = _one(params, "redirect_uri") or ""
        if client_id != DEMO_CLIENT_ID:
            return (
                401,
                {"error": "invalid_client", "error_description": "The OAuth client was not found."},
                {},
            )
        if _one(params, "response_type") != "code" or (
            not redirect_uri.startswith("http://localhost")
            and not redirect_uri.startswith("http://127.0.0.1")
        ):
            return (
                400,
                {"error": "invalid_request", "error_description": "Invalid parameter value for redirect_uri"},
                {},
            )
        code = "4/emu-" + secrets.token_urlsafe(16)
        with self._lock:
            self._codes[code] = (
                _one(params, "code_challenge") or "",
                _one(params, "code_challenge_method") or "plain",
                redirect_uri,
                _one(params, "scope") or "",
                _one(params, "prompt") or "",
            )
        query = urlencode(
            {"state": _one(params, "state") or "", "code": code, "scope": _one(params, "scope") or ""}
        )
        sep = "&" if "?" in redirect_uri else "?"
        return 302, b"", {"Location": f"{redirect_uri}{sep}{query}"}

    def _caller_token(self, headers: Mapping[str, str]) -> _Token | None:
        auth = headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            return None
        token = self._tokens.get(auth[7:].strip())
        if token is None or token.expires_at <= self.clock():
            return None
        return token

    def _quota_refusal(self, analytics: bool) -> tuple[int, dict[str, Any]]:
        if analytics:
            kind = self.config.quota_error or "rateLimitExceeded"
            return errors.daily_quota_spent(kind, errors.ANALYTICS_SERVICE, self.config.analytics_quota)
        kind = self.config.quota_error or "quotaExceeded"
        return errors.daily_quota_spent(kind, errors.DATA_API_SERVICE, self.config.data_api_quota)

    def pacific_day(self) -> date:
        return datetime.fromtimestamp(self.clock(), PACIFIC).date()

    # -- quota (per Pacific day, reset at Pacific midnight) and rate ----------------------
    def _charge_data_api(self, endpoint: str, units: int = 1) -> bool:
        """Charge units to today's Pacific day; False when the day's quota is spent."""
        day = self.pacific_day()
        with self._lock:
            spent = self._units_by_day.setdefault(day, Counter())
            if sum(spent.values()) + units > self.config.data_api_quota:
                return False
            spent[endpoint] += units
            self.stats.data_api_units[endpoint] += units
            self._save_state()
            return True

    def _charge_analytics(self) -> bool:
        day = self.pacific_day()
        with self._lock:
            spent = self._analytics_by_day.get(day, 0)
            if self.config.analytics_quota is not None and spent >= self.config.analytics_quota:
                return False
            self._analytics_by_day[day] = spent + 1
            self.stats.analytics_requests["reports.query"] += 1
            self._save_state()
            return True

    def _rate_limited(self, number: int) -> tuple[int, dict[str, Any]] | None:
        """Google's answer when more than ``max_rps`` calls arrive within one second."""
        if not self.config.max_rps:
            return None
        now = self.clock()
        with self._lock:
            second = int(now)
            if second != self._rate_second:
                self._rate_second, self._rate_count = second, 0
            self._rate_count += 1
            if self._rate_count <= self.config.max_rps:
                return None
        return errors.too_many_requests(errors.ANALYTICS_SERVICE) if number % 2 else errors.rate_limited_403()

    def _data_api_preamble(
        self, endpoint: str, params: Params, caller: int, allowed_parts: set[str]
    ) -> tuple[int, list[str]] | Answer:
        parts = _values(params, "part")
        if not parts:
            return (
                *errors.bad_request(
                    "Required parameter: part", reason="required", domain="global", location="part"
                ),
                {},
            )
        for part in parts:
            if part not in allowed_parts:
                return (
                    *errors.bad_request(
                        f"'{part}'", reason="unknownPart", domain="youtube.part", location="part"
                    ),
                    {},
                )
        return caller, parts

    def _max_results(self, params: Params, low: int, default: int) -> int | Answer:
        raw = _one(params, "maxResults")
        if raw is None:
            return default
        number = _integer(raw)
        if number is None or not low <= number <= 50:
            msg = f"Invalid value '{raw}'. Values must be within the range: [{low}, 50]"
            return (
                *errors.bad_request(
                    msg, reason="invalidValue", domain="youtube.parameter", location="maxResults"
                ),
                {},
            )
        return number

    @staticmethod
    def _envelope(
        kind: str,
        items: list[dict[str, Any]],
        total: int,
        per_page: int,
        next_token: str | None = None,
        prev_token: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"kind": f"youtube#{kind}ListResponse", "etag": ""}
        if next_token:
            body["nextPageToken"] = next_token
        if prev_token:
            body["prevPageToken"] = prev_token
        body["pageInfo"] = {"totalResults": total, "resultsPerPage": per_page}
        if items:
            body["items"] = items
        body["etag"] = _etag(body)
        return body

    # -- Data API: channels.list -------------------------------------------------------
    def _channels(self, params: Params, caller: int) -> Answer:
        pre = self._data_api_preamble("channels.list", params, caller, CHANNEL_PARTS)
        if len(pre) == 3:
            return pre  # type: ignore[return-value]
        caller, parts = pre  # type: ignore[misc]
        per_page = self._max_results(params, 0, 5)
        if isinstance(per_page, tuple):
            return per_page
        mine = (_one(params, "mine") or "").lower() == "true"
        ids = _values(params, "id")
        if mine == bool(ids):
            msg = (
                "No filter selected. Expected one of: forUsername, managedByMe, categoryId, mine, "
                "mySubscribers, id, idParam, forHandle"
            )
            if mine and ids:
                msg = "Incompatible parameters specified in the request: id, mine"
                return (
                    *errors.bad_request(msg, reason="incompatibleParameters", domain="youtube.parameter"),
                    {},
                )
            return (
                *errors.bad_request(
                    msg, reason="missingRequiredParameter", domain="youtube.parameter", location=""
                ),
                {},
            )
        if mine:
            channels = [self.world.channel(caller)]
        else:
            channels = [c for i in ids if (c := self.world.channel_by_id(i)) is not None]
        items = [self._channel_item(c, parts) for c in channels[:per_page] if per_page]
        return 200, self._envelope("channel", items, len(channels), per_page), {}

    def _channel_item(self, ch: Channel, parts: list[str]) -> dict[str, Any]:
        item: dict[str, Any] = {"kind": "youtube#channel", "etag": "", "id": ch.channel_id}
        if "snippet" in parts:
            item["snippet"] = {
                "title": ch.title,
                "description": ch.description,
                "customUrl": ch.custom_url,
                "publishedAt": _rfc3339(ch.published_at),
                "thumbnails": {
                    "default": {
                        "url": f"https://yt3.emulator.invalid/{ch.channel_id}=s88",
                        "width": 88,
                        "height": 88,
                    },
                    "medium": {
                        "url": f"https://yt3.emulator.invalid/{ch.channel_id}=s240",
                        "width": 240,
                        "height": 240,
                    },
                    "high": {
                        "url": f"https://yt3.emulator.invalid/{ch.channel_id}=s800",
                        "width": 800,
                        "height": 800,
                    },
                },
                "localized": {"title": ch.title, "description": ch.description},
                "country": ch.country,
            }
        if "contentDetails" in parts:
            item["contentDetails"] = {"relatedPlaylists": {"likes": "", "uploads": ch.uploads_playlist_id}}
        if "statistics" in parts:
            videos = self.world.videos_of(ch.index)
            views = sum(
                self.world.lifetime(v).views for v in self.world.videos if v.channel_index == ch.index
            )
            subs = sum(
                self.world.lifetime(v).subscribers_gained - self.world.lifetime(v).subscribers_lost
                for v in self.world.videos
                if v.channel_index == ch.index
            )
            item["statistics"] = {
                "viewCount": str(views),
                "subscriberCount": str(_three_significant(max(subs, 0))),
                "hiddenSubscriberCount": False,
                "videoCount": str(len([v for v in videos if v.privacy_status == "public"])),
            }
        if "status" in parts:
            item["status"] = {
                "privacyStatus": "public",
                "isLinked": True,
                "longUploadsStatus": "allowed",
                "madeForKids": False,
            }
        item["etag"] = _etag(item)
        return item

    # -- Data API: playlistItems.list ---------------------------------------------------
    def _playlist_items(self, params: Params, caller: int) -> Answer:
        pre = self._data_api_preamble("playlistItems.list", params, caller, PLAYLIST_ITEM_PARTS)
        if len(pre) == 3:
            return pre  # type: ignore[return-value]
        caller, parts = pre  # type: ignore[misc]
        per_page = self._max_results(params, 0, 5)
        if isinstance(per_page, tuple):
            return per_page
        playlist_id = _one(params, "playlistId")
        if not playlist_id:
            msg = "No filter selected. Expected one of: id, playlistId"
            return (
                *errors.bad_request(
                    msg, reason="missingRequiredParameter", domain="youtube.parameter", location=""
                ),
                {},
            )
        channel = next((c for c in self.world.channels if c.uploads_playlist_id == playlist_id), None)
        if channel is None:
            return self._playlist_not_found()
        if not self.world.has_uploads(channel.index):  # a channel that never uploaded
            return self._playlist_not_found()
        videos = self.world.videos_of(channel.index)
        if channel.index != caller:  # other viewers do not see private uploads
            videos = [v for v in videos if v.privacy_status != "private"]
        videos = videos[: self.config.playlist_cap]  # the uploads playlist lists no more than this
        offset = 0
        token = _one(params, "pageToken")
        if token:
            decoded = _decode_page_token("PI", token)
            if decoded is None or decoded > len(videos):
                return (
                    *errors.bad_request(
                        "The request specifies an invalid page token.",
                        reason="invalidPageToken",
                        domain="youtube.parameter",
                        location="pageToken",
                    ),
                    {},
                )
            offset = decoded
        page = videos[offset : offset + per_page] if per_page else []
        nxt = (
            _encode_page_token("PI", offset + per_page)
            if per_page and offset + per_page < len(videos)
            else None
        )
        prev = _encode_page_token("PI", max(offset - per_page, 0)) if offset > 0 else None
        items = [self._playlist_item(channel, v, offset + i, parts) for i, v in enumerate(page)]
        return 200, self._envelope("playlistItem", items, len(videos), per_page, nxt, prev), {}

    @staticmethod
    def _playlist_not_found() -> Answer:
        msg = "The playlist identified with the request's <code>playlistId</code> parameter cannot be found."
        return (
            404,
            errors.google_error(
                404, msg, "playlistNotFound", domain="youtube.playlistItem", location="playlistId"
            ),
            {},
        )

    def _playlist_item(self, ch: Channel, v: Video, position: int, parts: list[str]) -> dict[str, Any]:
        item_id = (
            base64.urlsafe_b64encode(f"{ch.uploads_playlist_id}.{v.video_id}".encode()).decode().rstrip("=")
        )
        item: dict[str, Any] = {"kind": "youtube#playlistItem", "etag": "", "id": item_id}
        published = _rfc3339(v.published_at)
        if "snippet" in parts:
            item["snippet"] = {
                "publishedAt": published,
                "channelId": ch.channel_id,
                "title": v.title_on(self.world.today),
                "description": v.description,
                "thumbnails": _video_thumbnails(v.video_id),
                "channelTitle": ch.title,
                "playlistId": ch.uploads_playlist_id,
                "position": position,
                "resourceId": {"kind": "youtube#video", "videoId": v.video_id},
                "videoOwnerChannelTitle": ch.title,
                "videoOwnerChannelId": ch.channel_id,
            }
        if "contentDetails" in parts:
            item["contentDetails"] = {"videoId": v.video_id, "videoPublishedAt": published}
        if "status" in parts:
            item["status"] = {"privacyStatus": v.privacy_status}
        item["etag"] = _etag(item)
        return item

    # -- Data API: videos.list -------------------------------------------------------
    def _videos(self, params: Params, caller: int) -> Answer:
        pre = self._data_api_preamble("videos.list", params, caller, VIDEO_PARTS)
        if len(pre) == 3:
            return pre  # type: ignore[return-value]
        caller, parts = pre  # type: ignore[misc]
        # videos.list pages only with myRated (not emulated); the value is still checked, as
        # Google checks every integer parameter against its range (the discovery's [1, 50])
        per_page = self._max_results(params, 1, 5)
        if isinstance(per_page, tuple):
            return per_page
        ids = _values(params, "id")
        if not ids:
            msg = "No filter selected. Expected one of: chart, id, myRated"
            return (
                *errors.bad_request(
                    msg, reason="missingRequiredParameter", domain="youtube.parameter", location=""
                ),
                {},
            )
        if len(ids) > 50:
            return (
                *errors.bad_request(
                    "The request specifies an invalid filter parameter.",
                    reason="invalidFilters",
                    domain="youtube.parameter",
                ),
                {},
            )
        today = self.world.today
        found = []
        for vid in ids:
            v = self.world.video(vid)
            if v is None or not v.exists_on(today):
                continue  # deleted or unknown ids are silently omitted
            if v.privacy_status == "private" and v.channel_index != caller:
                continue
            found.append(v)
        items = [self._video_item(v, parts) for v in found]
        return 200, self._envelope("video", items, len(items), len(items)), {}

    def _video_item(self, v: Video, parts: list[str]) -> dict[str, Any]:
        ch = self.world.channel(v.channel_index)
        item: dict[str, Any] = {"kind": "youtube#video", "etag": "", "id": v.video_id}
        if "snippet" in parts:
            snippet: dict[str, Any] = {
                "publishedAt": _rfc3339(v.published_at),
                "channelId": ch.channel_id,
                "title": v.title_on(self.world.today),
                "description": v.description,
                "thumbnails": _video_thumbnails(v.video_id),
                "channelTitle": ch.title,
            }
            tags = v.tags_on(self.world.today)
            if tags:
                snippet["tags"] = list(tags)
            snippet.update(
                {
                    "categoryId": v.category_id,
                    "liveBroadcastContent": "none",
                    "defaultAudioLanguage": "en",
                    "localized": {"title": v.title_on(self.world.today), "description": v.description},
                }
            )
            item["snippet"] = snippet
        if "contentDetails" in parts:
            item["contentDetails"] = {
                "duration": v.duration_iso,
                "dimension": "2d",
                "definition": "hd" if v.duration_seconds % 3 else "sd",
                "caption": "false",
                "licensedContent": True,
                "contentRating": {},
                "projection": "rectangular",
            }
        if "status" in parts:
            item["status"] = {
                "uploadStatus": "processed",
                "privacyStatus": v.privacy_status,
                "license": "youtube",
                "embeddable": True,
                "publicStatsViewable": True,
                "madeForKids": False,
            }
        if "statistics" in parts:
            life = self.world.lifetime(v)
            stats = {"viewCount": str(life.views)}
            if not v.likes_hidden:
                stats["likeCount"] = str(life.likes)
            stats["dislikeCount"] = str(life.likes // 30)
            stats["favoriteCount"] = "0"
            stats["commentCount"] = str(life.comments)
            item["statistics"] = stats
        item["etag"] = _etag(item)
        return item

    # -- Analytics v2: reports.query -----------------------------------------------------
    def _reports(self, params: Params, caller: int) -> Answer:
        for name in params:
            if name in _V1_REPORTS_PARAMS:
                return (*errors.unknown_parameter(name), {})
        for required in ("ids", "startDate", "endDate", "metrics"):
            if not _one(params, required):
                return 400, errors.google_error(400, "Required", "required", location=required), {}
        ids = _one(params, "ids") or ""
        channel = self.world.channel(caller)
        if ids not in ("channel==MINE", f"channel=={channel.channel_id}"):
            return (*errors.forbidden(), {})
        start_raw, end_raw = _one(params, "startDate") or "", _one(params, "endDate") or ""
        dates = []
        for name, raw in (("startDate", start_raw), ("endDate", end_raw)):
            try:
                if not _DATE.fullmatch(raw):
                    raise ValueError(raw)
                dates.append(date.fromisoformat(raw))
            except ValueError:
                return (
                    *errors.bad_request(
                        f"Invalid value '{raw}'. Values must match the following "
                        "regular expression: '[0-9]{4}-[0-9]{2}-[0-9]{2}'",
                        reason="invalidParameter",
                        location=name,
                    ),
                    {},
                )
        start, end = dates
        if start > end:
            return (
                *errors.bad_request(
                    "The start date must be before or equal to the end date.", reason="badRequest"
                ),
                {},
            )
        filters: dict[str, str] = {}
        for clause in (_one(params, "filters") or "").split(";"):
            if clause:
                key, sep, value = clause.partition("==")
                if not sep or not value:
                    return (*errors.bad_request(f"Invalid filter: {clause}"), {})
                filters[key] = value
        if set(filters) - {"video"}:
            return (*errors.unsupported_query(), {})
        videos = None
        if "video" in filters:
            videos = []
            for vid in filters["video"].split(","):
                video = self.world.video(vid)
                if video is not None and video.channel_index != caller and video.exists_on(self.world.today):
                    return (*errors.forbidden(), {})  # someone else's video
                if video is None or not video.exists_on(self.world.today):
                    return (
                        *errors.bad_request(
                            f"The video identified by the filters parameter ({vid}) could not be found.",
                            reason="badRequest",
                            location="filters",
                        ),
                        {},
                    )
                videos.append(video)
        numbers = {}
        for name in ("maxResults", "startIndex"):
            raw = _one(params, name)
            if raw is not None:
                number = _integer(raw)
                if number is None or not 1 <= number <= _INT32_MAX:  # int32, 1-based
                    return (
                        *errors.bad_request(
                            f"Invalid value '{raw}' for {name}.", reason="invalidParameter", location=name
                        ),
                        {},
                    )
                numbers[name] = number
        query = rules.Query(
            start,
            end,
            _values(params, "metrics"),
            _values(params, "dimensions"),
            videos,
            _values(params, "sort"),
            numbers.get("maxResults"),
            numbers.get("startIndex", 1),
            monetary_scope=_one(params, "__monetary") == "1",
        )
        try:
            column_headers, rows = rules.answer(self.world, caller, query, self.config.irregular)
        except rules.QueryError as err:
            if err.kind in ("unknown", "invalid"):
                return (*errors.bad_request(str(err)), {})
            if err.kind == "forbidden":
                return (*errors.forbidden(), {})
            return (*errors.unsupported_query(), {})
        body: dict[str, Any] = {"kind": "youtubeAnalytics#resultTable", "columnHeaders": column_headers}
        if rows:
            body["rows"] = rows
        return 200, body, {}

    def _stats(self) -> Answer:
        day = self.pacific_day()
        with self._lock:
            body = self.stats.as_dict()
            body["quota_day"] = day.isoformat()
            body["data_api_units_today"] = sum(self._units_by_day.get(day, Counter()).values())
            body["analytics_requests_today"] = self._analytics_by_day.get(day, 0)
            return 200, body, {}


def _malform(doc: dict[str, Any], path: str, rng: random.Random) -> str | None:
    """Damage one answer in place the way a real API sometimes does; returns what was done."""
    if path.endswith(("/channels", "/playlistItems")):
        return None  # the keys the pipeline navigates by are not damaged; items and rows are
    items = doc.get("items")
    if isinstance(items, list) and items:
        item = items[rng.randrange(len(items))]
        kind = rng.choice(["missing_id", "number_for_string", "unknown_field"])
        if kind == "missing_id":
            item.pop("id", None)
        elif kind == "number_for_string" and isinstance(item.get("statistics"), dict):
            stats = item["statistics"]
            if "viewCount" in stats:
                stats["viewCount"] = int(stats["viewCount"])  # a number where a string belongs
        else:
            kind = "unknown_field"
            item["brandNewField"] = {"introduced": "2027", "values": [1, 2, 3]}
            doc["anotherNewTopLevelField"] = True
        return kind
    rows = doc.get("rows")
    headers = [h.get("name") for h in doc.get("columnHeaders") or []]
    if isinstance(rows, list) and rows and headers and headers[0] == "insightTrafficSourceType":
        rows[rng.randrange(len(rows))][0] = "FUTURE_TRAFFIC_SOURCE"  # YouTube added a source id
        return "new_traffic_source"
    if isinstance(rows, list):
        doc["brandNewField"] = "ignored by everyone"
        return "unknown_field"
    return None


def _three_significant(n: int) -> int:
    if n < 1000:
        return n
    digits = len(str(n))
    factor = 10 ** (digits - 3)
    return (n // factor) * factor


def _video_thumbnails(video_id: str) -> dict[str, Any]:
    base = f"https://i.ytimg.emulator.invalid/vi/{video_id}"
    return {
        "default": {"url": f"{base}/default.jpg", "width": 120, "height": 90},
        "medium": {"url": f"{base}/mqdefault.jpg", "width": 320, "height": 180},
        "high": {"url": f"{base}/hqdefault.jpg", "width": 480, "height": 360},
    }
