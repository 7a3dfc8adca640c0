"""Getting a refresh token: the installed-app OAuth flow (loopback redirect, PKCE).

``ytlake auth`` and ``scripts/get_youtube_refresh_token.py`` call :func:`consent` and then
:func:`write_env`. The token endpoint and the consent page are configurable, so the whole
flow runs against the emulator offline.

Google's consent screen lets a user untick a scope (granular consent): the flow then ends
with fewer scopes than asked, and every Analytics call would fail later. :func:`consent`
checks what was granted and names what is missing. It asks with ``prompt=consent``: Google
returns a refresh token only on a first consent unless the consent screen is shown again.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from ytlake.youtube.endpoints import GOOGLE_TOKEN_URI, MONETARY_SCOPE, SCOPES
from ytlake.youtube.oauth import refusal_message

GOOGLE_AUTH_URI = "https://accounts.google.com/o/oauth2/auth"


class ConsentError(RuntimeError):
    """The consent flow ended without what the pipeline needs; the message says what to do."""


def missing_scopes(granted: str | Iterable[str] | None, needed: tuple[str, ...] = SCOPES) -> list[str]:
    """The needed scopes a token response did not grant (``granted``: a list or a
    space-separated string; None means Google did not say, i.e. as asked)."""
    if granted is None:
        return []
    names = set(granted.split()) if isinstance(granted, str) else {str(g) for g in granted}
    return [s for s in needed if s not in names]


def consent(
    client_id: str,
    client_secret: str,
    *,
    auth_uri: str = GOOGLE_AUTH_URI,
    token_uri: str = GOOGLE_TOKEN_URI,
    open_browser: bool = True,
    browser: str | None = None,
    port: int = 0,
    monetary: bool = False,
) -> str:
    """Run the consent flow in a browser and return the refresh token (``monetary``: ask for
    revenue and ad metrics too, ``yt-analytics-monetary.readonly``)."""
    from google_auth_oauthlib.flow import InstalledAppFlow
    from oauthlib.oauth2.rfc6749.errors import OAuth2Error

    if auth_uri.startswith(("http://127.0.0.1", "http://localhost")):
        os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the local emulator speaks http
    # a user may grant fewer scopes than asked: let oauthlib accept it, then check (below)
    os.environ.setdefault("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    config = {
        "installed": {
            "client_id": client_id,
            "client_secret": client_secret,
            "auth_uri": auth_uri,
            "token_uri": token_uri,
            "redirect_uris": ["http://localhost"],
        }
    }
    asked = (*SCOPES, MONETARY_SCOPE) if monetary else SCOPES
    flow = InstalledAppFlow.from_client_config(config, scopes=list(asked))
    try:
        creds = flow.run_local_server(
            host="localhost",
            port=port,
            open_browser=open_browser,
            browser=browser,
            authorization_prompt_message="Open this URL to grant read-only access: {url}",
            success_message="ytlake has its refresh token; you can close this tab.",
            prompt="consent",  # show the consent screen again, so a refresh token always comes back
        )
    except OAuth2Error as err:  # the code exchange refused: a wrong secret is invalid_client
        if err.error == "invalid_client":
            raise ConsentError(refusal_message(err, (client_secret,))) from None
        detail = " ".join(f"{err.error}: {err.description or ''}".split())
        if client_secret:
            detail = detail.replace(client_secret, "***")
        raise ConsentError(
            f"Google refused the consent ({detail[:200]}); run `ytlake auth` again and allow access"
        ) from None
    missing = missing_scopes(creds.granted_scopes)
    if not missing and monetary and missing_scopes(creds.granted_scopes, (MONETARY_SCOPE,)):
        raise ConsentError(
            "Google granted access without yt-analytics-monetary.readonly: run `ytlake auth --monetary` "
            "again and tick the revenue box, or `ytlake auth` for a lakehouse without revenue"
        )
    if missing:
        names = ", ".join(m.rsplit("/", 1)[-1] for m in missing)
        raise ConsentError(
            f"Google granted access without {names}: run `ytlake auth` again and leave every box "
            "ticked on the consent screen (ytlake needs read-only access to the channel and its Analytics)"
        )
    if not creds.refresh_token:
        raise ConsentError(
            "Google returned no refresh token; revoke the app's access and run `ytlake auth` again"
        )
    return str(creds.refresh_token)


def write_env(path: Path, values: dict[str, str]) -> None:
    """Set ``values`` in a .env file (other lines kept), readable by the owner only (0600)."""
    path = Path(path)
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    keep = [ln for ln in lines if not any(re.match(rf"\s*{re.escape(k)}\s*=", ln) for k in values)]
    keep += [f"{k}={v}" for k, v in values.items()]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(keep) + "\n")
    os.chmod(path, 0o600)
