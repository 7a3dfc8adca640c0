"""A wrong OAuth client id or secret is reported as such, distinct from a refused refresh
token: Google's token endpoint answers the first with 401 ``invalid_client`` and the second
with 400 ``invalid_grant``; each gets one line saying what to fix, never a secret."""

from __future__ import annotations

import threading
import webbrowser

import google.auth.exceptions
import google.auth.transport.requests
import httpx
import pytest
from google.oauth2.credentials import Credentials

from ytlake.emulator.server import running_emulator
from ytlake.runlocal import RunOptions, run_local
from ytlake.youtube.auth import ConsentError, consent
from ytlake.youtube.oauth import AuthError, ClientCredentials, OAuthSession, refusal_message

from ..conftest import TODAY, tiny_world_config

CLIENT_ID, SECRET, REFRESH = "ytlake-demo-client", "ytlake-demo-secret", "ytlake-demo-refresh-token"
WRONG_SECRET = "wrong-secret-0123456789"


def _refresh_error(emulator, creds: ClientCredentials) -> str:
    session = OAuthSession(creds, f"{emulator.base_url}/token", refresh_attempts=1)
    try:
        with pytest.raises(AuthError) as err:
            session.access_token()
    finally:
        session.close()
    return str(err.value)


def _assert_client_message(text: str, *secrets: str) -> None:
    assert "\n" not in text
    assert "invalid_client" in text
    assert "YT_CLIENT_ID" in text and "YT_CLIENT_SECRET" in text and "Google Cloud console" in text
    assert "YT_REFRESH_TOKEN" not in text  # not the refresh token's fix
    for secret in secrets:
        assert secret not in text


def test_the_token_endpoint_answers_a_wrong_secret_and_client_as_google_does(emulator):
    form = {
        "grant_type": "refresh_token",
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "refresh_token": REFRESH,
    }
    for overrides, status, error in (
        ({"client_secret": WRONG_SECRET}, 401, "invalid_client"),
        ({"client_id": "someone-else.apps.googleusercontent.com"}, 401, "invalid_client"),
        ({"refresh_token": "1//revoked"}, 400, "invalid_grant"),
    ):
        answer = httpx.post(f"{emulator.base_url}/token", data={**form, **overrides})
        assert (answer.status_code, answer.json()["error"]) == (status, error)
        assert WRONG_SECRET not in answer.text


def test_google_auth_raises_invalid_client_for_a_wrong_secret_and_does_not_retry(emulator):
    creds = Credentials(
        token=None,
        refresh_token=REFRESH,
        token_uri=f"{emulator.base_url}/token",
        client_id=CLIENT_ID,
        client_secret=WRONG_SECRET,
    )
    before = emulator.emulator.stats.requests["/token"]
    with pytest.raises(google.auth.exceptions.RefreshError, match="invalid_client") as err:
        creds.refresh(google.auth.transport.requests.Request())
    assert err.value.retryable is False
    assert emulator.emulator.stats.requests["/token"] == before + 1


def test_a_wrong_client_secret_says_the_client_id_or_secret_is_wrong(emulator):
    text = _refresh_error(emulator, ClientCredentials(CLIENT_ID, WRONG_SECRET, REFRESH))
    _assert_client_message(text, WRONG_SECRET, REFRESH)


def test_an_unknown_client_id_says_the_client_id_or_secret_is_wrong(emulator):
    text = _refresh_error(
        emulator, ClientCredentials("someone-else.apps.googleusercontent.com", SECRET, REFRESH)
    )
    _assert_client_message(text, SECRET, REFRESH)
    assert "The OAuth client was not found." in text  # Google's own words, kept


def test_a_revoked_refresh_token_still_says_to_run_ytlake_auth(emulator):
    text = _refresh_error(emulator, ClientCredentials(CLIENT_ID, SECRET, "1//revoked-token-xyz"))
    assert "\n" not in text and "invalid_grant" in text
    assert "ytlake auth" in text and "YT_REFRESH_TOKEN" in text
    assert "YT_CLIENT_SECRET" not in text  # not the client's fix
    assert "1//revoked-token-xyz" not in text and SECRET not in text


def test_a_secret_echoed_by_the_token_endpoint_never_reaches_the_message():
    """Whatever the endpoint says back, the secret and the refresh token are masked."""
    answer = {"error": "invalid_client", "error_description": f"client_secret {WRONG_SECRET} is not valid"}
    err = google.auth.exceptions.RefreshError(f"invalid_client: {answer['error_description']}", answer)
    text = refusal_message(err, (WRONG_SECRET, REFRESH))
    _assert_client_message(text, WRONG_SECRET)
    assert "***" in text


def test_a_non_json_refusal_is_one_line():
    err = google.auth.exceptions.RefreshError("<html>\n<body>Bad Gateway</body>\n</html>")
    text = refusal_message(err)
    assert "\n" not in text and "ytlake auth" in text


def test_a_run_with_a_wrong_secret_fails_with_the_client_message_and_no_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("YT_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("YT_CLIENT_SECRET", WRONG_SECRET)
    monkeypatch.setenv("YT_REFRESH_TOKEN", REFRESH)
    with running_emulator(tiny_world_config()) as emu:
        result = run_local(
            RunOptions(source="google", api_root=emu.base_url, lakehouse=tmp_path / "yt.duckdb", today=TODAY)
        )
    failed = result.run.results["ingest_data_api_to_bronze"]
    assert failed.state == "FAILED"
    assert failed.error.startswith("AuthError: Google refused the OAuth client")
    _assert_client_message(failed.error, WRONG_SECRET, REFRESH)
    assert WRONG_SECRET not in result.log_path.read_text()


class _ClickAllow(webbrowser.BaseBrowser):
    """A person who clicks "Allow": follows the consent page's redirect to the loopback server."""

    def open(self, url, new=0, autoraise=True):
        threading.Thread(
            target=lambda: httpx.get(url, follow_redirects=True, timeout=30), daemon=True
        ).start()
        return True


def test_ytlake_auth_with_a_wrong_secret_says_the_client_id_or_secret_is_wrong():
    webbrowser.register("ytlake-click-allow", None, _ClickAllow("ytlake-click-allow"))
    with running_emulator(tiny_world_config()) as emu, pytest.raises(ConsentError) as err:
        consent(
            CLIENT_ID,
            WRONG_SECRET,
            auth_uri=f"{emu.base_url}/o/oauth2/auth",
            token_uri=f"{emu.base_url}/token",
            browser="ytlake-click-allow",
        )
    _assert_client_message(str(err.value), WRONG_SECRET)
