"""Lakeflow query SQL (Databricks) -> the local engine's SQL.

- Dataset names read bare (``silver_videos``) are placed in the pipeline's target schema.
- ``from_json(x, '<Spark type>')``: DuckDB wants a JSON structure description instead of a
  Spark type string, so the type is parsed with SQLGlot and rewritten.
- Everything else is SQLGlot's Databricks -> DuckDB (or Spark) translation.
"""

from __future__ import annotations

import json

from sqlglot import exp
from sqlglot.errors import ErrorLevel

from ytlake.lakeflow.parse import Dataset

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


def _qualify_datasets(tree: exp.Expression, datasets: set[str], schema: str) -> None:
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        if not table.db and table.name in datasets and table.name not in ctes:
            table.set("db", exp.to_identifier(schema))


def query_sql(dataset: Dataset, engine: str, datasets: set[str], schema: str) -> str:
    """The dataset's query for ``engine`` (``duckdb`` or ``spark``)."""
    tree = dataset.query_tree
    _qualify_datasets(tree, datasets, schema)
    if engine == "spark":
        # Open-source Spark 4 runs the Databricks SQL the datasets use (QUALIFY included);
        # SQLGlot's Spark dialect would rewrite QUALIFY into subqueries, so keep Databricks'.
        return tree.sql("databricks")
    for node in list(tree.find_all(exp.FromJson)):
        schema_arg = node.expression
        if isinstance(schema_arg, exp.Literal) and schema_arg.is_string:
            node.set("expression", exp.Literal.string(spark_type_to_duckdb_json(schema_arg.this)))
    return tree.sql("duckdb", unsupported_level=ErrorLevel.RAISE)


def condition_sql(condition: str, engine: str) -> str:
    tree = exp.condition(condition, dialect="databricks")
    return tree.sql("databricks" if engine == "spark" else "duckdb")
