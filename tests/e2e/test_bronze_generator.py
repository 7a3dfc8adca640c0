"""The benchmarks' Bronze generator (``benchmarks/bronze_generator.py``: the ingestion tasks
against the emulator in-process, no HTTP) lands what a run over HTTP lands: on the S world
the Bronze payloads are the same and the Silver built from them is the same, row for row."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from ytlake import paths
from ytlake.emulator.server import running_emulator
from ytlake.emulator.service import EmulatorConfig
from ytlake.emulator.world import WorldConfig
from ytlake.lakeflow import discover, run_pipeline
from ytlake.lakehouse import open_engine
from ytlake.lakehouse.bronze import RAW_TABLES
from ytlake.runlocal import RunOptions, run_local
from ytlake.youtube.reports import REPORTS

from ..conftest import UP_TO_SILVER

pytestmark = pytest.mark.slow

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
#: Columns that record when or in which run a row was landed, not what Google said.
LANDING_COLUMNS = {
    "run_id",
    "request_id",
    "ingest_ts_utc",
    "last_asked_ts_utc",
    "valid_from_utc",
    "valid_to_utc",
}


@pytest.fixture(scope="module")
def generator():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bronze_generator
    finally:
        sys.path.remove(str(BENCHMARKS))
    return bronze_generator


REVENUE_TABLES = {r.table for r in REPORTS if r.monetary}


def _differences(con: duckdb.DuckDBPyConnection, table: str) -> tuple[int, int, int]:
    """(rows, rows only over HTTP, rows only generated) of ``table``, landing columns aside."""
    columns = [
        c
        for (c,) in con.sql(
            "SELECT column_name FROM information_schema.columns "
            f"WHERE table_catalog = 'http' AND table_schema || '.' || table_name = '{table}' "
            "ORDER BY ordinal_position"
        ).fetchall()
        if c not in LANDING_COLUMNS
    ]
    cols = ", ".join(f'"{c}"' for c in columns)
    count = con.sql(f"SELECT count(*) FROM http.{table}").fetchall()[0][0]
    only_http = con.sql(
        f"SELECT count(*) FROM (SELECT {cols} FROM http.{table} EXCEPT ALL SELECT {cols} FROM gen.{table})"
    ).fetchall()[0][0]
    only_gen = con.sql(
        f"SELECT count(*) FROM (SELECT {cols} FROM gen.{table} EXCEPT ALL SELECT {cols} FROM http.{table})"
    ).fetchall()[0][0]
    return count, only_http, only_gen


def test_generated_bronze_builds_the_same_silver_as_a_run_over_http(tmp_path, generator):
    videos, history = generator.WORLDS["S"]
    today = generator.TODAY
    start = today - timedelta(days=history)
    world = WorldConfig(seed=42, videos=videos, history_days=history, today=today, start=start)
    over_http = tmp_path / "http" / "yt.duckdb"
    with running_emulator(world, EmulatorConfig.exact(data_api_quota=10**9)) as emu:
        result = run_local(  # up to Silver: what is compared (Gold is dbt's, tested elsewhere)
            RunOptions(
                source="demo", api_root=emu.base_url, lakehouse=over_http, today=today, start_date=start
            ),
            only=UP_TO_SILVER,
        )
    assert result.run_status == "SUCCEEDED", {k: r.error for k, r in result.run.results.items() if r.error}

    generated = tmp_path / "gen" / "yt.duckdb"
    landed = generator.land_bronze(generated, videos, history, today)
    states = {k: r.state for k, r in landed.run.results.items()}
    assert states["run_lakeflow_pipeline"] == states["dbt_run_gold"] == "EXCLUDED"
    assert landed.run_status == "SUCCEEDED"
    with open_engine("duckdb", generated) as engine:
        assert not engine.table_exists("silver.fact_video_daily_metrics")  # Bronze only
        run_pipeline(engine, discover(str(paths.silver_sql_dir() / "**")))

    con = duckdb.connect()
    con.execute(f"ATTACH '{over_http}' AS http (READ_ONLY)")
    con.execute(f"ATTACH '{generated}' AS gen (READ_ONLY)")
    for table in RAW_TABLES:  # the same answers to the same questions
        count, only_http, only_gen = _differences(con, f"bronze.{table}")
        # query mode lands no file; the demo token may not read revenue: nothing asked
        landed = count > 0 or table == "analytics_bulk_reports_raw" or f"bronze.{table}" in REVENUE_TABLES
        assert landed and only_http == only_gen == 0, (table, count, only_http, only_gen)
    silver = [
        t
        for (t,) in con.sql(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_catalog = 'http' AND table_schema = 'silver' ORDER BY 1"
        ).fetchall()
    ]
    assert len(silver) == 31  # the 32 datasets but the temporary view
    for table in silver:
        count, only_http, only_gen = _differences(con, table)
        assert only_http == only_gen == 0, (table, count, only_http, only_gen)
    facts = dict(
        con.sql(
            "SELECT table_name, estimated_size FROM duckdb_tables() "
            "WHERE database_name = 'gen' AND schema_name = 'silver' AND table_name LIKE 'fact_%'"
        ).fetchall()
    )
    assert facts["fact_video_country_metrics"] > 100_000  # a real volume, not an empty match
