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


def _commands() -> list[list[str]]:
    """Every command of the app, walked from its click tree (a new command is tested too)."""
    import typer

    from ytlake.cli import app

    def walk(command, path):
        yield path
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            yield from walk(sub, [*path, name])

    return list(walk(typer.main.get_command(app), []))


@pytest.mark.parametrize("command", _commands(), ids=lambda c: " ".join(c) or "ytlake")
def test_every_command_s_help_is_honest_and_fits_80_columns(command, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert main([*command, "-h"]) == 0
    assert capsys.readouterr().out == out
    assert "Example" in out, "every command's help ends with an example"
    assert "<bool>" not in out and "--no-no-" not in out  # flags as typed
    too_wide = [line for line in out.splitlines() if len(line) > 80]
    assert not too_wide, too_wide
    assert "…" not in out  # no option name or default cut short


def test_the_version_is_the_package_s_from_every_spelling(capsys):
    from importlib.metadata import version

    for argv in (["--version"], ["--version", "run"]):  # eager: before any command
        assert main(argv) == 0
        assert capsys.readouterr().out.strip() == f"ytlake {version('ytlake')}"


@pytest.fixture
def busy_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def _text_file(tmp_path):
    path = tmp_path / "notes.duckdb"
    path.write_text("not a lakehouse\n")
    return str(path)


def _truncated_lakehouse(tmp_path):
    import duckdb

    path = tmp_path / "cut.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE t AS SELECT range AS i, repeat('x', 100) AS s FROM range(200000)")
        con.execute("CHECKPOINT")
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.truncate(size // 3)
    return str(path)


def _utf16_env(tmp_path):
    (tmp_path / ".env").write_text("YT_CLIENT_ID=abc\n", encoding="utf-16")
    return ""


#: Each documented bad input of every command: (argv, a setup returning the path to put in
#: place of "{path}", what the one line says, the documented exit code: README "Exit codes").
BAD_INPUTS = [
    (["runs", "--lakehouse", "{path}"], lambda t: str(t / "none.duckdb"), "no lakehouse at", 2),
    (["runs", "--lakehouse", "{path}"], _text_file, "is not a DuckDB lakehouse", 2),
    (["smoke", "--lakehouse", "{path}"], _text_file, "is not a DuckDB lakehouse", 2),
    (["validate-contract", "--lakehouse", "{path}"], _text_file, "is not a DuckDB lakehouse", 2),
    (["plan", "--lakehouse", "{path}"], _text_file, "is not a DuckDB lakehouse", 2),
    (["run", "--lakehouse", "{path}"], _text_file, "is not a DuckDB lakehouse", 2),
    (["runs", "--lakehouse", "{path}"], _truncated_lakehouse, "is truncated", 3),
    (["smoke", "--lakehouse", "{path}"], _truncated_lakehouse, "is truncated", 3),
    (["dashboard", "--lakehouse", "{path}"], lambda t: str(t / "none.duckdb"), "no lakehouse at", 2),
    (["validate", "--schema", "{path}"], lambda t: str(t / "schema.json"), "does not exist", 2),
    (["emulator", "serve", "--fault-rate", "1.5"], None, "--fault-rate must be in [0, 1)", 2),
    (["emulator", "serve", "--quota-error", "nope"], None, "is unknown; use one of", 2),
    (["channels", "remove", "UCnope"], None, "is not in", 2),
    (["channels", "list"], _utf16_env, ".env is not UTF-8 text", 2),
    (["plan", "--analytics-mode", "sometimes"], None, "sometimes", 2),
    (["smoke", "--today", "soon"], None, "is not a date", 2),
    (["runs", "--limit"], None, "requires an argument", 2),
    (["nonsense"], None, "No such command", 2),
]


@pytest.mark.parametrize(
    ("argv", "setup", "message", "code"),
    [pytest.param(*case, id=f"{' '.join(case[0])}: {case[2]}") for case in BAD_INPUTS],
)
def test_each_documented_bad_input_is_one_line_and_its_exit_code(
    argv, setup, message, code, capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("YTLAKE_CREDENTIALS_FILE", str(tmp_path / "creds" / "credentials.json"))
    path = setup(tmp_path) if setup else ""
    assert main([a.replace("{path}", path) for a in argv]) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("ytlake: error: "), err
    assert message in err


def test_a_busy_port_is_refused_before_ready_is_said(busy_port, capsys, tmp_path):
    lakehouse = tmp_path / "yt.duckdb"
    import duckdb

    duckdb.connect(str(lakehouse)).close()
    for argv in (
        ["dashboard", "--lakehouse", str(lakehouse), "--port", str(busy_port)],
        ["emulator", "serve", "--port", str(busy_port)],
    ):
        assert main(argv) == 2
        captured = capsys.readouterr()
        assert captured.out == ""  # no "ready" line, no URL
        assert captured.err.count("\n") == 1 and f"cannot listen on 127.0.0.1:{busy_port}" in captured.err


def test_docs_without_graphviz_is_one_line(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` on it
    assert main(["docs", "--out", str(tmp_path / "pictures")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Graphviz" in err and "apt-get install graphviz" in err
    assert not (tmp_path / "pictures").exists()


def test_the_readme_documents_every_exit_code_and_every_setting():
    import re

    from ytlake import paths
    from ytlake.cli import EXIT_CLASSES

    readme = (paths.project_dir() / "README.md").read_text()
    codes = readme.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    for code in EXIT_CLASSES:
        assert f"| {code} |" in codes, code
    variables = set()
    for source in (paths.project_dir() / "src").rglob("*.py"):
        variables |= set(re.findall(r"YTLAKE_[A-Z_]+[A-Z]", source.read_text()))
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    missing = sorted(v for v in variables if f"`{v}`" not in table)
    assert not missing, f"not in the README's configuration table: {missing}"
