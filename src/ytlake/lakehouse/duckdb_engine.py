"""The local engine: one DuckDB file; Databricks SQL translated with SQLGlot."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa

from ytlake.lakehouse.base import Engine
from ytlake.lakehouse.files import (
    SAME_PROCESS_MESSAGE,
    LakehouseError,
    LakehouseFileError,
    LakehouseInUseError,
    check_lakehouse_file,
    in_use_error,
    is_lock_error,
    layout_problem,
    lock_wait_s_from_env,
    unreadable_error,
)
from ytlake.lakehouse.identifiers import validate_identifier, validate_table_name
from ytlake.lakehouse.translate import to_duckdb

log = logging.getLogger(__name__)

DEFAULT_LAKEHOUSE = Path(".lakehouse") / "youtube_analytics.duckdb"

__all__ = ["DEFAULT_LAKEHOUSE", "DuckDBEngine", "LakehouseError", "check_lakehouse_path"]


def check_lakehouse_path(path: Path) -> Path:
    """Check, without writing anything, that ``path`` can hold the lakehouse file.

    Its folder must exist and be writable, or be creatable; an existing file must be a file.
    """
    path = Path(path).expanduser()
    if path.exists() and not path.is_file():
        raise LakehouseError(
            f"--lakehouse {path} is a directory; give a file path such as {path}/youtube_analytics.duckdb"
        )
    parent = path.parent.resolve()
    probe = parent
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not _can_create_in(probe):
        raise LakehouseError(
            f"--lakehouse {path}: folder {probe} is not writable; choose a path in a writable folder"
        )
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise LakehouseError(f"--lakehouse {path} is not readable and writable; fix its permissions")
    return path


def _check_readable(path: Path) -> Path:
    """What a reader needs: the file is there (its folder may well be read-only)."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise LakehouseFileError(
            "directory",
            f"--lakehouse {path} is a directory; give a file path such as {path}/youtube_analytics.duckdb",
        )
    if not path.exists():
        raise LakehouseFileError(
            "missing",
            f"there is no lakehouse at {path}; run `ytlake run` to create it or point --lakehouse at it",
        )
    return path


def _connect_waiting_for_readers(
    duckdb,
    path: Path,
    read_only: bool,
    wait_s: float,
    *,
    reader_wait_s: float | None = None,
    check: bool = False,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    poll_s: float = 0.1,
):
    """Open the file, waiting while another process holds DuckDB's lock on it.

    A writer waits up to ``reader_wait_s`` (``YTLAKE_LOCK_WAIT_S``, default 600 s) for a reader
    (a dashboard query, a user's ``read_only`` connection) to let go: readers never fail a run.
    Inside ``ytlake run``, which holds its own run lock, any other writer is a foreign process:
    for it, as for a reader waiting on a writer, the wait is ``wait_s``. One line is logged when
    the wait starts. ``check``: first refuse a damaged file (:func:`check_lakehouse_file`, which
    opens it read-only). Raises :class:`LakehouseInUseError` when the wait is over.
    """
    if reader_wait_s is None:  # a reader never waits on readers: only writers conflict with it
        reader_wait_s = wait_s if read_only else lock_wait_s_from_env()
    start = clock()
    logged = False
    while True:
        try:
            if check:
                check_lakehouse_file(path)
                check = False  # checked once; from here on only the lock is waited for
            return duckdb.connect(str(path), read_only=read_only)
        except LakehouseInUseError as err:
            busy = err
        except duckdb.IOException as err:
            if not is_lock_error(str(err)):
                raise
            busy = in_use_error(path, str(err), writing=not read_only)
        limit = reader_wait_s if busy.holder == "reader" and not read_only else wait_s
        waited = clock() - start
        if waited >= limit:
            raise in_use_error(path, busy.text, writing=not read_only, waited_s=waited) from None
        if not logged:
            who = f"PID {busy.pid}" if busy.pid else "another process"
            log.warning("waiting for %s (a %s) to release %s", who, busy.holder, path)
            logged = True
        sleep(poll_s)


def _can_create_in(folder: Path) -> bool:
    """Whether a file can really be created in ``folder`` (root passes os.access on /proc)."""
    try:
        with tempfile.TemporaryDirectory(dir=folder, prefix=".ytlake-probe-"):
            return True
    except OSError:
        return False


