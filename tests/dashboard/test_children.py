"""SIGTERM and Ctrl-C stop the Streamlit a command started (`ytlake docs`' dashboard), never
leaving it running on its port."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import duckdb
import pytest

pytestmark = pytest.mark.slow

STARTS_THE_DASHBOARD = """
import sys, time
from pathlib import Path
from ytlake.docs import running_dashboard
from ytlake.interrupts import handling_signals
with handling_signals(), running_dashboard(Path(sys.argv[1])) as url:
    print(url, flush=True)
    time.sleep(600)
"""


def _streamlit_on(port: int) -> list[int]:
    """The pids of the Streamlit processes serving ``port``."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"streamlit" in b" ".join(argv) and str(port).encode() in argv:
            pids.append(int(proc.name))
    return pids


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_stops_the_dashboard_it_started(signum, tmp_path):
    lakehouse = tmp_path / "yt.duckdb"
    duckdb.connect(str(lakehouse)).close()
    parent = subprocess.Popen(
        [sys.executable, "-c", STARTS_THE_DASHBOARD, str(lakehouse)], stdout=subprocess.PIPE, text=True
    )
    try:
        port = urlparse(parent.stdout.readline().strip()).port
        assert port and _streamlit_on(port), "the dashboard did not start"
        parent.send_signal(signum)
        parent.wait(timeout=60)
        deadline = time.monotonic() + 30
        while _streamlit_on(port) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _streamlit_on(port) == []
    finally:
        parent.kill()
