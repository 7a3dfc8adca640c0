"""Two writers refused; a reader (the dashboard) never blocks a run."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest

from ytlake.lakehouse import LakehouseError
from ytlake.runlocal import RunOptions, run_local, run_lock

from ..conftest import TODAY

pytestmark = pytest.mark.slow


def _options(lakehouse):
    return RunOptions(
        source="demo",
        lakehouse=lakehouse,
        today=TODAY,
        demo_seed=7,
        demo_videos=6,
        demo_history_days=21,
        start_date=TODAY - timedelta(days=10),
    )


def test_a_second_run_on_the_same_lakehouse_refuses_and_writes_nothing(tmp_path, capsys):
    from ytlake.cli import main

    lakehouse = tmp_path / "yt.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time\nfrom pathlib import Path\nfrom ytlake.runlocal import run_lock\n"
                f"with run_lock(Path({str(lakehouse)!r})):\n    print('locked', flush=True)\n    time.sleep(30)\n"
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(LakehouseError, match=r"another ytlake run \(PID \d+\) is writing"):
            run_local(_options(lakehouse))
        code = main(["run", "--source", "demo", "--lakehouse", str(lakehouse), "--today", str(TODAY)])
        err = capsys.readouterr().err
        assert code == 3 and err.count("\n") == 1 and "another ytlake run" in err
        assert not lakehouse.exists()  # nothing written
    finally:
        holder.kill()
        holder.wait()


def test_a_run_succeeds_while_a_dashboard_reader_keeps_querying(tmp_path):
    lakehouse = tmp_path / "yt.duckdb"
    assert run_local(_options(lakehouse)).run_status == "SUCCEEDED"
    stop = tmp_path / "stop"
    reader = subprocess.Popen(  # reads until the run is over (the stop file), at most 5 minutes
        [
            sys.executable,
            "-c",
            (
                "import time\nfrom pathlib import Path\nfrom ytlake.dashboard import data\n"
                f"r = data.DuckDBReader(Path({str(lakehouse)!r}))\nn = busy = 0\nend = time.time() + 300\n"
                f"stop = Path({str(stop)!r})\n"
                "while not stop.exists() and time.time() < end:\n    try:\n"
                "        data.channel_daily(r, *data.date_bounds(r))\n"
                "        n += 1\n        if n == 1:\n            print('reading', flush=True)\n"
                "    except data.LakehouseBusyError:\n        busy += 1\n"
                "print(n, busy, flush=True)\n"
            ),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout.readline().strip() == "reading"
    try:
        result = run_local(_options(lakehouse))
    finally:
        stop.touch()
    out, err = reader.communicate(timeout=60)
    assert result.run_status == "SUCCEEDED", {k: r.error for k, r in result.run.results.items() if r.error}
    assert reader.returncode == 0, err
    reads, _busy = map(int, out.split())
    assert reads > 10  # the reader kept reading around the run's writes (busy moments: {busy})


def test_run_lock_is_released_after_a_run(tmp_path):
    lakehouse = tmp_path / "x.duckdb"
    with run_lock(lakehouse):
        pass
    with run_lock(lakehouse):  # free again
        pass
