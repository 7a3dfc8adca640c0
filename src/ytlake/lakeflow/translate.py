"""Lakeflow query SQL (Databricks) -> the local engine's SQL.

- Dataset names read bare (``silver_videos``) are placed in the pipeline's target schema
  (temporary views stay bare: they live in the session, not in a schema).
- ``STREAM(source)`` reads the table given for ``source`` (a streaming table's new rows), or
  the whole source.
- ``from_json(x, '<Spark type>')``: DuckDB wants a JSON structure description instead of a
  Spark type string, so the type is parsed with SQLGlot and rewritten.
- Everything else is SQLGlot's Databricks -> DuckDB (or Spark) translation.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.errors import ErrorLevel

from ytlake.lakeflow.parse import Dataset
from ytlake.lakehouse.translate import rewrite_from_json


def _qualify_datasets(tree: exp.Expression, datasets: set[str], schema: str) -> None:
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        if not table.db and table.name in datasets and table.name not in ctes:
            table.set("db", exp.to_identifier(schema))


def _read_streams(tree: exp.Expression, streams: dict[str, str]) -> exp.Expression:
    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Stream):
            table = node.find(exp.Table)
            name = ".".join(p for p in (table.catalog, table.db, table.name) if p) if table else ""
            alias = node.find(exp.TableAlias)
            read = exp.to_table(streams.get(name, name))
            if alias is not None:
                read.set("alias", alias.copy())
            return read
        return node

    return tree.transform(swap)


def query_sql(
    dataset: Dataset,
    engine: str,
    datasets: set[str],
    schema: str,
    views: frozenset[str] = frozenset(),
    streams: dict[str, str] | None = None,
) -> str:
    """The dataset's query for ``engine`` (``duckdb`` or ``spark``): ``datasets`` are read
    from ``schema`` except the temporary ``views``; ``STREAM(s)`` reads ``streams[s]``, or
    ``s`` itself."""
    tree = _read_streams(dataset.query_tree, streams or {})
    _qualify_datasets(tree, datasets - views, schema)
    if engine == "spark":
        # Open-source Spark 4 runs the Databricks SQL the datasets use (QUALIFY included);
        # SQLGlot's Spark dialect would rewrite QUALIFY into subqueries, so keep Databricks'.
        return tree.sql("databricks")
    rewrite_from_json(tree)
    return tree.sql("duckdb", unsupported_level=ErrorLevel.RAISE)


def condition_sql(condition: str, engine: str) -> str:
    tree = exp.condition(condition, dialect="databricks")
    return tree.sql("databricks" if engine == "spark" else "duckdb")
