"""Read the Bronze DDL (``lakeflow/bootstrap_unity_catalog.sql``) for any engine."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import sqlglot
from sqlglot import exp

from ytlake import paths
from ytlake.lakehouse.identifiers import validate_identifier
from ytlake.lakehouse.translate import parse_static

CATALOG_PLACEHOLDER = "${catalog}"


def bootstrap_statements(catalog: str, path: Path | None = None) -> list[str]:
    """The bootstrap SQL's statements (Databricks SQL) with the catalog filled in."""
    validate_identifier(catalog, "catalog")
    text = (path or paths.bootstrap_sql_path()).read_text(encoding="utf-8")
    return list(_statements(text.replace(CATALOG_PLACEHOLDER, catalog)))


@lru_cache(maxsize=8)
def _statements(text: str) -> tuple[str, ...]:
    """The statements of a SQL script, parsed once per process (every task reads the DDL)."""
    return tuple(e.sql("databricks", comments=False) for e in sqlglot.parse(text, read="databricks") if e)


def bronze_table_columns(path: Path | None = None) -> dict[str, list[tuple[str, str, bool]]]:
    """``{table: [(column, type, not_null), ...]}`` for every Bronze table in the DDL."""
    result: dict[str, list[tuple[str, str, bool]]] = {}
    for statement in bootstrap_statements("c", path):
        tree = parse_static(statement)
        if not isinstance(tree, exp.Create) or tree.kind != "TABLE":
            continue
        schema = tree.this
        table = schema.this
        if table.db != "bronze":
            continue
        cols = []
        for col in schema.expressions:
            if not isinstance(col, exp.ColumnDef):
                continue
            not_null = any(
                isinstance(c.kind, exp.NotNullColumnConstraint) and not c.kind.args.get("allow_null")
                for c in col.constraints
            )
            cols.append((col.name, col.kind.sql("databricks"), not_null))
        result[table.name] = cols
    return result
