"""The emulator's request handling, independent of any web framework.

``Emulator.handle`` takes a method, a path, the query as a multi-dict, the headers and the
form body, and returns ``(status, json_body, headers)``. ``app.py`` puts it behind HTTP.

This module is the front door every API shares: routing, authentication, quota per Pacific
day, the server-side rate limit, injected faults and damaged answers, and the state kept
across restarts. Each API answers in its own room: ``oauth`` (token endpoint and consent
page), ``data_api`` (Data API v3), ``analytics`` (Analytics v2), ``reporting`` (Reporting v1).
"""

from __future__ import annotations

import gzip
import json
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ytlake.emulator import errors, rules
from ytlake.emulator import state as emulator_state
from ytlake.emulator.analytics import AnalyticsApi
from ytlake.emulator.data_api import ENDPOINT_NAMES, DataApi
from ytlake.emulator.oauth import ANALYTICS_SCOPES, DATA_API_SCOPES, MONETARY_READONLY, OAuth
from ytlake.emulator.query import Answer, Params
from ytlake.emulator.reporting import Job, ReportingApi
from ytlake.emulator.rules import Irregularities
from ytlake.emulator.world import PACIFIC, World

#: Where the APIs live: Data API v3, Analytics v2, Reporting v1.
_API_PREFIXES = ("/youtube/", "/v2/", "/v1/")
#: Standard parameters that do not change an answer.
_IGNORED_PARAMS = frozenset({"alt", "prettyPrint", "fields", "quotaUser", "key", "access_token", "$.xgafv"})

#: Control characters (CR and LF among them): no parameter of any method takes one, and a
#: value carrying one must never reach a response header.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: What a response header may not carry: anything but printable ASCII.
_NOT_HEADER_TEXT = re.compile(r"[^\x20-\x7e]")


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
    # The demo refresh tokens may read revenue too (yt-analytics-monetary.readonly), as if
    # their owner had run `ytlake auth --monetary`; off: Google's default consent, no revenue.
    demo_monetary: bool = False
    # Channels (1-based) outside the YouTube Partner Program: Google refuses their revenue
    # (403 forbidden) even to a token with the monetary scope.
    non_partner_channels: frozenset[int] = frozenset()
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
class Stats:
    requests: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    data_api_units: Counter = field(default_factory=Counter)
    analytics_requests: Counter = field(default_factory=Counter)
    faults: Counter = field(default_factory=Counter)
    #: reports.query calls that asked for a revenue or ad metric, answered or not
    monetary_requests: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "monetary_requests": self.monetary_requests,
            "requests": dict(self.requests),
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "data_api_units": dict(self.data_api_units),
            "analytics_requests": dict(self.analytics_requests),
            "faults": dict(self.faults),
        }


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
    if path in ("/token", "/revoke", "/o/oauth2/auth"):
        return (*errors.oauth_error(400, "invalid_request", f"Invalid parameter value for {name}"), {})
    msg = f"Invalid value for parameter '{name}': control characters are not allowed."
    return (*errors.bad_request(msg, reason="invalidParameter", location=name), {})


