"""The lakehouse file told apart: not DuckDB, truncated, corrupt, busy (real files, real locks)."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ytlake.lakehouse import DuckDBEngine, LakehouseError
from ytlake.lakehouse.duckdb_engine import _connect_waiting_for_readers
from ytlake.lakehouse.files import (
    BLOCKS_START,
    LakehouseFileError,
    LakehouseInUseError,
    check_lakehouse_file,
    layout_problem,
    lock_path,
    required_size,
)

BLOCK = 262144


# -- real files ------------------------------------------------------------------------
def _make(path: Path, sql: str = "", checkpoint: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    if sql:
        con.execute(sql)
    if checkpoint:
        con.execute("CHECKPOINT")
    con.close()
    return path


def _with_data(path: Path) -> Path:
    """A lakehouse with a few megabytes in it, checkpointed (no WAL)."""
    return _make(
        path,
        "CREATE SCHEMA gold; CREATE TABLE gold.t AS "
        "SELECT range AS a, md5(range::VARCHAR) AS b FROM range(300000)",
    )


def _killed_before_checkpoint(path: Path) -> Path:
    """Written by a process killed before it checkpointed: the rows are in ``<path>.wal``
    (a large one lands its blocks in the file before commit, past the header's count)."""
    code = (
        "import duckdb, os\n"
        f"c = duckdb.connect({str(path)!r})\n"
        "c.execute('CREATE TABLE small AS SELECT range AS a FROM range(100)'); c.execute('CHECKPOINT')\n"
        "c.execute('INSERT INTO small SELECT range FROM range(1000)')\n"
        "c.execute('CREATE TABLE big AS SELECT range AS a, md5(range::VARCHAR) AS b FROM range(300000)')\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    assert Path(f"{path}.wal").stat().st_size > 0
    return path


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()
    }


def _garbage(path: Path, offset: int, n: int) -> None:
    with path.open("r+b") as f:
        f.seek(offset)
        f.write(bytes((i * 37 + 11) % 256 for i in range(n)))


@contextlib.contextmanager
def _holding(path: Path, read_only: bool):
    """Another process holding DuckDB's lock on ``path`` until the block ends (or ``stop()``)."""
    code = (
        "import sys, duckdb\n"
        f"con = duckdb.connect({str(path)!r}, read_only={read_only})\n"
        "print('ready', flush=True)\n"
        "sys.stdin.read()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "ready"

        def stop() -> None:
            if proc.poll() is None:
                proc.stdin.close()
                proc.wait(timeout=60)

        proc.stop = stop  # type: ignore[attr-defined]
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# -- the layout, as measured -----------------------------------------------------------
def test_an_empty_lakehouse_is_three_headers_of_4096_bytes(tmp_path):
    path = _make(tmp_path / "empty.duckdb")
    assert path.stat().st_size == BLOCKS_START == 12288
    with path.open("rb") as f:
        assert f.read(16)[8:12] == b"DUCK"
        assert required_size(f, 12288) == 12288
    check_lakehouse_file(path)


def test_a_checkpointed_file_is_headers_then_whole_blocks_all_needed(tmp_path):
    path = _with_data(tmp_path / "data.duckdb")
    size = path.stat().st_size
    assert size > BLOCKS_START + BLOCK and (size - BLOCKS_START) % BLOCK == 0
    with path.open("rb") as f:
        assert required_size(f, size) == size
    check_lakehouse_file(path)


def test_freed_blocks_cut_off_the_file_still_counted_by_the_header_are_not_truncation(tmp_path):
    path = tmp_path / "shrunk.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE keep AS SELECT 1 AS a; CHECKPOINT")
    con.execute("CREATE TABLE big AS SELECT range AS a, md5(range::VARCHAR) AS b FROM range(300000)")
    con.execute("CHECKPOINT")
    grown = path.stat().st_size
    con.execute("DROP TABLE big; CHECKPOINT")  # the freed last blocks are cut off the file
    con.close()
    with path.open("rb") as f:
        head = f.read(BLOCKS_START)
    counted = max(int.from_bytes(head[o + 32 : o + 40], "little") for o in (4096, 8192))
    assert path.stat().st_size < BLOCKS_START + counted * BLOCK <= grown  # the header counts more
    check_lakehouse_file(path)
    with DuckDBEngine(path) as engine:
        assert engine.query_native("SELECT a FROM keep").to_pylist() == [{"a": 1}]


def test_writes_not_checkpointed_live_in_the_wal_and_pass(tmp_path):
    path = _killed_before_checkpoint(tmp_path / "killed.duckdb")
    before = _digest(tmp_path)
    check_lakehouse_file(path)
    assert _digest(tmp_path) == before  # checking replays nothing into the file
    with DuckDBEngine(path) as engine:
        assert engine.query_native("SELECT count(*) AS n FROM big").to_pylist() == [{"n": 300000}]


# -- truncated -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cut",
    [
        pytest.param(lambda size: 20_000, id="to-20000-bytes"),
        pytest.param(lambda size: size // 2, id="to-half"),
        pytest.param(lambda size: size - BLOCK, id="one-whole-block-short"),
        pytest.param(lambda size: size - 1, id="one-byte-short"),
        pytest.param(lambda size: BLOCKS_START, id="to-the-headers"),
        pytest.param(lambda size: 8000, id="inside-the-headers"),
    ],
)
def test_a_truncated_file_is_refused_and_left_as_it_is(tmp_path, cut):
    path = _with_data(tmp_path / "yt.duckdb")
    os.truncate(path, cut(path.stat().st_size))
    before = _digest(tmp_path)
    with pytest.raises(LakehouseFileError, match="is truncated") as err:
        check_lakehouse_file(path)
    assert err.value.kind == "truncated"
    assert "restore it from a copy or point --lakehouse at a new path" in str(err.value)
    with pytest.raises(LakehouseFileError, match="is truncated"):
        DuckDBEngine(path)
    assert _digest(tmp_path) == before  # nothing written, no WAL created


def test_a_file_cut_inside_blocks_only_the_wal_needs_is_truncated(tmp_path):
    path = _killed_before_checkpoint(tmp_path / "killed.duckdb")
    with path.open("rb") as f:
        header_needs = required_size(f, path.stat().st_size)
    assert header_needs < path.stat().st_size  # the big write lies past the header's blocks
    os.truncate(path, header_needs)
    assert layout_problem(path) is None  # the header alone is satisfied...
    with pytest.raises(LakehouseFileError, match="is truncated"):  # ...the WAL is not
        check_lakehouse_file(path)


# -- not DuckDB, corrupt, a directory -------------------------------------------------------
@pytest.mark.parametrize("content", [b"my notes, not a database\n" * 500, b""], ids=["text", "empty"])
def test_a_file_that_is_not_duckdb_is_refused(tmp_path, content):
    path = tmp_path / "notes.duckdb"
    path.write_bytes(content)
    with pytest.raises(LakehouseFileError, match="is not a DuckDB lakehouse") as err:
        check_lakehouse_file(path)
    assert err.value.kind == "not_duckdb"
    assert path.read_bytes() == content


@pytest.mark.parametrize("where", ["database-header", "last-block"])
def test_a_corrupt_file_is_corrupt_not_busy(tmp_path, where):
    path = _with_data(tmp_path / "yt.duckdb")
    size = path.stat().st_size
    _garbage(path, 4096 + 100 if where == "database-header" else size - BLOCK + 64, 512)
    with pytest.raises(duckdb.Error, match="block"):  # DuckDB's message holds "block"...
        duckdb.connect(str(path), read_only=True)
    before = _digest(tmp_path)
    with pytest.raises(LakehouseFileError, match="is corrupt") as err:  # ...which is no lock
        DuckDBEngine(path)
    assert err.value.kind == "corrupt" and "in use" not in str(err.value)
    assert "nothing was written to it" in str(err.value)
    assert _digest(tmp_path) == before


def test_a_corrupt_wal_is_named(tmp_path):
    path = _killed_before_checkpoint(tmp_path / "killed.duckdb")
    _garbage(Path(f"{path}.wal"), 3000, 500)
    with pytest.raises(LakehouseFileError, match=r"write-ahead log .*killed\.duckdb\.wal cannot be replayed"):
        check_lakehouse_file(path)


def test_a_directory_and_a_missing_file(tmp_path):
    with pytest.raises(LakehouseFileError, match="is a directory") as err:
        check_lakehouse_file(tmp_path)
    assert err.value.kind == "directory"
    check_lakehouse_file(tmp_path / "new.duckdb")  # nothing there yet: a new lakehouse
    assert not (tmp_path / "new.duckdb").exists()
    with pytest.raises(LakehouseFileError, match="there is no lakehouse at") as err:
        DuckDBEngine(tmp_path / "new.duckdb", read_only=True)
    assert err.value.kind == "missing" and not (tmp_path / "new.duckdb").exists()


def test_a_symlink_to_a_truncated_file_is_truncated(tmp_path):
    real = _with_data(tmp_path / "real" / "yt.duckdb")
    os.truncate(real, 20_000)
    link = tmp_path / "link.duckdb"
    link.symlink_to(real)
    with pytest.raises(LakehouseFileError, match="is truncated"):
        check_lakehouse_file(link)


# -- the run lock's key -----------------------------------------------------------------------
def test_the_lock_is_keyed_on_the_real_file(tmp_path):
    real = _make(tmp_path / "data" / "yt.duckdb")
    (tmp_path / "link.duckdb").symlink_to(real)
    (tmp_path / "folder-link").symlink_to(tmp_path / "data")
    expected = (tmp_path / "data" / "yt.duckdb.lock").resolve()
    assert lock_path(real) == expected
    assert lock_path(tmp_path / "link.duckdb") == expected
    assert lock_path(tmp_path / "folder-link" / "yt.duckdb") == expected
    assert lock_path(tmp_path / "data" / ".." / "data" / "yt.duckdb") == expected


def test_the_lock_of_a_file_not_made_yet_resolves_its_folder(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    (tmp_path / "folder-link").symlink_to(tmp_path / "data")
    (tmp_path / "dangling.duckdb").symlink_to(tmp_path / "data" / "later.duckdb")
    expected = (tmp_path / "data").resolve() / "later.duckdb.lock"
    assert lock_path(tmp_path / "folder-link" / "later.duckdb") == expected
    assert lock_path(tmp_path / "dangling.duckdb") == expected
    monkeypatch.chdir(tmp_path / "folder-link")
    assert lock_path(Path("later.duckdb")) == expected


# -- busy ---------------------------------------------------------------------------------------
def test_a_writer_elsewhere_makes_the_file_busy_with_its_pid(tmp_path):
    path = _with_data(tmp_path / "yt.duckdb")
    with _holding(path, read_only=False) as holder:
        with pytest.raises(LakehouseInUseError) as err:
            check_lakehouse_file(path)
        assert err.value.pid == holder.pid and err.value.holder == "writer"
        assert f"is in use by another writer (PID {holder.pid})" in str(err.value)
        with pytest.raises(LakehouseInUseError, match=rf"in use by a writer \(PID {holder.pid}\)"):
            DuckDBEngine(path, read_only=True, lock_wait_s=0.2)


def test_a_reader_elsewhere_does_not_stop_the_check(tmp_path):
    path = _with_data(tmp_path / "yt.duckdb")
    with _holding(path, read_only=True):
        check_lakehouse_file(path)
        with DuckDBEngine(path, read_only=True) as engine:
            assert engine.query_native("SELECT count(*) AS n FROM gold.t").to_pylist() == [{"n": 300000}]


def test_a_writer_refused_by_a_reader_names_the_reader(tmp_path):
    path = _with_data(tmp_path / "yt.duckdb")
    before = _digest(tmp_path)
    with (
        _holding(path, read_only=True) as reader,
        pytest.raises(LakehouseInUseError, match=rf"in use by a reader \(PID {reader.pid}\)") as err,
    ):
        DuckDBEngine(path, reader_wait_s=0.3)
    assert err.value.holder == "reader" and "YTLAKE_LOCK_WAIT_S" in str(err.value)
    assert _digest(tmp_path) == before


# -- the writer waits for readers (an injected clock: no wall-clock time is asserted) -----------
class FakeClock:
    """A clock that moves only when slept on; ``on_sleep`` runs at each sleep."""

    def __init__(self, step: float) -> None:
        self.now = 1000.0
        self.step = step
        self.sleeps = 0
        self.on_sleep = lambda n: None

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        self.now += self.step
        self.on_sleep(self.sleeps)


def _waiting_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("waiting for")]


def test_the_writer_waits_for_a_reader_and_opens_when_it_lets_go(tmp_path, caplog):
    path = _with_data(tmp_path / "yt.duckdb")
    caplog.set_level(logging.INFO, logger="ytlake.lakehouse.duckdb_engine")
    clock = FakeClock(step=30.0)
    with _holding(path, read_only=True) as reader:
        clock.on_sleep = lambda n: reader.stop() if n == 5 else None
        con = _connect_waiting_for_readers(
            duckdb, path, False, 10.0, reader_wait_s=600.0, check=True, clock=clock, sleep=clock.sleep
        )
    try:
        con.execute("CREATE TABLE written_after_the_wait AS SELECT 1 AS a")
    finally:
        con.close()
    assert clock.sleeps == 5  # it waited past the 10 s a writer gets: a reader gets 600
    assert _waiting_lines(caplog) == [f"waiting for PID {reader.pid} (a reader) to release {path}"]


def test_the_writer_gives_up_on_a_reader_after_the_wait(tmp_path, caplog):
    path = _with_data(tmp_path / "yt.duckdb")
    caplog.set_level(logging.INFO, logger="ytlake.lakehouse.duckdb_engine")
    clock = FakeClock(step=100.0)
    with _holding(path, read_only=True) as reader, pytest.raises(LakehouseInUseError) as err:
        _connect_waiting_for_readers(
            duckdb, path, False, 10.0, reader_wait_s=600.0, clock=clock, sleep=clock.sleep
        )
    assert clock.sleeps == 6 and err.value.holder == "reader"
    assert f"in use by a reader (PID {reader.pid}) after waiting 600.0 s" in str(err.value)
    assert len(_waiting_lines(caplog)) == 1


def test_the_reader_wait_comes_from_the_environment(tmp_path, monkeypatch):
    path = _with_data(tmp_path / "yt.duckdb")
    monkeypatch.setenv("YTLAKE_LOCK_WAIT_S", "30")
    clock = FakeClock(step=10.0)
    with _holding(path, read_only=True), pytest.raises(LakehouseInUseError, match=r"after waiting 30\.0 s"):
        _connect_waiting_for_readers(duckdb, path, False, 10.0, clock=clock, sleep=clock.sleep)
    assert clock.sleeps == 3
    monkeypatch.setenv("YTLAKE_LOCK_WAIT_S", "soon")
    with pytest.raises(LakehouseError, match="YTLAKE_LOCK_WAIT_S must be a number"):
        _connect_waiting_for_readers(duckdb, path, False, 10.0, clock=clock, sleep=clock.sleep)


def test_a_foreign_writer_gets_only_the_short_wait(tmp_path):
    path = _with_data(tmp_path / "yt.duckdb")
    clock = FakeClock(step=5.0)
    with (
        _holding(path, read_only=False) as writer,
        pytest.raises(LakehouseInUseError, match=rf"in use by another writer \(PID {writer.pid}\)"),
    ):
        _connect_waiting_for_readers(
            duckdb, path, False, 10.0, reader_wait_s=600.0, check=True, clock=clock, sleep=clock.sleep
        )
    assert clock.sleeps == 2


def test_the_engine_refuses_a_damaged_file_before_opening_it_read_write(tmp_path):
    """What a damaged file looked like before: "block" in the message read as a lock."""
    path = _with_data(tmp_path / "yt.duckdb")
    shutil.copy(path, tmp_path / "copy.duckdb")
    _garbage(path, 4096 + 8, 64)
    with pytest.raises(LakehouseError) as err:
        DuckDBEngine(path, lock_wait_s=0.1, reader_wait_s=0.1)
    assert not isinstance(err.value, LakehouseInUseError)
    assert not Path(f"{path}.wal").exists()
    with DuckDBEngine(tmp_path / "copy.duckdb") as engine:  # the copy it says to restore from opens
        assert engine.table_exists("gold.t")
