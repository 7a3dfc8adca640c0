import socket
import subprocess
import sys
import time

import httpx


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_emulator_serve_prints_its_url_and_credentials_and_answers():
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ytlake",
            "emulator",
            "serve",
            "--port",
            str(port),
            "--videos",
            "5",
            "--history-days",
            "20",
            "--today",
            "2026-03-10",
            "--channels",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                stats = httpx.get(f"http://127.0.0.1:{port}/emulator/stats", timeout=1)
                break
            except httpx.HTTPError:
                assert proc.poll() is None and time.monotonic() < deadline, "the emulator did not start"
                time.sleep(0.2)
        assert stats.status_code == 200
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert f"http://127.0.0.1:{port}" in out
    assert "YT_CLIENT_ID=ytlake-demo-client" in out and "YT_CLIENT_SECRET=ytlake-demo-secret" in out
    assert "YT_REFRESH_TOKEN=ytlake-demo-refresh-token-2" in out
    assert "--world-start 2026-02-18" in out


def test_emulator_serve_rejects_bad_flags_in_one_line():
    done = subprocess.run(
        [sys.executable, "-m", "ytlake", "emulator", "serve", "--fault-rate", "2"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == "ytlake: error: --fault-rate must be in [0, 1) (got 2.0)"


def test_emulator_serve_refuses_an_unknown_quota_shape_or_threshold(capsys):
    from ytlake.cli import main

    assert main(["emulator", "serve", "--quota-error", "outOfCoffee"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "ytlake: error: --quota-error 'outOfCoffee' is unknown; use one of quotaExceeded, "
        "dailyLimitExceeded, rateLimitExceeded"
    )
    assert main(["emulator", "serve", "--exact", "--privacy-threshold", "-1"]) == 2
    assert "--privacy-threshold must be >= 0" in capsys.readouterr().err
