"""A thin, thread-safe HTTP layer for Google's APIs on httpx.

Every answer is classified before anything is done about it:
- 5xx, 429 and 403 ``rateLimitExceeded`` / ``userRateLimitExceeded``: retried with
  exponential backoff and jitter (``Retry-After`` honoured);
- 401: the access token is refreshed once and the call repeated;
- 403 ``quotaExceeded``: :class:`QuotaExceededError`, never retried;
- other 4xx: :class:`GoogleApiError` with Google's message.
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
from dataclasses import dataclass, field
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from ytlake.youtube.endpoints import mounts
from ytlake.youtube.oauth import OAuthSession

log = logging.getLogger(__name__)

RETRYABLE_403_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})


class GoogleApiError(RuntimeError):
    """A non-retryable error answer from Google."""

    def __init__(self, status: int, reason: str, message: str, response: ApiResponse | None = None):
        super().__init__(f"HTTP {status} {reason}: {message}")
        self.status, self.reason, self.message, self.response = status, reason, message, response


class QuotaExceededError(GoogleApiError):
    """403 quotaExceeded: the day's quota is spent; stop cleanly, resume tomorrow."""


class RetryableError(RuntimeError):
    def __init__(self, response: ApiResponse, retry_after: float | None) -> None:
        super().__init__(f"HTTP {response.status} {response.reason}")
        self.response, self.retry_after = response, retry_after


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


class RateLimiter:
    """At most ``rate`` calls per second across threads (None: no limit).

    Calls leave at least ``1 / rate`` seconds apart, measured when they leave (the wait is
    serialised), with a 2 % margin so that scheduling jitter never puts ``rate + 1`` calls
    in one second of a server's rate window.
    """

    MARGIN = 0.98

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / (rate * self.MARGIN) if rate else 0.0
        self._last = float("-inf")
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            delay = self._last + self.interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._last = time.monotonic()


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


class GoogleHttp:
    """GET Google JSON APIs with classification, retry, token refresh and pacing."""

    def __init__(
        self,
        oauth: OAuthSession,
        *,
        timeout: float | None = None,
        max_attempts: int = 6,
        requests_per_second: float | None = None,
        backoff_base: float = 0.5,
        backoff_max: float = 32.0,
        pool_size: int = 16,
    ) -> None:
        self.oauth = oauth
        if timeout is None:  # default 30 s; YTLAKE_HTTP_TIMEOUT_S lets tests and slow networks change it
            timeout = float(os.environ.get("YTLAKE_HTTP_TIMEOUT_S", "30"))
        self.max_attempts = max_attempts
        self.backoff_base, self.backoff_max = backoff_base, backoff_max
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
            return min(exc.retry_after, self.backoff_max)
        expo = self.backoff_base * (2 ** (state.attempt_number - 1))
        return random.uniform(0, min(expo, self.backoff_max))  # full jitter

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

    def get(self, base: str, endpoint: str, params: dict[str, Any]) -> ApiResponse:
        """GET ``base/endpoint`` with ``params``; returns the final 200 answer or raises."""
        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            retry=retry_if_exception_type((RetryableError, httpx.TransportError)),
            before_sleep=self._before_sleep,
            reraise=True,
        )
        return retrying(self._get_once, base, endpoint, params)

    def _get_once(self, base: str, endpoint: str, params: dict[str, Any]) -> ApiResponse:
        refreshed = False
        while True:
            self.limiter.wait()
            token = self.oauth.access_token()
            with self._stats_lock:
                self.stats.requests[endpoint] += 1
            raw = self.client.get(
                f"{base}/{endpoint}", params=params, headers={"authorization": f"Bearer {token}"}
            )
            response = ApiResponse(endpoint, dict(params), raw.status_code, raw.text)
            with self._stats_lock:
                self.stats.statuses[raw.status_code] += 1
            status = raw.status_code
            if status == 200:
                if not response.is_json:  # Google never sends broken JSON: the answer was cut
                    raise RetryableError(response, None)
                return response
            if status == 401 and not refreshed:
                self.oauth.invalidate(token)
                refreshed = True
                continue
            reason = response.reason
            if status >= 500 or status == 429 or (status == 403 and reason in RETRYABLE_403_REASONS):
                retry_after = raw.headers.get("retry-after")
                seconds = float(retry_after) if retry_after and retry_after.isdigit() else None
                raise RetryableError(response, seconds)
            if status == 403 and reason == "quotaExceeded":
                raise QuotaExceededError(status, reason, response.message, response)
            raise GoogleApiError(status, reason or "error", response.message, response)
