import pytest

from ytlake.cli import main


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["run"],
        ["emulator"],
        ["emulator", "serve"],
        ["channels"],
        ["channels", "add"],
        ["channels", "list"],
        ["channels", "remove"],
    ],
)
def test_every_command_has_help_with_an_example(command, capsys):
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "Example" in out
    assert main([*command, "-h"]) == 0  # the short form too
    assert capsys.readouterr().out == out


def test_version(capsys):
    from importlib.metadata import version

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"ytlake {version('ytlake')}"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--bogus"], "No such option: --bogus"),
        (["run", "--start-date", "2026-13-01"], "is not a date; use YYYY-MM-DD"),
        (["run", "--today", "yesterday"], "is not a date"),
        (["run", "--engine", "oracle"], "oracle"),
        (
            ["run", "--start-date", "2026-02-02", "--end-date", "2026-02-01", "--today", "2026-03-01"],
            "is after --end-date",
        ),
        (["run", "--end-date", "2026-04-01", "--today", "2026-03-01"], "is in the future"),
        (["run", "--lookback-days", "-1"], "--lookback-days must be >= 0"),
        (["run", "--concurrency", "0"], "--concurrency must be >= 1"),
        (["run", "--catalog", "prod;drop"], "letters, digits and underscores"),
        (["run", "--api-root", "not a url"], "is not an http(s) URL"),
        (["run", "--lakehouse", "/proc/ytlake/yt.duckdb"], "not writable"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("ytlake: error: ")
    assert message in err
    assert list(tmp_path.iterdir()) == []  # no .lakehouse, no log
