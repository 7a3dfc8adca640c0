"""The refresh-token flow end to end against the emulator (consent auto-approved), and the
pipeline then running on the token it produced."""

from __future__ import annotations

import os
import threading
import webbrowser

import httpx
import pytest

from ytlake.emulator.oauth import ANALYTICS_READONLY, MONETARY_READONLY
from ytlake.emulator.server import running_emulator
from ytlake.emulator.service import Emulator, EmulatorConfig
from ytlake.emulator.world import World
from ytlake.runlocal import RunOptions, run_local
from ytlake.youtube.auth import ConsentError, consent, write_env

from ..conftest import TODAY, consent_via_handle, tiny_world_config


class ConsentingBrowser(webbrowser.BaseBrowser):
    """A person who clicks "Allow": follows the consent page's redirect to the loopback server."""

    def open(self, url, new=0, autoraise=True):
        threading.Thread(
            target=lambda: httpx.get(url, follow_redirects=True, timeout=30), daemon=True
        ).start()
        return True


@pytest.fixture
def browser():
    webbrowser.register("ytlake-consent", None, ConsentingBrowser("ytlake-consent"))
    return "ytlake-consent"


def test_write_env_is_private_and_keeps_other_lines(tmp_path):
    env = tmp_path / ".env"
    env.write_text("YT_CLIENT_ID=abc\nYT_REFRESH_TOKEN=old\n")
    write_env(env, {"YT_REFRESH_TOKEN": "new"})
    assert env.read_text() == "YT_CLIENT_ID=abc\nYT_REFRESH_TOKEN=new\n"
    assert oct(env.stat().st_mode & 0o777) == "0o600"


