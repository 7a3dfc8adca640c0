"""A lakehouse you can trust: one identity, honest refusals and exit codes, closed runs, no
credentials kept, any file name (whole runs against the emulator, through the CLI)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import threading
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from ytlake.cli import main
from ytlake.emulator.server import running_emulator
from ytlake.emulator.service import EmulatorConfig
from ytlake.interrupts import Interrupted, handling_signals, shielded
from ytlake.lakehouse import DuckDBEngine
from ytlake.runlocal import RunOptions
from ytlake.settings import redact_url
from ytlake.tasks.landing import Landing
from ytlake.tasks.run_state import RunInfo

from ..conftest import TODAY, tiny_world_config

pytestmark = pytest.mark.slow
RAW = ("channels_raw", "videos_raw", "analytics_video_daily_raw", "analytics_video_country_daily_raw")


def _sql(path: Path, query: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.sql(query).fetchall()
    finally:
        con.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cli(*args: str) -> int:
    return main(["run", "--today", TODAY.isoformat(), *args])


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    """One demo run of a small world."""
    path = tmp_path_factory.mktemp("trust") / "yt.duckdb"
    assert (
        _cli("--source", "demo", "--lakehouse", str(path), "--demo-videos", "5", "--demo-history-days", "30")
        == 0
    )
    return path


def test_another_demo_world_is_refused_before_anything_is_written(lake, capsys):
    before = _digest(lake)
    code = _cli(
        "--source", "demo", "--lakehouse", str(lake), "--demo-videos", "6", "--demo-history-days", "30"
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "another --lakehouse" in err and "videos=5" in err and "videos=6" in err
    assert _digest(lake) == before


def test_a_window_that_starts_after_its_end_is_refused_before_anything_is_written(lake, capsys):
    before = _digest(lake)
    code = _cli("--source", "demo", "--lakehouse", str(lake), "--start-date", TODAY.isoformat())
    assert code == 2 and "after the window's end" in capsys.readouterr().err
    assert _digest(lake) == before


def test_another_channel_is_refused_and_a_run_left_running_is_closed_aborted(tmp_path, capsys):
    """An emulator of another world at the same --api-root kind: its channel is not this
    lakehouse's. The run fails on one line, lands nothing, and closes the RUNNING row a killed
    run left."""
    lake = tmp_path / "yt.duckdb"
    with running_emulator(tiny_world_config(videos=3)) as emu:
        assert _cli("--source", "demo", "--api-root", emu.base_url, "--lakehouse", str(lake)) == 0
    with DuckDBEngine(lake) as engine:
        log = engine.query("SELECT * FROM bronze.run_context_log")
        row = log.to_pylist()[0]
        row.update(run_id="killed-run", run_status="RUNNING", finished_ts_utc=None, summary=None)
        engine.append("bronze.run_context_log", pa.Table.from_pylist([row], schema=log.schema))
    raw_before = {t: _sql(lake, f"SELECT count(*) FROM bronze.{t}")[0][0] for t in RAW}
    capsys.readouterr()
    with running_emulator(tiny_world_config(seed=99, videos=3)) as emu:
        code = _cli("--source", "demo", "--api-root", emu.base_url, "--lakehouse", str(lake))
    out = capsys.readouterr().out
    assert code == 1
    assert "is not this lakehouse's" in out
    assert {t: _sql(lake, f"SELECT count(*) FROM bronze.{t}")[0][0] for t in RAW} == raw_before
    statuses = dict(_sql(lake, "SELECT run_id, run_status FROM bronze.run_context_log"))
    assert statuses["killed-run"] == "ABORTED" and "RUNNING" not in statuses.values()


def test_credentials_in_the_api_root_never_reach_the_run_log():
    options = RunOptions(api_root="http://someone:s3cret@127.0.0.1:8765")
    assert "s3cret" not in json.dumps(options.for_log()) and "***@127.0.0.1" in options.for_log()["api_root"]
    assert (
        redact_url("http://user:pa55@127.0.0.1:8765/x?key=abc&a=1")
        == "http://***@127.0.0.1:8765/x?key=***&a=1"
    )
    assert redact_url("http://127.0.0.1:8765") == "http://127.0.0.1:8765"


def test_a_partial_run_exits_4_and_a_quote_in_the_file_name_works(tmp_path, capsys):
    lake = tmp_path / "yt's lake.duckdb"
    with running_emulator(tiny_world_config(videos=4), EmulatorConfig(data_api_quota=2)) as emu:
        code = _cli("--source", "demo", "--api-root", emu.base_url, "--lakehouse", str(lake))
    assert code == 4, capsys.readouterr()
    assert _sql(lake, "SELECT run_status FROM bronze.run_context_log") == [("PARTIAL",)]
    with running_emulator(tiny_world_config(videos=4)) as emu:
        assert _cli("--source", "demo", "--api-root", emu.base_url, "--lakehouse", str(lake)) == 0
    assert _sql(lake, "SELECT count(*) FROM gold.gold_video_daily_summary")[0][0] > 0


def test_an_interrupt_never_lands_a_batch_twice_or_in_part(tmp_path):
    """SIGINT arrives at any moment of a loop of flushes: each batch is in Bronze whole or
    not at all, and once; the interrupt surfaces after the batch being written."""
    engine = DuckDBEngine(tmp_path / "yt.duckdb")
    engine.bootstrap()
    run = RunInfo("r1", date(2026, 3, 1), date(2026, 3, 1), "emulator")
    landing = Landing(engine, run)
    landed, attempted = 0, 0
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    with pytest.raises(Interrupted), handling_signals():
        timer.start()
        for batch in range(10_000):
            for i in range(50):
                params = {"ids": "channel==UCx", "filters": f"video==v{batch}", "startDate": str(i)}
                landing.add(
                    "bronze.analytics_video_daily_raw", "v2/reports", params, 200, '{"columnHeaders": []}'
                )
            attempted = batch + 1
            landing.flush()
            landed = batch + 1
    timer.cancel()
    rows = engine.query(
        "SELECT get_json_object(payload, '$.request.params.filters') AS f, count(*) AS n, "
        "count(DISTINCT request_id) AS ids FROM bronze.analytics_video_daily_raw GROUP BY 1"
    ).to_pylist()
    engine.close()
    assert attempted > 1
    assert all(r["n"] == 50 and r["ids"] == 50 for r in rows)  # whole batches, never twice
    assert landed <= len(rows) <= attempted  # the batch under way when the signal came landed whole
    # the shield held the signal back until the write ended
    reached = []
    with handling_signals(), pytest.raises(Interrupted), shielded():
        os.kill(os.getpid(), signal.SIGINT)
        reached.append("the rest of the shielded block")
    assert reached


def test_a_malformed_row_already_in_bronze_blocks_no_later_run(lake):
    """A row a version without the quarantine landed (rows as a string) must not fail a run."""
    with DuckDBEngine(lake) as engine:
        payload = (
            engine.query(
                "SELECT payload FROM bronze.analytics_video_daily_raw ORDER BY ingest_ts_utc LIMIT 1"
            )
            .column("payload")[0]
            .as_py()
        )
        envelope = json.loads(payload)
        envelope["body"]["rows"] = "oops"
        engine.con.execute(
            "INSERT INTO bronze.analytics_video_daily_raw SELECT snapshot_date, ingest_ts_utc, source_system, "
            "'legacy', schema_version, run_id, ? FROM bronze.analytics_video_daily_raw LIMIT 1",
            [json.dumps(envelope)],
        )
    assert (
        _cli("--source", "demo", "--lakehouse", str(lake), "--demo-videos", "5", "--demo-history-days", "30")
        == 0
    )
