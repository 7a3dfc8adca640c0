"""The one small interface every task uses to reach storage."""

from __future__ import annotations

import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from typing import Any

import pyarrow as pa

from ytlake.lakehouse.bootstrap import bootstrap_statements
from ytlake.lakehouse.identifiers import validate_identifier, validate_table_name

log = logging.getLogger(__name__)


class Engine(ABC):
    """Run Databricks SQL, query to Arrow, append Arrow rows, delete by predicate.

    Statements are written once, in Databricks SQL. Table names passed to :meth:`append`,
    :meth:`delete` and :meth:`table_exists` are two-part (``schema.table``); the engine
    places them in its catalog.
    """

    name: str

    def __init__(self, catalog: str) -> None:
        self.catalog = validate_identifier(catalog, "catalog")

    # -- the interface -------------------------------------------------------------
    @abstractmethod
    def execute(self, sql: str) -> None:
        """Run one Databricks SQL statement (translated for this engine)."""

    @abstractmethod
    def query(self, sql: str) -> pa.Table:
        """Run one Databricks SQL query and return its rows as Arrow."""

    @abstractmethod
    def append(self, table: str, rows: pa.Table) -> int:
        """Append ``rows`` (matched by column name) to ``schema.table``; returns the count."""

    @abstractmethod
    def delete(self, table: str, predicate: str) -> int:
        """Delete the rows of ``schema.table`` where ``predicate`` (Databricks SQL) holds."""

    @abstractmethod
    def table_exists(self, table: str) -> bool:
        """Whether ``schema.table`` exists."""

    @abstractmethod
    def optimize(self, table: str, cluster_by: list[str] | None = None) -> str:
        """Optimize a table's physical layout; returns what was done, for the log."""

    def replace_where(self, table: str, predicate: str, rows: pa.Table) -> int:
        """Replace the rows of ``schema.table`` where ``predicate`` holds by ``rows``, in one
        transaction where the engine has one (bookkeeping: a run's row is never lost between a
        delete and an append)."""
        with self.atomic():
            self.delete(table, predicate)
            return self.append(table, rows)

    def rename_table(self, table: str, new_table: str) -> None:
        """Rename ``schema.table`` to ``schema.new_table`` (same schema)."""
        self.execute(f"ALTER TABLE {self.qualify(table)} RENAME TO {self.qualify(new_table)}")

    def replace_table(self, table: str, select_sql: str) -> None:
        """Create or replace ``schema.table`` from a Databricks SQL query."""
        self.execute(f"CREATE OR REPLACE TABLE {self.qualify(table)} AS {select_sql}")

    @contextlib.contextmanager
    def atomic(self) -> Iterator[None]:
        """Statements in the block commit together or not at all where the engine can (DuckDB:
        one transaction). Spark/Delta commits each statement on its own: one table's write is
        atomic, several tables' writes are not."""
        yield

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    # -- helpers built on the interface ---------------------------------------------
    def bootstrap(self, tables_only: bool = False) -> list[str]:
        """Create the catalog's schemas and Bronze tables from the bootstrap SQL (after migrating
        an earlier version's tables in place). ``tables_only``: just the missing tables (on
        Databricks the catalog and schemas are the Unity Catalog setup's, and creating a catalog
        needs a privilege a job need not have). Returns the migration steps taken."""
        from ytlake.lakehouse.migrations import migrate

        steps = migrate(self)
        for statement in bootstrap_statements(self.catalog):
            if tables_only and not statement.upper().startswith("CREATE TABLE"):
                continue
            self.execute(statement)
        return steps

    def scalar(self, sql: str) -> Any:
        """The first column of the first row of a query, or None."""
        table = self.query(sql)
        if table.num_rows == 0:
            return None
        return table.column(0)[0].as_py()

    def count(self, table: str, predicate: str | None = None) -> int:
        validate_table_name(table)
        where = f" WHERE {predicate}" if predicate else ""
        return int(self.scalar(f"SELECT count(*) FROM {self.qualify(table)}{where}") or 0)

    def counts(self, tables: Mapping[str, str | None]) -> dict[str, int]:
        """Rows of each table (where its predicate, if any, holds), in one query: on Spark one
        job rather than one per table."""
        names = list(tables)
        branches = []
        for i, table in enumerate(names):
            validate_table_name(table)
            where = f" WHERE {tables[table]}" if tables[table] else ""
            branches.append(f"SELECT {i} AS i, count(*) AS n FROM {self.qualify(table)}{where}")
        if not branches:
            return {}
        return {names[r["i"]]: int(r["n"]) for r in self.query(" UNION ALL ".join(branches)).to_pylist()}

    def qualify(self, table: str) -> str:
        """``catalog.schema.table`` for a two-part name."""
        validate_table_name(table)
        return f"{self.catalog}.{table}"

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
