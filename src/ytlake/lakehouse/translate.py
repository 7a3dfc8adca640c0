"""Databricks SQL -> local engine SQL, with SQLGlot.

Only what the local engines cannot run is changed, and every change is logged:
``from_json`` takes DuckDB's JSON-structure form of its Spark type;
the catalog (locally the DuckDB file, or Spark's session catalog) is dropped from names,
``CREATE CATALOG`` is skipped, ``USING DELTA`` becomes the native format, and Delta-only
clauses (``TBLPROPERTIES``) are dropped where the engine has no equivalent.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

log = logging.getLogger(__name__)
logging.getLogger("sqlglot").setLevel(logging.ERROR)


@dataclass
class Translation:
    """The statements to run locally for one Databricks statement, and what was changed."""

    statements: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _strip_catalog(tree: exp.Expression, catalog: str) -> None:
    if isinstance(tree, exp.Create) and (tree.kind or "").upper() == "SCHEMA":
        target = tree.this
        if isinstance(target, exp.Table) and target.catalog == catalog:
            target.set("catalog", None)
        return
    for table in tree.find_all(exp.Table):
        if table.catalog == catalog:
            table.set("catalog", None)


def _command_text(tree: exp.Command) -> str:
    rest = tree.expression
    rest_sql = rest.sql() if isinstance(rest, exp.Expression) else str(rest or "")
    return " ".join(f"{tree.this} {rest_sql}".split())


_DUCKDB_SCALARS = {
    exp.DataType.Type.TEXT: "VARCHAR",
    exp.DataType.Type.VARCHAR: "VARCHAR",
    exp.DataType.Type.BIGINT: "BIGINT",
    exp.DataType.Type.INT: "INTEGER",
    exp.DataType.Type.SMALLINT: "SMALLINT",
    exp.DataType.Type.TINYINT: "TINYINT",
    exp.DataType.Type.DOUBLE: "DOUBLE",
    exp.DataType.Type.FLOAT: "FLOAT",
    exp.DataType.Type.BOOLEAN: "BOOLEAN",
    exp.DataType.Type.DATE: "DATE",
    exp.DataType.Type.TIMESTAMP: "TIMESTAMP",
    exp.DataType.Type.TIMESTAMPTZ: "TIMESTAMPTZ",
    exp.DataType.Type.DECIMAL: "DOUBLE",
}


class UnsupportedTypeError(ValueError):
    pass


def spark_type_to_duckdb_json(type_string: str) -> str:
    """``'ARRAY<STRUCT<a: STRING>>'`` -> ``'[{"a":"VARCHAR"}]'`` (DuckDB's from_json form)."""

    def convert(dt: exp.DataType) -> object:
        if dt.this == exp.DataType.Type.ARRAY:
            return [convert(dt.expressions[0])]
        if dt.this == exp.DataType.Type.STRUCT:
            out = {}
            for field in dt.expressions:
                out[field.name] = convert(field.args["kind"])
            return out
        if dt.this == exp.DataType.Type.MAP:
            key, value = (convert(e) for e in dt.expressions)
            if not isinstance(key, str) or not isinstance(value, str):
                raise UnsupportedTypeError(f"MAP of nested types is not supported locally: {type_string}")
            return f"MAP({key}, {value})"
        if dt.this in _DUCKDB_SCALARS:
            return _DUCKDB_SCALARS[dt.this]
        raise UnsupportedTypeError(f"no DuckDB equivalent for {dt.sql('databricks')} in from_json")

    converted = convert(exp.DataType.build(type_string, dialect="databricks"))
    return converted if isinstance(converted, str) else json.dumps(converted, separators=(",", ":"))


def rewrite_from_json(tree: exp.Expression) -> None:
    """``from_json(x, '<Spark type>')`` -> DuckDB's JSON-structure form, in place."""
    for node in list(tree.find_all(exp.FromJson)):
        schema_arg = node.expression
        if isinstance(schema_arg, exp.Literal) and schema_arg.is_string:
            node.set("expression", exp.Literal.string(spark_type_to_duckdb_json(schema_arg.this)))


def parse_databricks(sql: str) -> exp.Expression:
    return sqlglot.parse_one(sql, read="databricks")


@lru_cache(maxsize=256)
def _parsed_static(sql: str) -> exp.Expression:
    return parse_databricks(sql)


def parse_static(sql: str) -> exp.Expression:
    """The project's own SQL text (a Lakeflow dataset's query, a Bronze DDL statement) as a
    SQLGlot tree of its own, to change at will. That text is parsed many times a run (each
    dataset's query for the dependency order, the streams, the translation), so each is
    parsed once per process and copied: a copy costs a fraction of a parse. Statements made
    at run time (with their values) are parsed with ``parse_databricks``, never kept."""
    return _parsed_static(sql).copy()


def to_duckdb(sql: str, catalog: str) -> Translation:
    """Translate one Databricks SQL statement for DuckDB."""
    out = Translation()
    tree = parse_databricks(sql)
    if isinstance(tree, exp.Command):
        text = _command_text(tree)
        upper = text.upper()
        if upper.startswith("CREATE CATALOG"):
            out.notes.append(f"skipped locally (the catalog is the DuckDB file): {text}")
            return out
        if upper.startswith("OPTIMIZE"):
            out.statements.append("CHECKPOINT")
            out.notes.append(f"{text} -> CHECKPOINT (DuckDB compacts on checkpoint)")
            return out
        out.statements.append(text)
        return out
    _strip_catalog(tree, catalog)
    rewrite_from_json(tree)
    comments: list[str] = []
    if isinstance(tree, exp.Create) and (tree.kind or "").upper() == "TABLE":
        comments = _comment_statements(tree)
        props = tree.args.get("properties")
        if props is not None:
            dropped = [
                p.sql("databricks") for p in props.expressions if not isinstance(p, exp.SchemaCommentProperty)
            ]
            if dropped:
                out.notes.append(f"dropped for DuckDB: {', '.join(dropped)}")
    out.statements.append(tree.sql("duckdb", unsupported_level=ErrorLevel.IGNORE))
    out.statements.extend(comments)
    return out


def _comment_statements(tree: exp.Create) -> list[str]:
    """``COMMENT ON`` statements that keep a CREATE TABLE's comments in DuckDB."""
    schema = tree.this
    if not isinstance(schema, exp.Schema):
        return []
    table_sql = schema.this.sql("duckdb")
    statements = []
    props = tree.args.get("properties")
    if props is not None:
        for prop in props.expressions:
            if isinstance(prop, exp.SchemaCommentProperty):
                statements.append(f"COMMENT ON TABLE {table_sql} IS {prop.this.sql('duckdb')}")
    for col in schema.expressions:
        if not isinstance(col, exp.ColumnDef):
            continue
        for constraint in col.constraints:
            if isinstance(constraint.kind, exp.CommentColumnConstraint):
                text = constraint.kind.this.sql("duckdb")
                statements.append(f"COMMENT ON COLUMN {table_sql}.{col.name} IS {text}")
    return statements


def to_local_spark(sql: str, catalog: str) -> Translation:
    """Translate one Databricks SQL statement for a local (open-source) SparkSession."""
    out = Translation()
    tree = parse_databricks(sql)
    if isinstance(tree, exp.Command):
        text = _command_text(tree)
        if text.upper().startswith("CREATE CATALOG"):
            out.notes.append(f"skipped locally (Spark's session catalog is used): {text}")
            return out
        if text.upper().startswith("OPTIMIZE"):
            out.notes.append(f"skipped locally (no Delta in local Spark): {text}")
            return out
        out.statements.append(text)
        return out
    _strip_catalog(tree, catalog)
    if isinstance(tree, exp.Create):
        props = tree.args.get("properties")
        if props is not None:
            for prop in props.expressions:
                if isinstance(prop, exp.FileFormatProperty) and prop.name.upper() == "DELTA":
                    prop.set("this", exp.Var(this="PARQUET"))
                    out.notes.append("USING DELTA -> USING PARQUET (no Delta in local Spark)")
    out.statements.append(tree.sql("spark"))
    return out
