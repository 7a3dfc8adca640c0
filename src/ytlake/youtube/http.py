"""A thin, thread-safe HTTP layer for Google's APIs on httpx.

Every answer is classified before anything is done about it:
- a spent daily quota, in every shape Google gives it (403 ``quotaExceeded``, 403
  ``dailyLimitExceeded``, and a 429/403 ``rateLimitExceeded`` whose message or ErrorInfo
  names a per-day limit): :class:`QuotaExceededError`, never retried — it resets at
  midnight Pacific;
- 5xx, other 429s and 403 ``rateLimitExceeded`` / ``userRateLimitExceeded``: retried with
  exponential backoff and full jitter, ``Retry-After`` honoured up to two minutes, within a
  bounded total wait; when retries run out, :class:`RetryableError` with the last answer;
- 401: the access token is refreshed once and the call repeated;
- other 4xx: :class:`GoogleApiError` with Google's message and the request that drew it.
The raw text of the final answer is kept, so Bronze can store it as received.
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlparse

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type

from ytlake.interrupts import STOP
from ytlake.youtube.endpoints import mounts
from ytlake.youtube.oauth import OAuthSession

log = logging.getLogger(__name__)

RETRYABLE_403_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
#: Reasons that always mean the day's quota is spent.
DAILY_QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})


class GoogleApiError(RuntimeError):
    """A non-retryable error answer from Google."""

    def __init__(self, status: int, reason: str, message: str, response: ApiResponse | None = None):
        asked = f" (asked: {response.describe()})" if response is not None else ""
        super().__init__(f"HTTP {status} {reason}: {message}{asked}")
        self.status, self.reason, self.message, self.response = status, reason, message, response


class QuotaExceededError(GoogleApiError):
    """The day's quota is spent (any of Google's shapes); stop cleanly, resume tomorrow."""


class RetryableError(RuntimeError):
    """A transient answer (5xx, rate limit); raised to the caller when retries ran out."""

    def __init__(self, response: ApiResponse, retry_after: float | None) -> None:
        super().__init__(f"HTTP {response.status} {response.reason}: {response.message}"[:300])
        self.response, self.retry_after = response, retry_after


def is_daily_quota(status: int, body: Any) -> bool:
    """Whether an error answer means the day's quota is spent, in any shape Google uses.

    Google says so as 403 ``quotaExceeded`` (Data API), 403 ``dailyLimitExceeded`` (older
    paths), or as a 429 (or 403) ``rateLimitExceeded`` whose message names a per-day limit
    ("... limit 'Queries per day' ...") and whose ErrorInfo ``quota_limit`` is a per-day one.
    A per-minute ``rateLimitExceeded`` is transient and retried.
    """
    if status not in (403, 429) or not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return False
    error = body["error"]
    items = [e for e in error.get("errors") or [] if isinstance(e, dict)]
    reasons = {str(e.get("reason", "")) for e in items}
    if reasons & DAILY_QUOTA_REASONS:
        return True
    details = [d for d in error.get("details") or [] if isinstance(d, dict)]
    limits = [str((d.get("metadata") or {}).get("quota_limit", "")) for d in details]
    if any("perday" in limit.lower() for limit in limits):
        return True
    texts = [str(error.get("message", "")), *(str(e.get("message", "")) for e in items)]
    return "rateLimitExceeded" in reasons and any("per day" in t.lower() for t in texts)


def retry_after_seconds(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """``Retry-After`` as seconds: a number of seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.fromtimestamp(now(), UTC)).total_seconds(), 0.0)


@dataclass
class ApiResponse:
    """One API call's final answer: what was asked, the status and the body as received."""

    endpoint: str
    params: dict[str, Any]
    status: int
    text: str
    _json: Any = field(default=None, repr=False)

    @property
    def json(self) -> Any:
        """The parsed answer, or None when the text is not JSON."""
        if self._json is None:
            try:
                self._json = (json.loads(self.text),)
            except ValueError:
                self._json = (None,)
        return self._json[0]

    @property
    def is_json(self) -> bool:
        return self.json is not None

    @property
    def reason(self) -> str:
        body = self.json
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            errs = body["error"].get("errors") or [{}]
            return str(errs[0].get("reason") or body["error"].get("status") or "")
        return ""

    @property
    def message(self) -> str:
        body = self.json
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            return str(body["error"].get("message", ""))
        return self.text[:200]

    def describe(self) -> str:
        """The request, for error messages: endpoint and parameters (never credentials)."""
        params = "&".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.endpoint}?{params}"[:400]


