"""Read the Bronze DDL (``lakeflow/bootstrap_unity_catalog.sql``) for any engine."""

from __future__ import annotations

from pathlib import Path

import sqlglot
from sqlglot import exp

from ytlake import paths
from ytlake.lakehouse.identifiers import validate_identifier

CATALOG_PLACEHOLDER = "${catalog}"


def bootstrap_statements(catalog: str, path: Path | None = None) -> list[str]:
    """The bootstrap SQL's statements (Databricks SQL) with the catalog filled in."""
    validate_identifier(catalog, "catalog")
    text = (path or paths.bootstrap_sql_path()).read_text(encoding="utf-8")
    text = text.replace(CATALOG_PLACEHOLDER, catalog)
    statements = []
    for expression in sqlglot.parse(text, read="databricks"):
        if expression is None:
            continue
        statements.append(expression.sql("databricks", comments=False))
    return statements


def bronze_table_columns(path: Path | None = None) -> dict[str, list[tuple[str, str, bool]]]:
    """``{table: [(column, type, not_null), ...]}`` for every Bronze table in the DDL."""
    result: dict[str, list[tuple[str, str, bool]]] = {}
    for statement in bootstrap_statements("c", path):
        tree = sqlglot.parse_one(statement, read="databricks")
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
