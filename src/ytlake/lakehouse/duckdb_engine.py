"""The local engine: one DuckDB file; Databricks SQL translated with SQLGlot."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from ytlake.lakehouse.base import Engine
from ytlake.lakehouse.identifiers import validate_identifier, validate_table_name
from ytlake.lakehouse.translate import to_duckdb

log = logging.getLogger(__name__)

DEFAULT_LAKEHOUSE = Path(".lakehouse") / "youtube_analytics.duckdb"


class LakehouseError(RuntimeError):
    """The lakehouse cannot be opened or used; the message says why and what to do."""


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


def _connect_waiting_for_readers(duckdb, path: Path, read_only: bool, wait_s: float):
    """Open the file; while another process holds it (a dashboard reading a moment), retry
    for up to ``wait_s`` seconds before giving up with DuckDB's lock error."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as err:
            if "lock" not in str(err).lower() or time.monotonic() >= deadline:
                raise
            time.sleep(0.1)


def _can_create_in(folder: Path) -> bool:
    """Whether a file can really be created in ``folder`` (root passes os.access on /proc)."""
    try:
        with tempfile.TemporaryDirectory(dir=folder, prefix=".ytlake-probe-"):
            return True
    except OSError:
        return False


class DuckDBEngine(Engine):
    """Runs Databricks SQL on a DuckDB file (the catalog maps to the file's database)."""

    name = "duckdb"

    def __init__(
        self,
        path: str | Path = DEFAULT_LAKEHOUSE,
        catalog: str = "youtube_analytics",
        read_only: bool = False,
        lock_wait_s: float = 10.0,
    ) -> None:
        super().__init__(catalog)
        import duckdb

        self.path = check_lakehouse_path(Path(path))
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            try:
                self.con = _connect_waiting_for_readers(duckdb, self.path, read_only, lock_wait_s)
            except duckdb.ConnectionException as err:
                # This process already has the file open read-write (DuckDB shares one instance
                # per file and process): share it rather than fail.
                if not (read_only and "different configuration" in str(err)):
                    raise
                self.con = duckdb.connect(str(self.path))
        except duckdb.Error as err:
            text = str(err)
            if "not a valid DuckDB database file" in text or "Could not read enough bytes" in text:
                raise LakehouseError(
                    f"{self.path} is not a DuckDB lakehouse; point --lakehouse at a DuckDB file or a new path"
                ) from None
            if "lock" in text.lower():
                pid = re.search(r"PID (\d+)", text)
                holder = f"PID {pid.group(1)}" if pid else "another process"
                raise LakehouseError(
                    f"lakehouse {self.path} is in use by another writer ({holder}); "
                    "wait for it to finish or use another --lakehouse"
                ) from None
            raise LakehouseError(f"cannot open lakehouse {self.path}: {text.splitlines()[0]}") from None
        self.con.execute("SET enable_progress_bar = false")
        self.con.execute("SET TimeZone = 'UTC'")

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
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        else:
            self.con.execute("COMMIT")

    def close(self) -> None:
        con = getattr(self, "con", None)
        if con is not None:
            con.close()
            self.con = None
