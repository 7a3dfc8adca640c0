"""``--analytics-mode bulk``: the Reporting API's files land in Bronze as received, once each,
resumed after a cut download, on the emulator's clock (jobs first, files ~48 hours later)."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timedelta

import duckdb
import pytest

from ytlake.emulator.server import running_emulator
from ytlake.emulator.service import EmulatorConfig
from ytlake.emulator.world import PACIFIC
from ytlake.plan import plan_next_run
from ytlake.runlocal import RunOptions, run_local
from ytlake.tasks import bulk
from ytlake.youtube import reporting_api

from ..conftest import TODAY, tiny_world_config
from ..emulator.test_reporting import _download, _reporting

INGESTION = ("init_run_context", "ingest_data_api_to_bronze", "ingest_analytics_api_to_bronze")
WORLD = {"start": TODAY - timedelta(days=21)}
TYPES = ("channel_basic_a3", "channel_traffic_source_a3")
_NOON = datetime(2026, 11, 2, 12, 0, tzinfo=PACIFIC).timestamp()


def _serve(state, today, **config):
    return running_emulator(
        tiny_world_config(today=today, **WORLD),
        EmulatorConfig.exact(state_path=state, **config),
        clock=lambda: _NOON,
    )


def _run(emu, lakehouse, today, mode="bulk", only=INGESTION):
    options = RunOptions(
        source="demo", api_root=emu.base_url, lakehouse=lakehouse, today=today, analytics_mode=mode
    )
    return run_local(options, only=only)


def _parts(lakehouse):
    con = duckdb.connect(str(lakehouse))
    try:
        rows = con.sql("SELECT payload FROM bronze.analytics_bulk_reports_raw").fetchall()
    finally:
        con.close()
    return [json.loads(r[0]) for r in rows]


def _files(parts):
    """Report id -> its complete file rebuilt from the parts of its complete attempt."""
    attempts = defaultdict(list)
    for p in parts:
        params = p["request"]["params"]
        attempts[(params["reportId"], params["attempt"])].append(p)
    out = {}
    for (report_id, _), got in attempts.items():
        got.sort(key=lambda p: p["request"]["params"]["part"])
        if got[-1]["request"]["params"].get("final") != "true":
            continue  # an attempt cut short
        assert report_id not in out, "a file landed twice"
        assert [p["request"]["params"]["part"] for p in got] == list(range(len(got)))
        header = got[0]["body"].split("\n", 1)[0]
        lines = [line for p in got for line in p["body"].split("\n")[1:] if line]
        out[report_id] = "\n".join([header, *lines]) + "\n"
    return out


def _listed(api):
    """Every report Google lists (its ``downloadUrl`` included), by the official client ``api``."""
    return [
        r
        for job in api.jobs().list().execute()["jobs"]
        for r in api.jobs().reports().list(jobId=job["id"], pageSize=500).execute().get("reports", [])
    ]


def _google_files(emu):
    """Every listed report's file, as the official client downloads it (Google's sample)."""
    api = _reporting(emu)
    return {r["id"]: _download(api, r["downloadUrl"]).decode() for r in _listed(api)}


def _media_requests(emu) -> int:
    return sum(n for path, n in emu.emulator.stats.requests.items() if path.startswith("/v1/media/"))


@pytest.fixture(autouse=True)
def _smaller(monkeypatch):
    """Two report types and parts of 100 lines: files of several parts, a quick test."""
    monkeypatch.setattr(reporting_api, "LINES_PER_PART", 100)
    monkeypatch.setattr(bulk, "BULK_REPORT_TYPES", TYPES)
    monkeypatch.setattr(reporting_api, "BULK_REPORT_TYPES", TYPES)


def test_bulk_mode_creates_jobs_then_lands_every_file_once_as_received(tmp_path):
    state, lakehouse = tmp_path / "google.json", tmp_path / "yt.duckdb"
    with _serve(state, TODAY) as emu:
        result = _run(emu, lakehouse, TODAY)
        assert result.run_status == "SUCCEEDED"
        jobs = {j.report_type_id for j in emu.emulator.reporting.jobs.values()}
        assert jobs == set(TYPES)
        assert _parts(lakehouse) == []  # Google makes the first files ~48 hours after the job
        assert not emu.emulator.stats.requests.get("/v2/reports")  # bulk asks no v2 question
    later = TODAY + timedelta(days=4)
    with _serve(state, later) as emu:
        assert _run(emu, lakehouse, later).run_status == "SUCCEEDED"
        files = _files(_parts(lakehouse))
        google = _google_files(emu)
        assert files == google  # every listed file, once, byte for byte (as received)
        assert any(text.count("\n") > 101 for text in files.values())  # landed in several parts
        emu.emulator.reset_stats()
        assert _run(emu, lakehouse, later).run_status == "SUCCEEDED"
        assert _media_requests(emu) == 0  # nothing landed is downloaded again
        assert _files(_parts(lakehouse)) == google
    # the plan of the next day, per mode, then that day's run
    nxt = later + timedelta(days=1)
    planned = plan_next_run(lakehouse, "youtube_analytics", nxt, None, None, 7, 2, analytics_mode="bulk")
    assert planned.analytics_requests == {} and planned.reporting_requests["jobs.create"] == 0
    query = plan_next_run(lakehouse, "youtube_analytics", nxt, None, None, 7, 2, analytics_mode="query")
    assert query.reporting_requests == {}
    hybrid = plan_next_run(lakehouse, "youtube_analytics", nxt, None, None, 7, 2)  # the default
    assert hybrid.reporting_requests == planned.reporting_requests
    # hybrid asks v2 only for the days no landed file covers: the history before the files
    assert 0 < sum(hybrid.analytics_requests.values()) < sum(query.analytics_requests.values())
    with _serve(state, nxt) as emu:
        assert _run(emu, lakehouse, nxt).run_status == "SUCCEEDED"
        downloads = _media_requests(emu)
    assert 0 < downloads <= planned.reporting_requests["media.download"]


@pytest.fixture(scope="module")
def jobs_made(tmp_path_factory):
    """A lakehouse whose first bulk run (TODAY) created the jobs, and Google's state then."""
    where = tmp_path_factory.mktemp("jobs")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(reporting_api, "LINES_PER_PART", 100)
        mp.setattr(bulk, "BULK_REPORT_TYPES", TYPES)
        mp.setattr(reporting_api, "BULK_REPORT_TYPES", TYPES)
        with _serve(where / "google.json", TODAY) as emu:
            assert _run(emu, where / "yt.duckdb", TODAY).run_status == "SUCCEEDED"
    return where


