"""`ytlake channels add|list|remove` and the credentials file behind them, against the
emulator's three channels (each token its owner's), with the real Data API client."""

from __future__ import annotations

import os
import stat

import pytest

from ytlake import channels
from ytlake.cli import main
from ytlake.emulator.server import running_emulator
from ytlake.emulator.world import demo_refresh_token
from ytlake.settings import SettingsError
from ytlake.tasks import common

from .conftest import tiny_world_config


@pytest.fixture
def emu(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("YT_CLIENT_ID", "YT_CLIENT_SECRET", "YT_REFRESH_TOKEN", channels.CREDENTIALS_ENV):
        monkeypatch.delenv(name, raising=False)
    with running_emulator(tiny_world_config(channels=3, videos=2)) as e:
        yield e


def test_add_identifies_each_channel_by_its_token_and_keeps_tokens_to_the_owner(emu, capsys, monkeypatch):
    for k in (2, 3):
        assert (
            main(["channels", "add", "--refresh-token", demo_refresh_token(k), "--api-root", emu.base_url])
            == 0
        )
    out = capsys.readouterr().out
    path = channels.DEFAULT_CREDENTIALS
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = channels.load()
    assert [c.channel_id for c in stored] == [
        emu.world.channel(2).channel_id,
        emu.world.channel(3).channel_id,
    ]
    assert [c.title for c in stored] == [emu.world.channel(2).title, emu.world.channel(3).title]
    assert demo_refresh_token(2) not in out and demo_refresh_token(2) not in repr(stored)
    # list: ids, titles and where each token is, never a token
    assert main(["channels", "list"]) == 0
    listed = capsys.readouterr().out
    assert emu.world.channel(3).channel_id in listed and demo_refresh_token(3) not in listed
    # a run's channels: the file's, each paired with its stored id (the OAuth client from .env)
    monkeypatch.setenv("YT_CLIENT_ID", "ytlake-demo-client")
    monkeypatch.setenv("YT_CLIENT_SECRET", "ytlake-demo-secret")
    accesses = common.channel_accesses(common.parser("t", "t").parse_args(["--engine", "duckdb"]))
    assert [(a.channel_id, a.credentials.refresh_token) for a in accesses] == [
        (c.channel_id, c.refresh_token) for c in stored
    ]
    # adding a channel again replaces its token; remove forgets it
    assert (
        main(["channels", "add", "--refresh-token", demo_refresh_token(2), "--api-root", emu.base_url]) == 0
    )
    assert "token replaced" in capsys.readouterr().out
    assert len(channels.load()) == 2
    assert main(["channels", "remove", emu.world.channel(2).channel_id]) == 0
    assert [c.channel_id for c in channels.load()] == [emu.world.channel(3).channel_id]


def test_the_single_channel_token_still_works_beside_the_file(emu, monkeypatch):
    assert (
        main(["channels", "add", "--refresh-token", demo_refresh_token(2), "--api-root", emu.base_url]) == 0
    )
    monkeypatch.setenv("YT_CLIENT_ID", "ytlake-demo-client")
    monkeypatch.setenv("YT_CLIENT_SECRET", "ytlake-demo-secret")
    monkeypatch.setenv("YT_REFRESH_TOKEN", demo_refresh_token(1))
    accesses = common.channel_accesses(common.parser("t", "t").parse_args([]))
    assert [a.origin for a in accesses] == ["credentials file", "YT_REFRESH_TOKEN"]
    assert accesses[1].channel_id is None  # learnt from channels.list at run time
    # the same token in both places is one channel
    monkeypatch.setenv("YT_REFRESH_TOKEN", demo_refresh_token(2))
    assert len(common.channel_accesses(common.parser("t", "t").parse_args([]))) == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["channels", "add", "--refresh-token", "revoked-or-made-up"], "the refresh token was refused"),
        (["channels", "remove", "UCnotstoredhere0000000000"], "is not in"),
    ],
)
def test_bad_input_is_one_line_exit_2(emu, argv, message, capsys):
    assert main([*argv, *(["--api-root", emu.base_url] if argv[1] == "add" else [])]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("ytlake: error: ") and message in err
    assert "revoked-or-made-up" not in err


def test_a_credentials_file_others_can_read_is_refused(tmp_path):
    path = tmp_path / "credentials.json"
    channels.add("UCaaaaaaaaaaaaaaaaaaaaaa", "A", "secret-token-a", path)
    os.chmod(path, 0o644)
    with pytest.raises(SettingsError, match="chmod 600"):
        channels.load(path)
    os.chmod(path, 0o600)
    path.write_text("{not json")
    os.chmod(path, 0o600)
    with pytest.raises(SettingsError, match="not a ytlake credentials file") as err:
        channels.load(path)
    assert "secret-token-a" not in str(err.value)
