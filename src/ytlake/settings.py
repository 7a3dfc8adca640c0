"""Where every setting comes from.

Secrets: the environment or ``.env`` locally (``YT_CLIENT_ID``, ``YT_CLIENT_SECRET``,
``YT_REFRESH_TOKEN``, ``DBT_DATABRICKS_*``); on Databricks the secret scope (``yt_*``,
``dbt_*`` keys). Run options: ``ytlake run`` flags over the bundle's variable defaults.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PACIFIC = ZoneInfo("America/Los_Angeles")

#: Secret-scope key for each credential (Databricks).
SECRET_SCOPE_KEYS = {
    "yt_client_id": "YT_CLIENT_ID",
    "yt_client_secret": "YT_CLIENT_SECRET",
    "yt_refresh_token": "YT_REFRESH_TOKEN",
    "dbt_host": "DBT_DATABRICKS_HOST",
    "dbt_http_path": "DBT_DATABRICKS_HTTP_PATH",
    "dbt_token": "DBT_DATABRICKS_TOKEN",
}


class Secrets(BaseSettings):
    """Credentials from the environment, then ``.env`` in the working folder."""

    # utf-8-sig: a byte-order mark some editors write is not part of the first name
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8-sig", extra="ignore")

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except UnicodeDecodeError as err:
            raise SettingsError(
                f".env is not UTF-8 text (byte {err.start}: {err.reason}; UTF-16, as some Windows "
                "editors save it?): save it as UTF-8 and run again"
            ) from None

    yt_client_id: str | None = None
    yt_client_secret: SecretStr | None = None
    yt_refresh_token: SecretStr | None = None
    dbt_databricks_host: str | None = None
    dbt_databricks_http_path: str | None = None
    dbt_databricks_token: SecretStr | None = None


def require_youtube_credentials(secrets: Secrets, fix: str, stored_channels: int = 0) -> None:
    """Raise :class:`SettingsError` naming every missing YT_* variable (``fix`` says what else to
    do); channels stored by ``ytlake channels add`` stand in for YT_REFRESH_TOKEN."""
    missing = [
        name
        for name, value in (
            ("YT_CLIENT_ID", secrets.yt_client_id),
            ("YT_CLIENT_SECRET", secrets.yt_client_secret),
            ("YT_REFRESH_TOKEN", secrets.yt_refresh_token or stored_channels),
        )
        if not value
    ]
    if missing:
        raise SettingsError(
            f"missing {', '.join(missing)}: set them in the environment or .env (see .env.example), {fix}"
        )


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it and the fix."""


def pacific_today() -> date:
    return datetime.now(PACIFIC).date()


def parse_date(value: str, flag: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{flag} {value!r} is not a date; use YYYY-MM-DD") from None


def default_lakehouse() -> Path:
    return Path(".lakehouse") / "youtube_analytics.duckdb"


_SECRET_QUERY_KEYS = {"key", "access_token", "token", "client_secret", "refresh_token", "password", "sig"}


def redact_url(url: str | None) -> str | None:
    """``url`` without credentials: user and password, and secret-looking query values, become
    ``***`` (for logs, tables and messages)."""
    if not url:
        return url
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            netloc = "***@" + netloc.rsplit("@", 1)[1]
        query = urlencode(
            [(k, "***" if k.lower() in _SECRET_QUERY_KEYS else v) for k, v in parse_qsl(parts.query, True)],
            safe="*",
        )
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return "***"