class DuckDBEngine(Engine):
    """Runs Databricks SQL on a DuckDB file (the catalog maps to the file's database).

    Opening read-write refuses a damaged file first (not DuckDB, truncated, corrupt: nothing is
    written to it) and waits for readers (``reader_wait_s``, default ``YTLAKE_LOCK_WAIT_S`` or
    600 s); ``lock_wait_s`` is the wait for a writer. Opening read-only needs only the file.
    """

    name = "duckdb"

    def __init__(
        self,
        path: str | Path = DEFAULT_LAKEHOUSE,
        catalog: str = "youtube_analytics",
        read_only: bool = False,
        lock_wait_s: float = 10.0,
        reader_wait_s: float | None = None,
    ) -> None:
        super().__init__(catalog)
        import duckdb

        self.path = _check_readable(Path(path)) if read_only else check_lakehouse_path(Path(path))
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            try:
                self.con = _connect_waiting_for_readers(
                    duckdb,
                    self.path,
                    read_only,
                    lock_wait_s,
                    reader_wait_s=reader_wait_s,
                    check=not read_only and self.path.exists(),
                )
            except duckdb.ConnectionException as err:
                # This process already has the file open read-write (DuckDB shares one instance
                # per file and process): share it rather than fail.
                if not (read_only and SAME_PROCESS_MESSAGE in str(err)):
                    raise
                self.con = duckdb.connect(str(self.path))
        except duckdb.Error as err:
            text = str(err)
            if is_lock_error(text):  # DuckDB's own words: never the bare word "lock" ("block")
                raise in_use_error(self.path, text, writing=not read_only) from None
            if SAME_PROCESS_MESSAGE in text:
                raise LakehouseError(
                    f"cannot open lakehouse {self.path} read-write: this process has it open read-only; "
                    "close that connection first"
                ) from None
            problem = layout_problem(self.path)
            if problem:
                raise LakehouseFileError(
                    "truncated",
                    f"lakehouse {self.path} is truncated ({problem}); nothing was written to it; "
                    "restore it from a copy or point --lakehouse at a new path",
                ) from None
            raise unreadable_error(self.path, text) from None
        self.con.execute("SET enable_progress_bar = false")
        self.con.execute("SET TimeZone = 'UTC'")
        if not read_only:
            # DuckDB checkpoints whenever its WAL passes this size (16 MB by default), and each
            # checkpoint rewrites the Bronze files table whole (its few, large rows share one row
            # group): put off to the connection's close, a task pays one rewrite, not one per
            # 16 MB it lands (benchmarks/README.md, bulk_landing)
            self.con.execute("SET checkpoint_threshold = '1GB'")

    # -- interface ------------------------------------------------------------------
    def translate(self, sql: str) -> list[str]:
        result = to_duckdb(sql, self.catalog)
        for note in result.notes:
            log.info("duckdb: %s", note)
        return result.statements

    def execute(self, sql: str) -> None:
        for statement in self.translate(sql):
            self.con.execute(statement).fetchall()

    def execute_native(self, sql: str) -> None:
        """Run DuckDB SQL as is (for local-only maintenance statements)."""
        self.con.execute(sql).fetchall()

    def query(self, sql: str) -> pa.Table:
        statements = self.translate(sql)
        for statement in statements[:-1]:
            self.con.execute(statement).fetchall()
        return self.con.sql(statements[-1]).to_arrow_table()

    def query_native(self, sql: str) -> pa.Table:
        return self.con.sql(sql).to_arrow_table()

    def append(self, table: str, rows: pa.Table) -> int:
        validate_table_name(table)
        if rows.num_rows == 0:
            return 0
        view = "_ytlake_append_src"
        self.con.register(view, rows)
        try:
            self.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {view}").fetchall()
        finally:
            self.con.unregister(view)
        return rows.num_rows

    def delete(self, table: str, predicate: str) -> int:
        validate_table_name(table)
        [statement] = self.translate(f"DELETE FROM {table} WHERE {predicate}")
        return int(self.con.execute(statement).fetchall()[0][0])

    def table_exists(self, table: str) -> bool:
        schema, name = validate_table_name(table).split(".")
        found = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [schema, name],
        ).fetchall()
        return bool(found[0][0])

    def rename_table(self, table: str, new_table: str) -> None:
        validate_table_name(table)
        schema, name = validate_table_name(new_table).split(".")
        if schema != table.split(".")[0]:
            raise ValueError(f"cannot move {table} to another schema ({new_table})")
        self.con.execute(f"ALTER TABLE {table} RENAME TO {name}").fetchall()

    def optimize(self, table: str, cluster_by: list[str] | None = None) -> str:
        """Locally: rewrite the table ordered by its clustering columns, then CHECKPOINT."""
        validate_table_name(table)
        if cluster_by:
            cols = ", ".join(validate_identifier(c, "column") for c in cluster_by)
            self.con.execute(
                f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {table} ORDER BY {cols}"
            ).fetchall()
        self.con.execute("CHECKPOINT").fetchall()
        return f"ordered by ({', '.join(cluster_by or [])}) and CHECKPOINT" if cluster_by else "CHECKPOINT"

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction; a block inside another joins the outer one (commits with it)."""
        if getattr(self, "_in_transaction", False):
            yield
            return
        self.con.execute("BEGIN TRANSACTION")
        self._in_transaction = True
        try:
            yield
        except BaseException:
            self._in_transaction = False
            with contextlib.suppress(Exception):  # already rolled back by DuckDB on some errors
                self.con.execute("ROLLBACK")
            raise
        else:
            self._in_transaction = False
            self.con.execute("COMMIT")

    atomic = transaction  # the Engine interface's name for it

    def close(self) -> None:
        con = getattr(self, "con", None)
        if con is not None:
            con.close()
            self.con = None
