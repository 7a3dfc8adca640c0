"""Google's OAuth 2.0 endpoints, offline: the token endpoint (refresh and authorization-code
grants, PKCE) and the consent page (auto-approved), and the access tokens they issue."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from ytlake.emulator import errors
from ytlake.emulator.query import Answer, Params, one
from ytlake.emulator.world import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, World, demo_refresh_token

_AUTH = "https://www.googleapis.com/auth/"

YOUTUBE_READONLY = _AUTH + "youtube.readonly"

ANALYTICS_READONLY = _AUTH + "yt-analytics.readonly"

MONETARY_READONLY = _AUTH + "yt-analytics-monetary.readonly"

#: What the demo refresh tokens were granted.
SCOPES = f"{YOUTUBE_READONLY} {ANALYTICS_READONLY}"

FULL_GRANT = frozenset(SCOPES.split())

#: Scopes that let a token call the Data API list methods (any one of them).
DATA_API_SCOPES = frozenset({YOUTUBE_READONLY, _AUTH + "youtube", _AUTH + "youtube.force-ssl"})

#: Analytics: an analytics scope, and (Google's banner) youtube.readonly as well.
ANALYTICS_SCOPES = frozenset({ANALYTICS_READONLY, MONETARY_READONLY})


@dataclass
class Token:
    channel_index: int
    expires_at: float
    scopes: frozenset[str] = FULL_GRANT


class OAuth:
    """The token endpoint and consent page over the emulator's token store."""

    def __init__(
        self,
        world: World,
        config: Any,
        clock: Callable[[], float],
        lock: threading.Lock,
        save: Callable[[], None],
    ) -> None:
        self.config = config
        self.world = world
        self.clock = clock
        self._lock = lock  # the emulator's: token changes and saving the state go together
        self._save_state = save  # called with the lock held
        self.tokens: dict[str, Token] = {}  # access token -> grant
        # code -> (PKCE challenge, challenge method, redirect_uri, scope asked, prompt, channel)
        self._codes: dict[str, tuple[str, str, str, str, str, int]] = {}
        demo_grant = (
            FULL_GRANT | {MONETARY_READONLY} if getattr(config, "demo_monetary", False) else FULL_GRANT
        )
        self.refresh_tokens: dict[str, tuple[int, frozenset[str]]] = {
            demo_refresh_token(c.index): (c.index, demo_grant) for c in world.channels
        }
        self.consented: set[tuple[str, int]] = set()  # (client, channel) pairs that consented once

    # -- OAuth -----------------------------------------------------------------------
    def token(self, form: Params, headers: Mapping[str, str]) -> Answer:
        client_id = one(form, "client_id")
        client_secret = one(form, "client_secret")
        auth = headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(auth[6:]).decode()
                client_id, _, client_secret = decoded.partition(":")
            except ValueError:  # not base64 (binascii.Error), not ASCII, not UTF-8
                return (*errors.oauth_error(401, "invalid_client", "Unauthorized"), {})
        if client_id != DEMO_CLIENT_ID:
            return (*errors.oauth_error(401, "invalid_client", "The OAuth client was not found."), {})
        if client_secret != DEMO_CLIENT_SECRET:
            return (*errors.oauth_error(401, "invalid_client", "Unauthorized"), {})
        grant = one(form, "grant_type")
        refresh_out = None
        if grant == "refresh_token":
            refresh = one(form, "refresh_token") or ""
            held = self.refresh_tokens.get(refresh)
            if held is None:
                return (*errors.oauth_error(400, "invalid_grant", "Token has been expired or revoked."), {})
            channel_index, granted = held
        elif grant == "authorization_code":
            with self._lock:
                pending = self._codes.pop(one(form, "code") or "", None)
            if pending is None:
                return (*errors.oauth_error(400, "invalid_grant", "Malformed auth code."), {})
            challenge, method, redirect_uri, scope_asked, prompt, channel_index = pending
            verifier = one(form, "code_verifier") or ""
            if method == "S256":
                digest = hashlib.sha256(verifier.encode()).digest()
                computed = base64.urlsafe_b64encode(digest).decode().rstrip("=")
            else:
                computed = verifier
            if challenge and computed != challenge:
                return (*errors.oauth_error(400, "invalid_grant", "Invalid code verifier."), {})
            if (one(form, "redirect_uri") or "") != redirect_uri:
                return (*errors.oauth_error(400, "redirect_uri_mismatch", "Bad Request"), {})
            granted = frozenset(scope_asked.split()) - self.config.denied_scopes
            # Google returns a refresh token on a first consent, or when asked to show the
            # consent screen again (prompt=consent); otherwise only an access token.
            with self._lock:
                first = (client_id, channel_index) not in self.consented
                self.consented.add((client_id, channel_index))
                if first or "consent" in prompt.split():
                    refresh_out = "1//emu-" + secrets.token_urlsafe(24)
                    self.refresh_tokens[refresh_out] = (channel_index, granted)
                self._save_state()
        else:
            return (
                *errors.oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant or ''}"),
                {},
            )
        # a refresh may ask fewer scopes than were granted: the access token holds only those
        asked = set((one(form, "scope") or "").split())
        held = frozenset(granted & asked) if asked else granted
        access = "ya29.emu-" + secrets.token_urlsafe(24)
        with self._lock:
            self.tokens[access] = Token(channel_index, self.clock() + self.config.token_ttl, held)
        scope = " ".join(sorted(held))
        body = {
            "access_token": access,
            "expires_in": max(self.config.token_ttl - 1, 0),
            "scope": scope,
            "token_type": "Bearer",
        }
        if refresh_out:
            body["refresh_token"] = refresh_out
        return 200, body, {"Cache-Control": "no-store"}

    def revoke(self, form: Params, headers: Mapping[str, str]) -> Answer:
        """Google's revocation endpoint (``POST /revoke``, ``token=``): revoking a refresh
        token (or an access token from it) ends the grant; the refresh token then gets
        ``invalid_grant``, as a user removing the app from their account does."""
        token = one(form, "token") or ""
        with self._lock:
            held = self.refresh_tokens.pop(token, None)
            if held is None and token in self.tokens:  # an access token: its grant goes
                channel_index = self.tokens.pop(token).channel_index
                for refresh, (index, _) in list(self.refresh_tokens.items()):
                    if index == channel_index:
                        del self.refresh_tokens[refresh]
                held = (channel_index, frozenset())
            if held is None:
                return (*errors.oauth_error(400, "invalid_token", "Token expired or revoked"), {})
            self.tokens = {a: t for a, t in self.tokens.items() if t.channel_index != held[0]}
            self._save_state()
        return 200, {}, {}

    def authorize(self, params: Params, headers: Mapping[str, str]) -> Answer:
        """Google's consent page, auto-approved: 302 to redirect_uri with a code (PKCE kept);
        ``login_hint`` (a channel id of the world) picks whose account signs in."""
        client_id = one(params, "client_id")
        redirect_uri = one(params, "redirect_uri") or ""
        if client_id != DEMO_CLIENT_ID:
            return (
                401,
                {"error": "invalid_client", "error_description": "The OAuth client was not found."},
                {},
            )
        if one(params, "response_type") != "code" or (
            not redirect_uri.startswith("http://localhost")
            and not redirect_uri.startswith("http://127.0.0.1")
        ):
            return (
                400,
                {"error": "invalid_request", "error_description": "Invalid parameter value for redirect_uri"},
                {},
            )
        # who signs in: Google's login_hint names the account; here a channel id picks its
        # owner (without one, channel 1's owner, the demo user)
        hint = one(params, "login_hint") or ""
        owner = next((c.index for c in self.world.channels if c.channel_id == hint), 1)
        code = "4/emu-" + secrets.token_urlsafe(16)
        with self._lock:
            self._codes[code] = (
                one(params, "code_challenge") or "",
                one(params, "code_challenge_method") or "plain",
                redirect_uri,
                one(params, "scope") or "",
                one(params, "prompt") or "",
                owner,
            )
        query = urlencode(
            {"state": one(params, "state") or "", "code": code, "scope": one(params, "scope") or ""}
        )
        sep = "&" if "?" in redirect_uri else "?"
        return 302, b"", {"Location": f"{redirect_uri}{sep}{query}"}

    def caller_token(self, headers: Mapping[str, str]) -> Token | None:
        auth = headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            return None
        token = self.tokens.get(auth[7:].strip())
        if token is None or token.expires_at <= self.clock():
            return None
        return token