class RateLimiter:
    """At most ``rate`` calls per second across threads (None: no limit).

    Calls leave at least ``1 / rate`` seconds apart, measured when they leave (the wait is
    serialised), with a 2 % margin so that scheduling jitter never puts ``rate + 1`` calls
    in one second of a server's rate window. ``clock`` and ``sleep`` are injectable (tests).
    """

    MARGIN = 0.98

    def __init__(
        self,
        rate: float | None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / (rate * self.MARGIN) if rate else 0.0
        self.clock, self.sleep = clock, sleep
        self._last = float("-inf")
        self._lock = threading.Lock()

    def wait(self) -> float:
        """Wait for this call's turn; returns when it leaves (on ``clock``)."""
        if not self.interval:
            return self.clock()
        with self._lock:
            delay = self._last + self.interval - self.clock()
            if delay > 0:
                self.sleep(delay)
            self._last = self.clock()
            return self._last


@dataclass
class CallStats:
    requests: Counter = field(default_factory=Counter)
    retries: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "retries": dict(self.retries),
            "statuses": {str(k): v for k, v in self.statuses.items()},
        }


class Stopped(RuntimeError):
    """The run was asked to stop (SIGINT/SIGTERM): no new request, no more waiting."""


def sleep_unless_stopped(seconds: float) -> None:
    """Wait between retries; a stop asked for meanwhile ends the wait and the call at once."""
    if STOP.wait(seconds):
        raise Stopped("stopped while waiting to retry")


