"""Where Google's endpoints are: the real ones, or all under one ``--api-root``."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
GOOGLE_DATA_API = "https://youtube.googleapis.com/youtube/v3"
GOOGLE_ANALYTICS_API = "https://youtubeanalytics.googleapis.com/v2"

SCOPES = (
    "https://www.googleapis.com/auth/youtube.readonly",
    "https://www.googleapis.com/auth/yt-analytics.readonly",
)


class InvalidApiRootError(ValueError):
    pass


@dataclass(frozen=True)
class ApiRoot:
    token_uri: str = GOOGLE_TOKEN_URI
    data_api: str = GOOGLE_DATA_API
    analytics_api: str = GOOGLE_ANALYTICS_API

    @property
    def is_google(self) -> bool:
        return self.token_uri == GOOGLE_TOKEN_URI

    @classmethod
    def under(cls, base_url: str) -> ApiRoot:
        """Every endpoint under one base URL: ``/token``, ``/youtube/v3``, ``/v2``."""
        parsed = urlparse(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise InvalidApiRootError(
                f"--api-root {base_url!r} is not an http(s) URL; use e.g. http://127.0.0.1:8765"
            )
        base = base_url.rstrip("/")
        return cls(f"{base}/token", f"{base}/youtube/v3", f"{base}/v2")
