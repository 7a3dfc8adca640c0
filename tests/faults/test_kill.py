"""`kill -9` of `ytlake run` during ingestion and during the Silver build, then a rerun:
identical Gold, no duplicate rows anywhere, the lakehouse file not corrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ytlake.emulator.server import running_emulator
from ytlake.emulator.service import EmulatorConfig

from .helpers import TODAY, bronze_duplicates, gold, grain_duplicates, run, sql, world

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clean_gold(tmp_path_factory):
    lake = tmp_path_factory.mktemp("clean") / "yt.duckdb"
    with running_emulator(world(TODAY)) as emu:
        assert run(emu.base_url, lake, TODAY).run_status == "SUCCEEDED"
    return gold(lake)


def _run_and_kill(base_url: str, lakehouse: Path, marker: str, delay_s: float) -> None:
    """Start `ytlake run` in its own process; kill -9 it `delay_s` after its log shows `marker`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("YT_")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ytlake",
            "run",
            "--source",
            "demo",
            "--api-root",
            base_url,
            "--lakehouse",
            str(lakehouse),
            "--today",
            TODAY.isoformat(),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            logs = (
                list((lakehouse.parent / "logs").glob("*.log"))
                if (lakehouse.parent / "logs").is_dir()
                else []
            )
            if any(marker in p.read_text(errors="replace") for p in logs):
                time.sleep(delay_s)
                break
            assert proc.poll() is None, "the run ended before the marker"
            time.sleep(0.02)
        else:
            raise AssertionError(f"{marker!r} never appeared")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()


@pytest.mark.parametrize(
    ("moment", "marker", "delay_s"),
    [
        ("ingestion", "--- ingest_analytics_api_to_bronze", 1.0),
        ("silver build", "--- run_lakeflow_pipeline", 0.0),
    ],
)
def test_kill_9_then_rerun_gives_identical_gold(clean_gold, tmp_path, moment, marker, delay_s):
    lake = tmp_path / "yt.duckdb"
    with running_emulator(world(TODAY), EmulatorConfig(latency_ms=20)) as emu:
        _run_and_kill(emu.base_url, lake, marker, delay_s)
        assert sql(lake, "SELECT run_status FROM bronze.run_context_log") == [("RUNNING",)]  # killed mid-run
        result = run(emu.base_url, lake, TODAY)
    assert result.run_status == "SUCCEEDED", {k: r.error for k, r in result.run.results.items() if r.error}
    assert gold(lake) == clean_gold
    assert bronze_duplicates(lake) == 0 and grain_duplicates(lake) == 0
    assert sql(lake, "SELECT count(*) FROM bronze.run_context_log") == [(2,)]
    print(
        f"| kill -9 during {moment}, then rerun | SIGKILL after {marker!r} | 0 | 0 | rerun SUCCEEDED, Gold identical |"
    )