class GoogleHttp:
    """GET Google JSON APIs with classification, retry, token refresh and pacing."""

    def __init__(
        self,
        oauth: OAuthSession,
        *,
        timeout: float | None = None,
        max_attempts: int = 8,
        requests_per_second: float | None = None,
        backoff_base: float = 1.0,
        backoff_max: float = 64.0,
        retry_after_max: float = 120.0,
        max_total_wait: float | None = None,
        pool_size: int = 16,
        sleep: Callable[[float], None] = sleep_unless_stopped,
    ) -> None:
        self.oauth = oauth
        if timeout is None:  # default 30 s; YTLAKE_HTTP_TIMEOUT_S lets tests and slow networks change it
            timeout = float(os.environ.get("YTLAKE_HTTP_TIMEOUT_S", "30"))
        if max_total_wait is None:  # default 300 s; YTLAKE_HTTP_MAX_WAIT_S changes it
            max_total_wait = float(os.environ.get("YTLAKE_HTTP_MAX_WAIT_S", "300"))
        self.max_attempts = max_attempts
        self.backoff_base, self.backoff_max = backoff_base, backoff_max
        # Google's per-minute limits want a pause of a minute or so: Retry-After is honoured up
        # to retry_after_max; all the waits of one call together stop at max_total_wait.
        self.retry_after_max, self.max_total_wait = retry_after_max, max_total_wait
        self.sleep = sleep
        self.limiter = RateLimiter(requests_per_second)
        self.stats = CallStats()
        self._stats_lock = threading.Lock()
        limits = httpx.Limits(max_connections=pool_size, max_keepalive_connections=pool_size)
        self.client = httpx.Client(
            timeout=timeout,
            limits=limits,
            headers={"accept": "application/json", "user-agent": "ytlake"},
            mounts=mounts(),
        )

    def close(self) -> None:
        self.client.close()

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RetryableError) and exc.retry_after is not None:
            wait = min(exc.retry_after, self.retry_after_max)
        else:
            expo = self.backoff_base * (2 ** (state.attempt_number - 1))
            wait = random.uniform(0, min(expo, self.backoff_max))  # full jitter
        return min(wait, max(self.max_total_wait - state.idle_for, 0.0))

    def _stop(self, state: RetryCallState) -> bool:
        """Stop after ``max_attempts`` calls, or when the waits used up ``max_total_wait``."""
        return state.attempt_number >= self.max_attempts or state.idle_for >= self.max_total_wait

    def _before_sleep(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RetryableError):
            with self._stats_lock:
                self.stats.retries[exc.response.endpoint] += 1
            log.info(
                "retrying %s after HTTP %s %s (attempt %d)",
                exc.response.endpoint,
                exc.response.status,
                exc.response.reason,
                state.attempt_number,
            )

    def _retrying(self) -> Retrying:
        return Retrying(
            stop=self._stop,
            wait=self._wait,
            retry=retry_if_exception_type((RetryableError, httpx.TransportError)),
            before_sleep=self._before_sleep,
            sleep=self.sleep,
            reraise=True,
        )

    def get(self, base: str, endpoint: str, params: dict[str, Any]) -> ApiResponse:
        """GET ``base/endpoint`` with ``params``; returns the final 200 answer or raises."""
        return self._retrying()(self._get_once, base, endpoint, params)

    def call(
        self,
        method: str,
        base: str,
        endpoint: str,
        params: dict[str, Any],
        body: dict[str, Any] | None = None,
    ) -> ApiResponse:
        """Any method (the Reporting API's ``jobs.create`` is a POST with a JSON body), with the
        same classification and retries as :meth:`get`."""
        return self._retrying()(self._get_once, base, endpoint, params, method, body)

    def download(self, url: str, lines_per_part: int, origin: str) -> Iterator[list[str]]:
        """A media download (a Reporting API file) streamed in parts of at most
        ``lines_per_part`` lines, so memory does not grow with the file. Lines are split on
        ``\\n`` only and decoded as UTF-8, strictly: every other byte is kept as received.
        The token goes only to ``origin`` (scheme and host of the API): a URL elsewhere is
        refused before anything is sent. Errors before the first byte are classified and
        retried as :meth:`get`'s; a connection lost mid-file raises ``httpx.TransportError``
        (the caller starts the file again)."""
        asked, allowed = urlparse(url), urlparse(origin)
        if (asked.scheme, asked.netloc) != (allowed.scheme, allowed.netloc):
            raise GoogleApiError(
                0, "foreignDownloadUrl", f"a download URL outside {allowed.netloc}: not followed"
            )
        return self._lines(self._retrying()(self._open_stream, url), lines_per_part)

    @staticmethod
    def _lines(response: httpx.Response, lines_per_part: int) -> Iterator[list[str]]:
        try:
            part: list[str] = []
            rest = b""
            for chunk in response.iter_bytes():
                *lines, rest = (rest + chunk).split(b"\n")
                for line in lines:
                    part.append(line.decode("utf-8"))
                    if len(part) >= lines_per_part:
                        yield part
                        part = []
            if rest:  # a last line without its line break
                part.append(rest.decode("utf-8"))
            if part:
                yield part
        finally:
            response.close()

    def _open_stream(self, url: str) -> httpx.Response:
        def build(token: str) -> httpx.Request:
            headers = {"authorization": f"Bearer {token}", "accept": "*/*"}
            return self.client.build_request("GET", url, headers=headers)

        return self._send("v1/media", {}, build, stream=True)

    def _send(
        self,
        endpoint: str,
        params: dict[str, Any],
        build: Callable[[str], httpx.Request],
        stream: bool = False,
    ) -> httpx.Response:
        """Send one request (``build`` makes it for an access token) until it is answered 200:
        paced, counted, the token refreshed once on a 401, any other answer classified
        (:meth:`_raise_for`). A streamed answer is returned unread."""
        refreshed = False
        while True:
            if STOP.is_set():
                raise Stopped("stopped before the request was sent")
            self.limiter.wait()
            token = self.oauth.access_token()
            with self._stats_lock:
                self.stats.requests[endpoint] += 1
            raw = self.client.send(build(token), stream=stream)
            with self._stats_lock:
                self.stats.statuses[raw.status_code] += 1
            if raw.status_code == 200:
                return raw
            raw.read()
            raw.close()
            if raw.status_code == 401 and not refreshed:
                self.oauth.invalidate(token)
                refreshed = True
                continue
            self._raise_for(ApiResponse(endpoint, dict(params), raw.status_code, raw.text), raw)

    def _raise_for(self, response: ApiResponse, raw: httpx.Response) -> None:
        status, reason = response.status, response.reason
        if is_daily_quota(status, response.json):
            raise QuotaExceededError(status, reason, response.message, response)
        if status >= 500 or status == 429 or (status == 403 and reason in RETRYABLE_403_REASONS):
            raise RetryableError(response, retry_after_seconds(raw.headers.get("retry-after")))
        raise GoogleApiError(status, reason or "error", response.message, response)

    def _get_once(
        self,
        base: str,
        endpoint: str,
        params: dict[str, Any],
        method: str = "GET",
        body: dict[str, Any] | None = None,
    ) -> ApiResponse:
        def build(token: str) -> httpx.Request:
            return self.client.build_request(
                method,
                f"{base}/{endpoint}",
                params=params,
                json=body,
                headers={"authorization": f"Bearer {token}"},
            )

        raw = self._send(endpoint, params, build)
        response = ApiResponse(endpoint, dict(params), raw.status_code, raw.text)
        if not response.is_json:  # Google never sends broken JSON: the answer was cut
            raise RetryableError(response, None)
        return response