@pytest.mark.slow
def test_the_consent_flow_produces_a_token_the_pipeline_uses(tmp_path, browser, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with running_emulator(tiny_world_config()) as emu:
        token = consent(
            "ytlake-demo-client",
            "ytlake-demo-secret",
            auth_uri=f"{emu.base_url}/o/oauth2/auth",
            token_uri=f"{emu.base_url}/token",
            browser=browser,
        )
        assert token.startswith("1//")  # a refresh token of its own, as Google issues
        write_env(
            tmp_path / ".env",
            {
                "YT_CLIENT_ID": "ytlake-demo-client",
                "YT_CLIENT_SECRET": "ytlake-demo-secret",
                "YT_REFRESH_TOKEN": token,
            },
        )
        for var in ("YT_CLIENT_ID", "YT_CLIENT_SECRET", "YT_REFRESH_TOKEN"):
            monkeypatch.delenv(var, raising=False)
        result = run_local(
            RunOptions(
                source="auto",
                api_root=emu.base_url,
                lakehouse=tmp_path / "yt.duckdb",
                today=TODAY,
                start_date=TODAY.replace(day=1),
            )
        )
        assert result.source == "google"  # auto: the .env now holds a refresh token
        assert result.run_status == "SUCCEEDED"
        # dbt loads the working folder's .env into os.environ; the run keeps it out
        assert not {k for k in os.environ if k.startswith("YT_")}
    assert os.environ.get("OAUTHLIB_INSECURE_TRANSPORT") == "1"  # only for the http emulator


def test_a_wrong_pkce_verifier_is_refused(tmp_path):
    from ytlake.emulator.service import Emulator
    from ytlake.emulator.world import World

    emulator = Emulator(World(tiny_world_config()))
    status, _, headers = emulator.handle(
        "GET",
        "/o/oauth2/auth",
        {
            "client_id": ["ytlake-demo-client"],
            "response_type": ["code"],
            "redirect_uri": ["http://localhost:1/"],
            "code_challenge": ["E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"],
            "code_challenge_method": ["S256"],
            "state": ["s"],
        },
        {},
    )
    assert status == 302
    code = httpx.URL(headers["Location"]).params["code"]
    form = {
        "grant_type": ["authorization_code"],
        "code": [code],
        "redirect_uri": ["http://localhost:1/"],
        "client_id": ["ytlake-demo-client"],
        "client_secret": ["ytlake-demo-secret"],
        "code_verifier": ["wrong"],
    }
    status, body, _ = emulator.handle("POST", "/token", {}, {}, form)
    assert (status, body["error"]) == (400, "invalid_grant")


def _consent(emu, browser, monetary=False):
    return consent(
        "ytlake-demo-client",
        "ytlake-demo-secret",
        auth_uri=f"{emu.base_url}/o/oauth2/auth",
        token_uri=f"{emu.base_url}/token",
        browser=browser,
        monetary=monetary,
    )


def test_every_consent_returns_a_refresh_token(browser):
    """Google returns a refresh token on a first consent only, unless asked with
    prompt=consent; `ytlake auth` asks so, and a second run still gets one."""
    with running_emulator(tiny_world_config()) as emu:
        first, second = _consent(emu, browser), _consent(emu, browser)
    assert first.startswith("1//") and second.startswith("1//") and first != second


def test_a_scope_left_unticked_is_named(browser):
    config = EmulatorConfig(denied_scopes=frozenset({ANALYTICS_READONLY}))
    with running_emulator(tiny_world_config(), config) as emu, pytest.raises(ConsentError) as err:
        _consent(emu, browser)
    assert "yt-analytics.readonly" in str(err.value) and "ytlake auth" in str(err.value)
    assert "\n" not in str(err.value)


def test_monetary_consent_grants_revenue_and_the_pipeline_learns_it_from_the_token(browser):
    """`ytlake auth --monetary` asks for yt-analytics-monetary.readonly; the token it returns
    carries it, and OAuthSession learns the granted scopes from the token endpoint (it asks for
    no scope on refresh). Without --monetary the token has no revenue scope."""
    from ytlake.youtube.endpoints import MONETARY_SCOPE, SCOPES
    from ytlake.youtube.oauth import ClientCredentials, OAuthSession

    with running_emulator(tiny_world_config()) as emu:
        granted = {}
        for monetary in (True, False):
            token = _consent(emu, browser, monetary=monetary)
            session = OAuthSession(
                ClientCredentials("ytlake-demo-client", "ytlake-demo-secret", token), f"{emu.base_url}/token"
            )
            try:
                granted[monetary] = session.granted_scopes()
            finally:
                session.close()
    assert granted[True] == {*SCOPES, MONETARY_SCOPE}
    assert granted[False] == set(SCOPES)


def test_a_token_with_write_access_is_used_read_only():
    """A refresh token another tool got with write access (`youtube`): the pipeline learns its
    scopes, then refreshes asking only the read-only ones, so no access token it holds can
    write."""
    from ytlake.youtube.endpoints import SCOPES
    from ytlake.youtube.oauth import ClientCredentials, OAuthSession

    write = "https://www.googleapis.com/auth/youtube"
    with running_emulator(tiny_world_config()) as emu:
        token = consent_via_handle(emu.emulator, " ".join([write, *SCOPES]))["refresh_token"]
        session = OAuthSession(
            ClientCredentials("ytlake-demo-client", "ytlake-demo-secret", token), f"{emu.base_url}/token"
        )
        try:
            assert session.granted_scopes() == set(SCOPES)
            access = session.access_token()
        finally:
            session.close()
        assert emu.emulator.oauth.tokens[access].scopes == set(SCOPES)


def test_a_revenue_box_left_unticked_is_named(browser):
    config = EmulatorConfig(denied_scopes=frozenset({MONETARY_READONLY}))
    with running_emulator(tiny_world_config(), config) as emu:
        with pytest.raises(ConsentError) as err:
            _consent(emu, browser, monetary=True)
        assert _consent(emu, browser).startswith("1//")  # without revenue, the same consent is fine
    assert "yt-analytics-monetary.readonly" in str(err.value) and "ytlake auth --monetary" in str(err.value)
    assert "\n" not in str(err.value)


def test_the_emulator_returns_a_refresh_token_on_first_consent_only_unless_prompted():
    emulator = Emulator(World(tiny_world_config()))
    scope = "https://www.googleapis.com/auth/youtube.readonly"
    assert "refresh_token" in consent_via_handle(emulator, scope, prompt=None)
    assert "refresh_token" not in consent_via_handle(emulator, scope, prompt=None)  # consented before
    assert "refresh_token" in consent_via_handle(emulator, scope, prompt="consent")