def _copy_of(jobs_made, tmp_path, lake_dir=""):
    import shutil

    state, lakehouse = tmp_path / "google.json", tmp_path / lake_dir / "yt.duckdb"
    lakehouse.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(jobs_made / "google.json", state)
    shutil.copy(jobs_made / "yt.duckdb", lakehouse)
    return state, lakehouse


def test_a_download_cut_mid_file_is_landed_again_whole(tmp_path, jobs_made):
    state, lakehouse = _copy_of(jobs_made, tmp_path)
    later = TODAY + timedelta(days=4)
    with _serve(state, later, reset_rate=0.3, seed=11) as emu:
        result = _run(emu, lakehouse, later)
        cut = emu.emulator.stats.faults.get("reset", 0)
    with _serve(state, later) as emu:
        _run(emu, lakehouse, later)  # whatever was left for the next run
        google = _google_files(emu)
    parts = _parts(lakehouse)
    assert cut > 0 and result.run_status in ("SUCCEEDED", "PARTIAL")
    assert _files(parts) == google  # each file complete once, whatever was cut
    finals = {p["request"]["params"]["attempt"] for p in parts if p["request"]["params"].get("final")}
    cut_short = {p["request"]["params"]["attempt"] for p in parts} - finals
    assert cut_short  # some files were cut after parts of them had landed


def test_a_stop_mid_bulk_keeps_every_file_downloaded_before_it_in_fewer_appends_than_files(
    tmp_path, jobs_made, monkeypatch
):
    """SIGINT while files download: the run is recorded ABORTED, every file downloaded before
    the stop is in Bronze, complete, and the files were appended together (one append per
    file would be a Delta commit per file on Databricks)."""
    import signal

    from ytlake.interrupts import Interrupted
    from ytlake.lakehouse.duckdb_engine import DuckDBEngine
    from ytlake.runlocal import RunAborted

    state, lakehouse = _copy_of(jobs_made, tmp_path)
    later = TODAY + timedelta(days=4)
    downloaded: list[str] = []
    appends: list[int] = []
    real_download, real_append = reporting_api.ReportingApi.download, DuckDBEngine.append

    def download(self, url):
        if len(downloaded) == 30:
            raise Interrupted(signal.SIGINT)
        yield from real_download(self, url)
        downloaded.append(url)  # every part of it was handed over

    def append(self, table, rows):
        if table == bulk.TABLE:
            appends.append(rows.num_rows)
        return real_append(self, table, rows)

    monkeypatch.setattr(reporting_api.ReportingApi, "download", download)
    monkeypatch.setattr(DuckDBEngine, "append", append)
    with _serve(state, later) as emu:
        with pytest.raises(RunAborted, match="ABORTED; what landed stays"):  # recorded so
            _run(emu, lakehouse, later)
        google = _google_files(emu)
        by_url = {r["downloadUrl"]: r["id"] for r in _listed(_reporting(emu))}
    landed = _files(_parts(lakehouse))
    assert len(google) > 30 and len(downloaded) == 30
    assert set(landed) == {by_url[u] for u in downloaded}  # each one complete, none lost
    assert all(landed[i] == google[i] for i in landed)
    assert 0 < len(appends) < len(landed)  # appended together
    assert sum(appends) == len(_parts(lakehouse))


