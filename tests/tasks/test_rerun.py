"""A task rerun in the same run replaces (Data API) or resumes (Analytics), never duplicates."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pytest

from ytlake.emulator.server import running_emulator
from ytlake.emulator.service import EmulatorConfig
from ytlake.jobcontext import JobContext, job_context
from ytlake.lakehouse import DuckDBEngine
from ytlake.runlocal import demo_accesses
from ytlake.tasks import (
    ingest_analytics_api_to_bronze,
    ingest_data_api_to_bronze,
    init_run_context,
    run_state,
)

from ..conftest import TODAY, tiny_world_config

CONFIG = tiny_world_config(videos=8, history_days=60, seed=5)


class Job:
    """The tasks of one run, called directly: they share only the run id and the lakehouse."""

    def __init__(self, lakehouse, base_url, run_id="run-42"):
        self.lakehouse, self.run_id = lakehouse, run_id
        self.ctx = JobContext(channels=demo_accesses())
        self.common = [f"--lakehouse={lakehouse}", "--engine=duckdb", f"--job_run_id={run_id}"]
        self.google = [f"--api_root={base_url}", "--concurrency=4"]

    def output(self, task_key, key):
        """What a task handed on, read where the next task reads it: the lakehouse."""
        with DuckDBEngine(self.lakehouse) as engine:
            return run_state.output(engine, self.run_id, task_key, key)

    def task(self, module, *argv):
        with job_context(self.ctx):
            assert module.main([*self.common, *argv]) == 0


def _count(path, table, where="true"):
    con = duckdb.connect(str(path))
    try:
        return con.sql(
            f"SELECT count(*), count(DISTINCT request_id) FROM bronze.{table} WHERE {where}"
        ).fetchall()[0]
    finally:
        con.close()


ANSWERED = "payload ->> '$.status' = '200'"


TABLES = (
    "channels_raw",
    "playlist_items_raw",
    "videos_raw",
    "analytics_video_daily_raw",
    "analytics_video_country_daily_raw",
)


def test_rerunning_tasks_of_the_same_run_never_duplicates(tmp_path):
    lakehouse = tmp_path / "yt.duckdb"
    with running_emulator(CONFIG) as emu:
        job = Job(lakehouse, emu.base_url)
        job.task(init_run_context, f"--today={TODAY}", "--source_system=emulator")
        job.task(ingest_data_api_to_bronze, *job.google)
        job.task(ingest_analytics_api_to_bronze, *job.google)
        before = {t: _count(lakehouse, t) for t in TABLES}
        reports_before = emu.emulator.stats.requests["/v2/reports"]
        job.task(ingest_data_api_to_bronze, *job.google)  # replaces its rows
        job.task(ingest_analytics_api_to_bronze, *job.google)  # everything landed: asks nothing
        assert {t: _count(lakehouse, t) for t in TABLES} == before
        assert emu.emulator.stats.requests["/v2/reports"] == reports_before


@pytest.mark.slow
def test_a_backfill_stopped_half_way_resumes_without_asking_again(tmp_path):
    lakehouse = tmp_path / "yt.duckdb"
    with running_emulator(CONFIG) as full:
        job = Job(tmp_path / "reference.duckdb", full.base_url)
        job.task(init_run_context, f"--today={TODAY}", "--source_system=emulator")
        job.task(ingest_data_api_to_bronze, *job.google)
        job.task(ingest_analytics_api_to_bronze, *job.google, "--chunk_days=7")
        needed = full.emulator.stats.requests["/v2/reports"]
    with running_emulator(CONFIG, EmulatorConfig(analytics_quota=needed // 2)) as first:
        job = Job(lakehouse, first.base_url, "run-7")
        job.task(init_run_context, f"--today={TODAY}", "--source_system=emulator")
        job.task(ingest_data_api_to_bronze, *job.google)
        job.task(ingest_analytics_api_to_bronze, *job.google, "--chunk_days=7")
        assert "quota exceeded" in job.output("ingest_analytics_api_to_bronze", "partial")
        landed = first.emulator.stats.analytics_requests["reports.query"]
    with running_emulator(CONFIG) as second:
        job.google[0] = f"--api_root={second.base_url}"
        job.task(ingest_analytics_api_to_bronze, *job.google, "--chunk_days=7")
        asked_again = second.emulator.stats.requests["/v2/reports"]
    assert landed == needed // 2
    assert asked_again == needed - landed  # no chunk that had landed is asked again
    # every question answered once, as in the reference; the quota's refusals stay on record
    assert _count(lakehouse, "analytics_video_country_daily_raw", ANSWERED) == _count(
        tmp_path / "reference.duckdb", "analytics_video_country_daily_raw", ANSWERED
    )
    refused = sum(
        _count(lakehouse, t, "payload ->> '$.status' IN ('403', '429')")[0]  # Analytics: 429 per day
        for t in ("analytics_video_daily_raw", "analytics_video_country_daily_raw")
    )
    assert 1 <= refused <= 2 * 4  # sent when the quota ran out: at most two per worker (--concurrency=4)


def test_a_video_gone_between_the_two_ingestion_tasks_is_recorded_and_skipped(tmp_path):
    """The Data API task saw the video; by the time Analytics asks, it is deleted: Google's 4xx
    is recorded in Bronze, the video is skipped, the task ends PARTIAL-worthy, not failed."""
    from ..tasks.test_ingestion import _world_with_a_deletion_between

    t1, t2 = TODAY, TODAY + timedelta(days=3)
    seed, gone = _world_with_a_deletion_between(t1, t2)

    def cfg(today):
        return tiny_world_config(
            videos=10, history_days=40, seed=seed, start=t1 - timedelta(days=30), today=today
        )

    lakehouse = tmp_path / "yt.duckdb"
    with running_emulator(cfg(t1)) as before:
        job = Job(lakehouse, before.base_url, "run-gone")
        job.task(init_run_context, f"--today={t1}", "--source_system=emulator")
        job.task(ingest_data_api_to_bronze, *job.google)
    with running_emulator(cfg(t2)) as after:
        job.google[0] = f"--api_root={after.base_url}"
        job.task(ingest_analytics_api_to_bronze, *job.google)
    skipped = job.output("ingest_analytics_api_to_bronze", "skipped_videos")
    assert list(skipped) == [gone.video_id]
    assert "gone or private" in job.output("ingest_analytics_api_to_bronze", "partial")
    con = duckdb.connect(str(lakehouse))
    recorded = con.sql(
        "SELECT payload ->> '$.status' FROM bronze.analytics_video_daily_raw "
        f"WHERE payload ->> '$.request.params.filters' = 'video=={gone.video_id}'"
    ).fetchall()
    others = con.sql(
        "SELECT count(*) FROM bronze.analytics_video_daily_raw WHERE payload ->> '$.status' = '200'"
    ).fetchall()
    con.close()
    assert recorded == [("400",)]
    assert others[0][0] > 0
