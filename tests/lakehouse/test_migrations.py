"""An earlier version's lakehouse is migrated in place: the seed's Bronze names come back and
nothing landed is lost (real DuckDB files, whole runs through the CLI)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ytlake.cli import main
from ytlake.lakehouse import DuckDBEngine
from ytlake.lakehouse.migrations import RENAMED_TABLES, migrate

from ..conftest import TODAY

OLD = {new.split(".")[1]: old.split(".")[1] for old, new in RENAMED_TABLES.items()}


def _run(path: Path) -> int:
    return main(
        [
            "run",
            "--today",
            TODAY.isoformat(),
            "--source",
            "demo",
            "--lakehouse",
            str(path),
            "--demo-videos",
            "4",
            "--demo-history-days",
            "20",
        ]
    )


def _ids(con, table: str) -> set[str]:
    return {r[0] for r in con.sql(f"SELECT request_id FROM bronze.{table}").fetchall()}


def _tables(con) -> set[str]:
    return {
        r[0]
        for r in con.sql(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'bronze'"
        ).fetchall()
    }


@pytest.mark.slow
def test_a_lakehouse_with_the_old_names_is_migrated_by_the_next_run_and_keeps_every_row(tmp_path):
    path = tmp_path / "yt.duckdb"
    assert _run(path) == 0
    con = duckdb.connect(str(path))
    before = {}
    for new, old in OLD.items():
        before[new] = _ids(con, new)
        assert before[new], f"the first run landed nothing in {new}"
        con.execute(f"ALTER TABLE bronze.{new} RENAME TO {old}")  # as the earlier version named them
    con.close()

    assert _run(path) == 0

    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = _tables(con)
        for new, old in OLD.items():
            assert old not in tables and new in tables
            assert before[new] <= _ids(con, new), f"rows of {old} lost"
        # Silver still reads them
        assert con.sql("SELECT count(*) FROM silver.fact_video_country_metrics").fetchall()[0][0] > 0
    finally:
        con.close()


def test_old_rows_are_moved_once_when_the_new_table_exists_too(tmp_path):
    """The Unity Catalog setup creates the new tables empty before the next run migrates; a
    migration cut half way (rows copied, old table not dropped) is finished without doubles."""
    with DuckDBEngine(tmp_path / "yt.duckdb") as engine:
        engine.bootstrap()
        new = "bronze.analytics_video_country_daily_raw"
        old = "bronze.analytics_video_country_raw"
        engine.execute_native(f"CREATE TABLE {old} AS SELECT * FROM {new}")
        engine.execute_native(
            f"INSERT INTO {old} SELECT DATE '2026-01-01', now(), 'emulator', 'r' || i, '1', 'run', '{{}}' "
            f"FROM range(3) t(i)"
        )
        # cut half way: one row already copied
        engine.execute_native(f"INSERT INTO {new} SELECT * FROM {old} WHERE request_id = 'r0'")
        assert migrate(engine) == [f"moved the rows of {old} into {new}"]
        assert not engine.table_exists(old)
        assert sorted(engine.query(f"SELECT request_id FROM {new}").column(0).to_pylist()) == [
            "r0",
            "r1",
            "r2",
        ]
        assert migrate(engine) == []


def test_quarantined_answers_follow_their_table_and_a_refused_rename_says_who_must_act(tmp_path):
    from ytlake.lakehouse.migrations import MigrationError

    path = tmp_path / "yt.duckdb"
    with DuckDBEngine(path) as engine:
        engine.bootstrap()
        engine.execute_native(
            "ALTER TABLE bronze.analytics_video_device_daily_raw RENAME TO analytics_video_device_raw"
        )
        engine.execute_native(
            "INSERT INTO bronze.quarantine VALUES (DATE '2026-01-01', now(), 'emulator', 'q1', '1', 'run', "
            "'{}', 'bronze.analytics_video_device_raw', 'rows is a string')"
        )
    with DuckDBEngine(path, read_only=True) as engine, pytest.raises(MigrationError) as refused:
        migrate(engine)
    message = str(refused.value)
    assert "cannot migrate youtube_analytics.bronze.analytics_video_device_raw" in message
    assert "OWNER TO" in message and "nothing was lost" in message and "\n" not in message
    with DuckDBEngine(path) as engine:
        assert migrate(engine) == [
            "renamed bronze.analytics_video_device_raw to bronze.analytics_video_device_daily_raw"
        ]
        assert engine.query("SELECT target_table FROM bronze.quarantine").column(0).to_pylist() == [
            "bronze.analytics_video_device_daily_raw"
        ]
