"""Lakeflow query SQL (Databricks) -> the local engine's SQL.

- Dataset names read bare (``silver_videos``) are placed in the pipeline's target schema.
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


def query_sql(dataset: Dataset, engine: str, datasets: set[str], schema: str) -> str:
    """The dataset's query for ``engine`` (``duckdb`` or ``spark``)."""
    tree = dataset.query_tree
    _qualify_datasets(tree, datasets, schema)
    if engine == "spark":
        # Open-source Spark 4 runs the Databricks SQL the datasets use (QUALIFY included);
        # SQLGlot's Spark dialect would rewrite QUALIFY into subqueries, so keep Databricks'.
        return tree.sql("databricks")
    rewrite_from_json(tree)
    return tree.sql("duckdb", unsupported_level=ErrorLevel.RAISE)


def condition_sql(condition: str, engine: str) -> str:
    tree = exp.condition(condition, dialect="databricks")
    return tree.sql("databricks" if engine == "spark" else "duckdb")