def test_a_download_url_elsewhere_is_not_given_the_token():
    from ytlake.youtube.http import GoogleApiError, GoogleHttp

    class NoToken:
        def access_token(self):
            raise AssertionError("a token was asked for a foreign URL")

    http = GoogleHttp(NoToken())
    try:
        api = reporting_api.ReportingApi(http, "https://youtubereporting.googleapis.com/v1")
        with pytest.raises(GoogleApiError, match="not followed"):
            api.download("https://attacker.example/v1/media/x?alt=media")
        assert http.stats.requests == {}
    finally:
        http.close()


def test_a_run_killed_while_it_lands_files_resumes_and_lands_every_file_once(tmp_path, jobs_made):
    """``kill -9`` of ``ytlake run --analytics-mode bulk`` after its third file landed (between
    files or in the middle of the next one), then a rerun. A file cut mid-way in-process is
    ``test_a_download_cut_mid_file_is_landed_again_whole``."""
    import os
    import signal
    import subprocess
    import sys
    import time

    state, lakehouse = _copy_of(jobs_made, tmp_path, "lake")
    later = TODAY + timedelta(days=4)
    with _serve(state, later, latency_ms=20) as emu:
        logs = lakehouse.parent / "logs"
        before = set(logs.glob("*.log"))
        env = {k: v for k, v in os.environ.items() if not k.startswith("YT_")}
        argv = ["run", "--source", "demo", "--api-root", emu.base_url, "--lakehouse", str(lakehouse)]
        argv += ["--today", later.isoformat(), "--analytics-mode", "bulk"]
        proc = subprocess.Popen(
            [sys.executable, "-m", "ytlake", *argv],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        deadline, killed = time.monotonic() + 120, False
        while time.monotonic() < deadline and proc.poll() is None:
            fresh = set(logs.glob("*.log")) - before
            if sum(p.read_text(errors="replace").count("landed report file") for p in fresh) >= 3:
                proc.send_signal(signal.SIGKILL)
                killed = True
                break
            time.sleep(0.01)
        proc.wait(timeout=60)
        assert killed, "the run ended before it could be killed"
        landed_before = len(_files(_parts(lakehouse)))
        emu.emulator.reset_stats()
        result = _run(emu, lakehouse, later, only=None)  # the whole job, Gold included
        assert result.run_status == "SUCCEEDED", {
            k: r.error for k, r in result.run.results.items() if r.error
        }
        google = _google_files(emu)
        downloads = _media_requests(emu) - len(google)  # the official client's own downloads
        clean = tmp_path / "clean" / "yt.duckdb"  # the same day, never interrupted
        assert _run(emu, clean, later, only=None).run_status == "SUCCEEDED"
    assert _files(_parts(lakehouse)) == google  # every file once, complete
    assert 3 <= landed_before < len(google) and downloads == len(google) - landed_before
    assert _gold(lakehouse) == _gold(clean)


def _gold(lakehouse):
    """Every Gold mart's rows, without when and by which run they landed."""
    con = duckdb.connect(str(lakehouse), read_only=True)
    try:
        out = {}
        for (table,) in con.sql(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'gold'"
        ).fetchall():
            if table == "gold_video_retention":
                continue  # a weekly snapshot: which day it is depends on the lakehouse's history
            rel = con.sql(f"SELECT * FROM gold.{table}")
            cols = [c for c in rel.columns if c not in ("snapshot_date", "ingest_ts_utc", "run_id")]
            rows = con.sql(f"SELECT {', '.join(cols)} FROM gold.{table}").fetchall()
            # sums of decimal minutes: the order rows are added in is not fixed, the last bits differ
            out[table] = sorted(
                repr(tuple(round(v, 9) if isinstance(v, float) else v for v in r)) for r in rows
            )
        assert out["gold_video_daily_summary"], "Gold was built"
        return out
    finally:
        con.close()


def test_hybrid_goes_on_with_v2_when_the_reporting_api_refuses(tmp_path):
    state, lakehouse = tmp_path / "google.json", tmp_path / "yt.duckdb"
    with _serve(state, TODAY, reporting_quota=0) as emu:  # the project's Reporting quota is spent
        result = _run(emu, lakehouse, TODAY, mode="hybrid")
        assert emu.emulator.stats.requests.get("/v2/reports", 0) > 0  # v2 asked all the same
    assert result.run_status == "PARTIAL"
    assert "Reporting API quota exceeded" in json.dumps(result.summary)
    assert _parts(lakehouse) == []


def test_records_keep_a_quoted_line_break_and_files_are_checked_as_csv():
    from ytlake.youtube import shapes

    records, carry, open_quote = bulk._records(['a,"x', 'y",b', 'c,"d'], [], False)
    assert records == ['a,"x\ny",b'] and carry == ['c,"d'] and open_quote  # the last one goes on
    records, carry, open_quote = bulk._records(['e",f'], carry, open_quote)
    assert records == ['c,"d\ne",f'] and carry == [] and not open_quote
    assert shapes.problem("v1/media", 200, "\ufeffdate,views\n20260301,2\n") is None  # a BOM
    assert shapes.problem("v1/media", 200, "") is None  # empty: nothing to read, nothing wrong
    assert shapes.problem("v1/media", 200, "<html>Service Unavailable</html>") is not None