class Emulator:
    """Google, offline: OAuth, Data API v3 list methods, Analytics v2, Reporting v1."""

    def __init__(
        self, world: World, config: EmulatorConfig | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.world = world
        self.config = config or EmulatorConfig()
        self.clock = clock
        self.stats = Stats()
        self._lock = threading.Lock()
        self._units_by_day: dict[date, Counter] = {}
        self._analytics_by_day: dict[date, int] = {}
        self._reporting_by_day: dict[date, int] = {}
        self._rate_second, self._rate_count = 0, 0
        self._answers: dict[tuple[Any, ...], bytes] = {}
        self._world_offset = world.today - datetime.fromtimestamp(clock(), PACIFIC).date()
        self.oauth = OAuth(world, self.config, clock, self._lock, self._save_state)
        self.data_api = DataApi(world, self.config)
        self.analytics = AnalyticsApi(world, self.config)
        self.reporting = ReportingApi(
            world,
            now=self.world_now,
            privacy_threshold=self.config.irregular.privacy_threshold,
            on_change=self._save_state_locked,
        )
        if self.config.state_path is not None:  # what earlier runs of this emulator changed
            saved = emulator_state.load(self.config.state_path)
            self.reporting.jobs = {j["id"]: Job.from_json(j) for j in saved.reporting_jobs}
            self._units_by_day = saved.data_api_units
            self._analytics_by_day = saved.analytics_requests
            self._reporting_by_day = saved.reporting_requests
            if saved.refresh_tokens is not None:
                self.oauth.refresh_tokens = saved.refresh_tokens
            self.oauth.consented = saved.consented
        self._routes: dict[tuple[str, str], Callable[..., Answer]] = {
            ("POST", "/token"): self.oauth.token,
            ("POST", "/revoke"): self.oauth.revoke,
            ("GET", "/o/oauth2/auth"): self.oauth.authorize,
            ("GET", "/youtube/v3/channels"): self.data_api.channels,
            ("GET", "/youtube/v3/playlistItems"): self.data_api.playlist_items,
            ("GET", "/youtube/v3/videos"): self.data_api.videos,
            ("GET", "/v2/reports"): self.analytics.reports,
            ("GET", "/emulator/stats"): self._stats,
        }

    # -- dispatch ------------------------------------------------------------------
    def handle(
        self, method: str, path: str, params: Params, headers: Mapping[str, str], form: Params | None = None
    ) -> Answer:
        path = "/" + path.strip("/")
        route = self._routes.get((method.upper(), path))
        monetary = path == "/v2/reports" and any(
            m.strip() in rules.MONETARY for v in params.get("metrics", []) for m in v.split(",")
        )
        with self._lock:
            self.stats.requests[path] += 1
            self.stats.monetary_requests += monetary
            number = sum(self.stats.requests.values())
        bad = _control_characters(params, form)
        if bad is not None:
            return self._counted(_malformed_request(path, bad))
        fault = self._fault(path, number)
        if fault is None and path.startswith(_API_PREFIXES):
            fault = self._rate_limited(path, number)
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
        elif path in ("/token", "/revoke"):
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
        token = self.oauth.caller_token(headers)
        if token is None:
            return (*errors.unauthenticated(), {})
        caller = token.channel_index
        analytics = path == "/v2/reports"
        if not (token.scopes & DATA_API_SCOPES) or (analytics and not token.scopes & ANALYTICS_SCOPES):
            service = errors.ANALYTICS_SERVICE if analytics else errors.DATA_API_SERVICE
            return (*errors.insufficient_scopes(service), {})
        charged = self._charge_analytics() if analytics else self._charge_data_api(ENDPOINT_NAMES[path])
        if not charged:
            return (*self._quota_refusal(analytics), {})
        if analytics:  # what the token may see is part of the question (and of the cache key);
            # set here, so a caller cannot claim it
            params = {
                **params,
                "__monetary": ["1" if MONETARY_READONLY in token.scopes else "0"],
                "__partner": ["0" if caller in self.config.non_partner_channels else "1"],
            }
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
                refresh_tokens=self.oauth.refresh_tokens,
                consented=self.oauth.consented,
                reporting_jobs=self.reporting.saved_jobs(),
                reporting_requests=self._reporting_by_day,
            ),
        )

    def _save_state_locked(self) -> None:
        with self._lock:
            self._save_state()

    def world_now(self) -> datetime:
        """Now on the world's clock: the Pacific wall clock moved to the world's today
        (``--today``) when the emulator started, so it keeps running forward (past midnight
        into the world's next day) however long the emulator serves."""
        wall = datetime.fromtimestamp(self.clock(), PACIFIC)
        return datetime.combine(wall.date() + self._world_offset, wall.time(), PACIFIC)

    def _reporting_call(
        self, method: str, path: str, params: Params, headers: Mapping[str, str], form: Params | None
    ) -> Answer:
        """The Reporting API (``reporting.ReportingApi``): OAuth, quota, then the method; a
        report file is gzip-encoded when the caller accepts it (as Google's downloads are)."""
        token = self.oauth.caller_token(headers)
        if token is None:
            return (*errors.unauthenticated(), {})
        if not token.scopes & ANALYTICS_SCOPES:
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
                body = None
            if not isinstance(body, dict):
                msg = "Invalid JSON payload received. Expected an object."
                return (*errors.one_platform_error(400, msg, "INVALID_ARGUMENT"), {})
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
            if api_calls >= self.config.revoke_after and self.oauth.refresh_tokens:
                self.oauth.refresh_tokens.clear()
                self.oauth.tokens.clear()
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

    def _rate_limited(self, path: str, number: int) -> tuple[int, dict[str, Any]] | None:
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
        service = errors.REPORTING_SERVICE if path.startswith("/v1/") else errors.ANALYTICS_SERVICE
        return errors.too_many_requests(service) if number % 2 else errors.rate_limited_403()

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
