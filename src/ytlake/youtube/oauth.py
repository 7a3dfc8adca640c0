"""OAuth with google-auth: refresh-token credentials, refreshed through our httpx client.

The token URI is configurable, so Google and the emulator are reached the same way.
Access tokens and secrets are never logged or put in an exception message. A transport
error while refreshing (the token endpoint unreachable for a moment) is retried with
backoff; a refusal (``invalid_grant``) is not.
"""

from __future__ import annotations

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

from ytlake.youtube.endpoints import SCOPES, mounts

log = logging.getLogger(__name__)


class AuthError(RuntimeError):
    """Google refused our credentials; the message says what to do."""


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    client_secret: str
    refresh_token: str

    def __repr__(self) -> str:  # never show secrets
        return f"ClientCredentials(client_id={self.client_id!r}, client_secret=***, refresh_token=***)"


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

    def __call__(self, url, method="GET", body=None, headers=None, timeout=None, **kwargs):  # type: ignore[override]
        try:
            response = self.client.request(method, url, content=body, headers=headers, timeout=timeout or 30)
        except httpx.HTTPError as err:
            raise google.auth.exceptions.TransportError(
                f"token endpoint unreachable: {type(err).__name__}"
            ) from None
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
            scopes=list(SCOPES),
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
        except google.auth.exceptions.RefreshError as err:
            detail = str(err.args[0]) if err.args else "refresh refused"
            raise AuthError(
                f"Google refused the refresh token ({detail.split(',')[0]}); "
                "get a new one with `ytlake auth` and update YT_REFRESH_TOKEN"
            ) from None
        except google.auth.exceptions.TransportError as err:
            raise AuthError(
                f"cannot reach the OAuth token endpoint ({err}); check --api-root and the network"
            ) from None
        self.refreshes += 1

    def close(self) -> None:
        self._client.close()
