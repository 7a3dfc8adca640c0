"""Storage engines behind one small interface: DuckDB (local) and Spark.

``lakehouse`` knows tables and SQL engines; it knows nothing of Google.
"""

from __future__ import annotations

from pathlib import Path

from ytlake.lakehouse.base import Engine
from ytlake.lakehouse.duckdb_engine import DEFAULT_LAKEHOUSE, DuckDBEngine, LakehouseError

ENGINES = ("duckdb", "spark")

__all__ = ["DEFAULT_LAKEHOUSE", "ENGINES", "DuckDBEngine", "Engine", "LakehouseError", "open_engine"]


def location(engine: str, lakehouse: str | Path) -> Path:
    """Where a local lakehouse's tables are: the DuckDB file itself, or for Spark the
    warehouse folder beside it (``.lakehouse/youtube_analytics.spark``)."""
    return Path(lakehouse) if engine == "duckdb" else Path(lakehouse).with_suffix(".spark")


def open_engine(
    engine: str = "duckdb", lakehouse: str | Path = DEFAULT_LAKEHOUSE, catalog: str = "youtube_analytics"
) -> Engine:
    """Open the named engine. For Spark locally, tables live beside the lakehouse file."""
    if engine == "duckdb":
        return DuckDBEngine(lakehouse, catalog)
    if engine == "spark":
        from ytlake.lakehouse.spark_engine import SparkEngine

        return SparkEngine(catalog, warehouse=location(engine, lakehouse))
    raise ValueError(f"unknown engine {engine!r}: use one of {', '.join(ENGINES)}")
