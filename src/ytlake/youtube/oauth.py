"""OAuth with google-auth: refresh-token credentials, refreshed through our httpx client.

The token URI is configurable, so Google and the emulator are reached the same way.
Access tokens and secrets are never logged or put in an exception message. A transport
error while refreshing (the token endpoint unreachable for a moment) is retried with
backoff; a refusal is not: ``invalid_client`` (a wrong client id or secret) and
``invalid_grant`` (an expired or revoked refresh token) each say what to fix, in one line.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import google.auth.exceptions
import google.auth.transport
import httpx
from google.oauth2.credentials import Credentials
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from ytlake.youtube.endpoints import MONETARY_SCOPE, SCOPES, mounts

log = logging.getLogger(__name__)


class AuthError(RuntimeError):
    """Google refused our credentials; the message says what to do."""


class TokenEndpointUnreachable(AuthError, httpx.TransportError):
    """The token endpoint could not be reached, retries included: Google (or the network) is
    down for now — the run stops PARTIAL like any call without an answer, not FAILED."""


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    client_secret: str
    refresh_token: str

    def __repr__(self) -> str:  # never show secrets
        return f"ClientCredentials(client_id={self.client_id!r}, client_secret=***, refresh_token=***)"


#: What to do when the token endpoint refuses the OAuth client itself (``invalid_client``:
#: an unknown client id, or a secret that is not the client's).
CLIENT_FIX = (
    "YT_CLIENT_ID or YT_CLIENT_SECRET is wrong; copy both from your OAuth client in the Google "
    "Cloud console (APIs & Services > Credentials) into the environment or .env (on Databricks: "
    "yt_client_id and yt_client_secret in the secret scope)"
)
#: What to do when it refuses the refresh token (``invalid_grant``: expired or revoked).
REFRESH_TOKEN_FIX = "get a new one with `ytlake auth` and update YT_REFRESH_TOKEN"


def refusal_message(err: Exception, secrets: tuple[str, ...] = ()) -> str:
    """One line saying what the token endpoint refused and how to fix it, without secrets.

    ``err`` is google-auth's ``RefreshError`` (``args``: ``"error: description"`` and the
    JSON answer) or oauthlib's ``OAuth2Error`` (``error``, ``description``). Google answers a
    wrong client id or secret with 401 ``invalid_client`` and an expired or revoked refresh
    token with 400 ``invalid_grant``; anything else is reported as a refused refresh token.
    """
    error, detail = _refusal(err)
    for secret in secrets:  # masked first, so no cut below leaves a piece of one
        if secret:
            detail = detail.replace(secret, "***")
    detail = detail.split(",")[0][:200] or "refused"
    if error == "invalid_client":
        return f"Google refused the OAuth client ({detail}): {CLIENT_FIX}"
    return f"Google refused the refresh token ({detail}); {REFRESH_TOKEN_FIX}"


def _refusal(err: Exception) -> tuple[str, str]:
    """``(error code, "code: description" on one line)`` of a token endpoint refusal."""
    error = str(getattr(err, "error", "") or "")  # oauthlib
    if error:
        detail = f"{error}: {getattr(err, 'description', '') or ''}".rstrip(": ")
    else:  # google-auth
        answer = err.args[1] if len(err.args) > 1 else None
        if isinstance(answer, dict) and isinstance(answer.get("error"), str):
            error = answer["error"]
        detail = str(err.args[0]) if err.args else "refresh refused"
        if not error:
            error = detail.partition(":")[0].strip()
    return error, " ".join(detail.split())


class _HttpxResponse(google.auth.transport.Response):
    def __init__(self, response: httpx.Response) -> None:
        self._r = response

    @property
    def status(self) -> int:
        return self._r.status_code

    @property
    def headers(self):  # type: ignore[override]
        return dict(self._r.headers)

    @property
    def data(self) -> bytes:
        return self._r.content


class HttpxRequest(google.auth.transport.Request):
    """google-auth's transport interface over an httpx client."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        #: the ``scope`` of the last token answer: what the refresh token was granted
        self.granted_scope: str | None = None

    def __call__(self, url, method="GET", body=None, headers=None, timeout=None, **kwargs):  # type: ignore[override]
        try:
            response = self.client.request(method, url, content=body, headers=headers, timeout=timeout or 30)
        except httpx.HTTPError as err:
            raise google.auth.exceptions.TransportError(
                f"token endpoint unreachable: {type(err).__name__}"
            ) from None
        if response.status_code == 200:
            with contextlib.suppress(ValueError, AttributeError):
                scope = response.json().get("scope")
                if isinstance(scope, str):
                    self.granted_scope = scope
        return _HttpxResponse(response)


class OAuthSession:
    """Hands out a valid access token, refreshing it (thread-safely) when needed."""

    def __init__(
        self,
        credentials: ClientCredentials,
        token_uri: str,
        *,
        refresh_attempts: int = 5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._creds = Credentials(
            token=None,
            refresh_token=credentials.refresh_token,
            token_uri=token_uri,
            client_id=credentials.client_id,
            client_secret=credentials.client_secret,
            # no scope asked on refresh: the token gets every scope it was granted, and the
            # answer's ``scope`` says which (revenue is asked for only when it is there)
            scopes=None,
        )
        self._client = httpx.Client(timeout=30, mounts=mounts())
        self._request = HttpxRequest(self._client)
        self._lock = threading.Lock()
        self.refreshes = 0
        self.refresh_attempts, self.sleep = refresh_attempts, sleep

    def access_token(self) -> str:
        with self._lock:
            if not self._creds.valid:
                self._refresh()
            return str(self._creds.token)

    def granted_scopes(self) -> frozenset[str]:
        """The scopes the refresh token was granted (refreshing first if no token yet). A
        token endpoint that does not say is taken to have granted what ytlake asks."""
        self.access_token()
        scope = self._request.granted_scope
        return frozenset(scope.split()) if scope is not None else frozenset(SCOPES)

    def invalidate(self, token: str) -> None:
        """Forget ``token`` (the API said 401), so the next call refreshes."""
        with self._lock:
            if self._creds.token == token:
                self._creds.token = None

    def _refresh(self) -> None:
        retrying = Retrying(
            stop=stop_after_attempt(self.refresh_attempts),
            wait=wait_random_exponential(multiplier=1, max=30),
            retry=retry_if_exception_type(google.auth.exceptions.TransportError),
            before_sleep=lambda state: log.info(
                "token endpoint unreachable, retrying (attempt %d)", state.attempt_number
            ),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            retrying(self._creds.refresh, self._request)
            # the first refresh asks no scope, to learn what the token holds; a token granted
            # more than ytlake reads (another tool's, with write access) is refreshed again,
            # asking only the read-only scopes it needs, so no access token it uses can write
            granted = set((self._request.granted_scope or "").split())
            wanted = sorted(granted & {*SCOPES, MONETARY_SCOPE})
            if (
                self._creds.scopes is None
                and self._request.granted_scope is not None
                and granted - set(wanted)
            ):
                self._creds._scopes = wanted  # google-auth keeps no setter; refresh reads it
                retrying(self._creds.refresh, self._request)
        except google.auth.exceptions.RefreshError as err:
            secrets = (self._creds.client_secret or "", self._creds.refresh_token or "")
            raise AuthError(refusal_message(err, secrets)) from None
        except google.auth.exceptions.TransportError as err:
            raise TokenEndpointUnreachable(
                f"cannot reach the OAuth token endpoint ({err}); check --api-root and the network"
            ) from None
        self.refreshes += 1

    def close(self) -> None:
        self._client.close()
