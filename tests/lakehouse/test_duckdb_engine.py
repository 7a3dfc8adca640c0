import subprocess
import sys
from datetime import date

import duckdb
import pytest

from ytlake.lakehouse import DuckDBEngine, LakehouseError
from ytlake.lakehouse.bronze import RAW_TABLES, BronzeBatch
from ytlake.lakehouse.translate import to_duckdb


def _batch(run_id: str, n: int = 2) -> BronzeBatch:
    batch = BronzeBatch("bronze.channels_raw", run_id, date(2026, 3, 1), "emulator")
    for i in range(n):
        batch.add("youtube/v3/channels", {"mine": "true"}, 200, f'{{"n": {i}}}')
    return batch


def test_bootstrap_creates_every_bronze_table_and_is_idempotent(lakehouse):
    with DuckDBEngine(lakehouse) as engine:
        engine.bootstrap()
        engine.bootstrap()
        for table in (*RAW_TABLES, "run_context_log"):
            assert engine.table_exists(f"bronze.{table}")
        for schema in ("silver", "silver_physical", "gold"):
            assert (
                engine.scalar(
                    f"SELECT count(*) FROM information_schema.schemata WHERE schema_name = '{schema}'"
                )
                == 1
            )


def test_bronze_columns_are_not_null_and_keep_their_comments(lakehouse):
    with DuckDBEngine(lakehouse) as engine:
        engine.bootstrap()
        cols = engine.query_native(
            "SELECT column_name, is_nullable, data_type FROM information_schema.columns "
            "WHERE table_schema = 'bronze' AND table_name = 'videos_raw' ORDER BY ordinal_position"
        ).to_pylist()
        assert {c["is_nullable"] for c in cols} == {"NO"}
        comment = engine.query_native(
            "SELECT comment FROM duckdb_tables() WHERE table_name = 'videos_raw'"
        ).to_pylist()[0]["comment"]
        assert "videos.list" in comment


def test_append_query_delete_roundtrip(lakehouse):
    with DuckDBEngine(lakehouse) as engine:
        engine.bootstrap()
        assert engine.append("bronze.channels_raw", _batch("a").to_arrow()) == 2
        assert engine.append("bronze.channels_raw", _batch("b", 3).to_arrow()) == 3
        assert engine.count("bronze.channels_raw") == 5
        # Databricks SQL with the catalog, translated for DuckDB
        got = engine.query(
            "SELECT run_id, count(*) AS n FROM youtube_analytics.bronze.channels_raw GROUP BY run_id ORDER BY run_id"
        ).to_pylist()
        assert got == [{"run_id": "a", "n": 2}, {"run_id": "b", "n": 3}]
        assert engine.delete("bronze.channels_raw", "run_id = 'a'") == 2
        assert engine.count("bronze.channels_raw") == 3


def test_counts_of_many_tables_in_one_query_equal_each_tables_count(lakehouse):
    with DuckDBEngine(lakehouse) as engine:
        engine.bootstrap()
        engine.append("bronze.channels_raw", _batch("r1", 3).to_arrow())
        engine.append("bronze.channels_raw", _batch("r2", 2).to_arrow())
        wanted = {
            "bronze.channels_raw": "run_id = 'r2'",
            "bronze.videos_raw": None,
            "bronze.run_context_log": None,
        }
        assert engine.counts({**wanted, "bronze.channels_raw": None}) == {
            "bronze.channels_raw": 5,
            "bronze.videos_raw": 0,
            "bronze.run_context_log": 0,
        }
        assert (
            engine.counts(wanted)["bronze.channels_raw"]
            == 2
            == engine.count("bronze.channels_raw", "run_id = 'r2'")
        )
        assert engine.counts({}) == {}


def test_nothing_persists_when_a_file_is_reopened_after_close(lakehouse):
    with DuckDBEngine(lakehouse) as engine:
        engine.bootstrap()
        engine.append("bronze.channels_raw", _batch("a").to_arrow())
    with DuckDBEngine(lakehouse) as engine:
        assert engine.count("bronze.channels_raw") == 2


def test_translation_skips_create_catalog_and_maps_optimize():
    assert to_duckdb("CREATE CATALOG IF NOT EXISTS youtube_analytics", "youtube_analytics").statements == []
    assert to_duckdb("OPTIMIZE youtube_analytics.silver_physical.x", "youtube_analytics").statements == [
        "CHECKPOINT"
    ]


def test_translation_drops_only_our_catalog():
    [sql] = to_duckdb("SELECT * FROM cat.bronze.t JOIN other.bronze.u USING (id)", "cat").statements
    assert "FROM bronze.t" in sql and "other.bronze.u" in sql


def test_unwritable_folder_is_refused_before_writing(tmp_path):
    locked = tmp_path / "ro"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        probe = locked / "x"
        try:
            probe.touch()
            can_write = True
            probe.unlink()
        except OSError:
            can_write = False
        if can_write:
            pytest.skip("running as a user who can write a read-only folder; /proc is tested instead")
        with pytest.raises(LakehouseError, match="not writable"):
            DuckDBEngine(locked / "yt.duckdb")
    finally:
        locked.chmod(0o700)


def test_a_system_folder_is_refused():
    with pytest.raises(LakehouseError, match="not writable"):
        DuckDBEngine("/proc/ytlake/yt.duckdb")


def test_a_file_that_is_not_duckdb_is_refused(tmp_path):
    bogus = tmp_path / "notes.duckdb"
    bogus.write_text("these are not the tables you are looking for\n" * 100)
    with pytest.raises(LakehouseError, match="not a DuckDB lakehouse"):
        DuckDBEngine(bogus)
    assert bogus.read_text().startswith("these are not")


def test_a_second_writer_gets_a_clear_lock_message(lakehouse):
    with DuckDBEngine(lakehouse) as engine:
        engine.bootstrap()
        code = (
            "import sys\n"
            "from ytlake.lakehouse import DuckDBEngine, LakehouseError\n"
            "try:\n"
            f"    DuckDBEngine({str(lakehouse)!r}, lock_wait_s=0.5)\n"
            "except LakehouseError as e:\n"
            "    print(e); sys.exit(3)\n"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr
    assert "in use by another writer" in done.stdout


def test_read_only_connection_sees_data(lakehouse):
    with DuckDBEngine(lakehouse) as engine:
        engine.bootstrap()
        engine.append("bronze.channels_raw", _batch("a").to_arrow())
    con = duckdb.connect(str(lakehouse), read_only=True)
    assert con.sql("SELECT count(*) FROM bronze.channels_raw").fetchall() == [(2,)]
    con.close()
