"""Where Google's endpoints are: the real ones, or all under one ``--api-root``."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
GOOGLE_DATA_API = "https://youtube.googleapis.com/youtube/v3"
GOOGLE_ANALYTICS_API = "https://youtubeanalytics.googleapis.com/v2"
GOOGLE_REPORTING_API = "https://youtubereporting.googleapis.com/v1"

SCOPES = (
    "https://www.googleapis.com/auth/youtube.readonly",
    "https://www.googleapis.com/auth/yt-analytics.readonly",
)
#: Revenue and ad metrics: asked for only by ``ytlake auth --monetary``. The pipeline asks
#: Google for revenue if and only if the refresh token carries it.
MONETARY_SCOPE = "https://www.googleapis.com/auth/yt-analytics-monetary.readonly"


class InvalidApiRootError(ValueError):
    pass


@dataclass(frozen=True)
class ApiRoot:
    token_uri: str = GOOGLE_TOKEN_URI
    data_api: str = GOOGLE_DATA_API
    analytics_api: str = GOOGLE_ANALYTICS_API
    reporting_api: str = GOOGLE_REPORTING_API

    @property
    def is_google(self) -> bool:
        return self.token_uri == GOOGLE_TOKEN_URI

    @classmethod
    def under(cls, base_url: str) -> ApiRoot:
        """Every endpoint under one base URL: ``/token``, ``/youtube/v3``, ``/v2``, ``/v1``."""
        parsed = urlparse(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise InvalidApiRootError(
                f"--api-root {base_url!r} is not an http(s) URL; use e.g. http://127.0.0.1:8765"
            )
        base = base_url.rstrip("/")
        return cls(f"{base}/token", f"{base}/youtube/v3", f"{base}/v2", f"{base}/v1")


#: In-process transports by base URL (httpx ``mounts``), for benchmarks that answer from an
#: emulator object instead of a socket. Empty unless :func:`mounted` is active.
_MOUNTS: dict[str, Any] = {}
_MOUNTS_LOCK = threading.Lock()


@contextlib.contextmanager
def mounted(base_url: str, transport: Any) -> Iterator[None]:
    """Route every client made while active for ``base_url`` to ``transport`` (httpx)."""
    with _MOUNTS_LOCK:
        _MOUNTS[base_url.rstrip("/")] = transport
    try:
        yield
    finally:
        with _MOUNTS_LOCK:
            _MOUNTS.pop(base_url.rstrip("/"), None)


def mounts() -> dict[str, Any]:
    """The active in-process transports, for ``httpx.Client(mounts=...)``."""
    with _MOUNTS_LOCK:
        return dict(_MOUNTS)
