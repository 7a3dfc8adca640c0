"""The channels a lakehouse pulls, and where each one's refresh token is.

One Google Cloud OAuth client (``YT_CLIENT_ID`` / ``YT_CLIENT_SECRET``: one project, one
quota shared by every channel) and one refresh token per channel, its owner's:

- locally, ``ytlake channels add`` stores them in a credentials file readable by its owner
  only (``.ytlake/credentials.json`` beside ``.env``, or ``YTLAKE_CREDENTIALS_FILE``): a file
  anyone else may read is refused, as ssh refuses a private key;
- the single-channel ``YT_REFRESH_TOKEN`` keeps working: its channel is one more (the same
  channel twice is pulled once);
- on Databricks, one secret per channel in the job's secret scope, keyed
  ``yt_refresh_token_<channel id>`` (``yt_refresh_token`` alone still works).

Tokens never leave this module but as :class:`ClientCredentials` (whose repr hides them):
``ytlake channels list`` shows ids, titles and where each token is, never a token.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ytlake.settings import SettingsError
from ytlake.youtube.oauth import ClientCredentials

#: The emulator's demo OAuth client and channel 1's token (ARCHITECTURE "Contracts").
DEMO_CREDENTIALS = ClientCredentials("ytlake-demo-client", "ytlake-demo-secret", "ytlake-demo-refresh-token")
CREDENTIALS_ENV = "YTLAKE_CREDENTIALS_FILE"
DEFAULT_CREDENTIALS = Path(".ytlake") / "credentials.json"
#: The secret-scope key of a channel's refresh token (Databricks): this prefix and its id.
SECRET_PREFIX = "yt_refresh_token_"


@dataclass(frozen=True)
class ChannelAccess:
    """How to reach one channel: the OAuth client and the channel owner's refresh token."""

    credentials: ClientCredentials
    #: where the token is, unique among a run's channels (it pairs a token with the channel
    #: it turned out to be): "credentials file", "YT_REFRESH_TOKEN", a secret key, "demo token k"
    origin: str
    channel_id: str | None = None  # known when the token was stored under it; else learnt

    @property
    def label(self) -> str:
        return self.channel_id or self.origin


@dataclass(frozen=True)
class StoredChannel:
    channel_id: str
    title: str
    refresh_token: str
    added_at_utc: str

    def __repr__(self) -> str:  # never show the token
        return f"StoredChannel({self.channel_id!r}, {self.title!r}, refresh_token=***)"


def credentials_path() -> Path:
    return Path(os.environ.get(CREDENTIALS_ENV) or DEFAULT_CREDENTIALS)


def load(path: Path | None = None) -> list[StoredChannel]:
    """The channels stored in the credentials file (none when it does not exist)."""
    path = path or credentials_path()
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return []
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SettingsError(
            f"{path} holds refresh tokens but others may read it (mode {stat.S_IMODE(mode):o}): "
            f"run `chmod 600 {path}`"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [
            StoredChannel(
                str(c["channel_id"]),
                str(c.get("title") or ""),
                str(c["refresh_token"]),
                str(c.get("added_at_utc") or ""),
            )
            for c in data.get("channels", [])
        ]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise SettingsError(
            f"{path} is not a ytlake credentials file ({type(err).__name__}): fix it, or remove it and "
            "add the channels again with `ytlake channels add`"
        ) from None


def _save(path: Path, channels: Iterable[StoredChannel]) -> None:
    """Write the file readable and writable by its owner only (atomically: a crash leaves the
    old file or the new one, never half of one)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data: dict[str, Any] = {
        "channels": [
            {
                "channel_id": c.channel_id,
                "title": c.title,
                "refresh_token": c.refresh_token,
                "added_at_utc": c.added_at_utc,
            }
            for c in channels
        ]
    }
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)  # a leftover (or a link planted there) is never written through
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def add(channel_id: str, title: str, refresh_token: str, path: Path | None = None) -> bool:
    """Store (or replace) a channel's refresh token; True when the channel is new."""
    path = path or credentials_path()
    channels = load(path)
    new = all(c.channel_id != channel_id for c in channels)
    kept = [c for c in channels if c.channel_id != channel_id]
    added = StoredChannel(channel_id, title, refresh_token, datetime.now(UTC).isoformat(timespec="seconds"))
    _save(path, [*kept, added])
    return new


def remove(channel_id: str, path: Path | None = None) -> bool:
    """Forget a channel's token; False when it was not stored. Its data stays in the lakehouse."""
    path = path or credentials_path()
    channels = load(path)
    kept = [c for c in channels if c.channel_id != channel_id]
    if len(kept) == len(channels):
        return False
    _save(path, kept)
    return True


def local_accesses(client_id: str, client_secret: str, env_refresh_token: str | None) -> list[ChannelAccess]:
    """The channels of a local run: the credentials file's, then ``YT_REFRESH_TOKEN``'s."""
    out = [
        ChannelAccess(
            ClientCredentials(client_id, client_secret, c.refresh_token), "credentials file", c.channel_id
        )
        for c in load()
    ]
    if env_refresh_token and all(a.credentials.refresh_token != env_refresh_token for a in out):
        out.append(
            ChannelAccess(ClientCredentials(client_id, client_secret, env_refresh_token), "YT_REFRESH_TOKEN")
        )
    return out


def scope_accesses(
    secret: Any, keys: Iterable[str], client_id: str, client_secret: str
) -> list[ChannelAccess]:
    """The channels of a Databricks run: ``yt_refresh_token_<channel id>`` secrets of the
    scope (``keys``: the scope's secret keys; ``secret(key)``: its value), then
    ``yt_refresh_token``."""
    out = []
    names = sorted(keys)
    for key in names:
        if key.startswith(SECRET_PREFIX):
            channel_id = key.removeprefix(SECRET_PREFIX)
            out.append(
                ChannelAccess(
                    ClientCredentials(client_id, client_secret, secret(key)), f"secret {key}", channel_id
                )
            )
    if "yt_refresh_token" in names:
        token = secret("yt_refresh_token")
        if all(a.credentials.refresh_token != token for a in out):
            out.append(
                ChannelAccess(ClientCredentials(client_id, client_secret, token), "secret yt_refresh_token")
            )
    return out
