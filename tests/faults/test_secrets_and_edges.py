"""Secrets never leak; bad input at every edge is one line, exit != 0, nothing written."""

from __future__ import annotations

import inspect

import pytest

from ytlake.cli import dashboard, emulator_serve, main
from ytlake.emulator.server import running_emulator
from ytlake.runlocal import RunOptions, run_local

from .helpers import TODAY, world

pytestmark = pytest.mark.slow

SECRETS = ("ytlake-demo-secret", "ytlake-demo-refresh-token")


def test_a_full_job_leaks_no_credential_anywhere(tmp_path, monkeypatch):
    monkeypatch.setenv("YT_CLIENT_ID", "ytlake-demo-client")
    monkeypatch.setenv("YT_CLIENT_SECRET", "ytlake-demo-secret")
    monkeypatch.setenv("YT_REFRESH_TOKEN", "ytlake-demo-refresh-token")
    lake = tmp_path / "yt.duckdb"
    with running_emulator(world(TODAY)) as emu:
        result = run_local(RunOptions(source="google", api_root=emu.base_url, lakehouse=lake, today=TODAY))
        issued = list(emu.emulator.oauth.tokens)  # every access token the run was given
    assert result.run_status == "SUCCEEDED" and issued
    needles = [*SECRETS, *issued]
    texts = [
        p.read_text(errors="replace")
        for p in tmp_path.rglob("*")
        if p.is_file() and p.suffix in (".log", ".json", ".txt", ".sql", ".yml")
    ]
    texts += [r.error or "" for r in result.run.results.values()]
    import duckdb

    con = duckdb.connect(str(lake))
    for (table,) in con.sql(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'bronze'"
    ).fetchall():
        texts += [str(row) for row in con.sql(f"SELECT * FROM bronze.{table}").fetchall()]
    con.close()
    for text in texts:
        for needle in needles:
            assert needle not in text


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["run", "--source", "google"], {}, "missing YT_CLIENT_ID, YT_CLIENT_SECRET, YT_REFRESH_TOKEN"),
        (["run", "--api-root", "ftp://x"], {}, "is not an http(s) URL"),
        (["run", "--catalog", "x.y"], {}, "letters, digits and underscores"),
        (["run", "--today", "2026-03-10", "--start-date", "2026-03-11"], {}, "is in the future"),
        (["run", "--demo-videos", "-3"], {}, "--demo-videos must be >= 0"),
        (["run", "--engine", "sqlite"], {}, "sqlite"),
    ],
)
def test_bad_settings_are_one_line_exit_2_and_nothing_written(
    tmp_path, monkeypatch, capsys, argv, env, message
):
    monkeypatch.chdir(tmp_path)
    for var in ("YT_CLIENT_ID", "YT_CLIENT_SECRET", "YT_REFRESH_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    assert list(tmp_path.iterdir()) == []


def test_a_lakehouse_that_is_not_duckdb_is_refused_before_writing(tmp_path, capsys):
    notes = tmp_path / "notes.duckdb"
    notes.write_text("my notes, not a database\n" * 50)
    before = notes.read_bytes()
    assert main(["run", "--source", "demo", "--lakehouse", str(notes)]) == 2
    assert "is not a DuckDB lakehouse" in capsys.readouterr().err
    assert notes.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["notes.duckdb"]


def test_the_emulator_and_the_dashboard_bind_loopback_by_default():
    assert inspect.signature(emulator_serve).parameters["host"].default == "127.0.0.1"
    assert inspect.signature(dashboard).parameters["host"].default == "127.0.0.1"
    from ytlake.emulator.server import running_emulator as r

    assert inspect.signature(r).parameters["host"].default == "127.0.0.1"
