"""The Reporting API with the official client (work in progress, issue 17): report types,
jobs, and reports appearing, restated and expiring on the world's clock (``--today``)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseDownload

from ytlake.emulator.reporting import REPORT_TYPES_BY_ID, Job, reports_of
from ytlake.emulator.server import running_emulator
from ytlake.emulator.service import EmulatorConfig
from ytlake.emulator.world import PACIFIC

from ..conftest import tiny_world_config
from .test_official_client import _creds

DAY = date(2026, 3, 10)


def _client(emu):
    return build(
        "youtubereporting",
        "v1",
        credentials=_creds(emu.base_url),
        static_discovery=True,
        client_options={"api_endpoint": emu.base_url},
    )


def test_jobs_are_created_once_per_type_listed_fetched_and_deleted(tmp_path):
    state = tmp_path / "state.json"
    with running_emulator(tiny_world_config(today=DAY), EmulatorConfig(state_path=state)) as emu:
        api = _client(emu)
        types = api.reportTypes().list().execute()["reportTypes"]
        assert {"channel_basic_a3", "channel_traffic_source_a3"} <= {t["id"] for t in types}
        job = api.jobs().create(body={"reportTypeId": "channel_basic_a3", "name": "basic"}).execute()
        assert job["reportTypeId"] == "channel_basic_a3" and job["createTime"].endswith("Z")
        with pytest.raises(HttpError) as twice:
            api.jobs().create(body={"reportTypeId": "channel_basic_a3", "name": "again"}).execute()
        assert twice.value.resp.status == 409
        assert [j["id"] for j in api.jobs().list().execute()["jobs"]] == [job["id"]]
        assert api.jobs().get(jobId=job["id"]).execute() == job
        # a new job has no reports for 48 hours
        assert api.jobs().reports().list(jobId=job["id"]).execute() == {}
    # the job is remembered by an emulator restarted two days later on the same state
    with running_emulator(
        tiny_world_config(today=DAY + timedelta(days=3)), EmulatorConfig(state_path=state)
    ) as emu:
        api = _client(emu)
        assert api.jobs().get(jobId=job["id"]).execute()["id"] == job["id"]
        reports = api.jobs().reports().list(jobId=job["id"]).execute()["reports"]
        assert len(reports) >= 30  # the 30 days before the job, as historical reports
        first = reports[0]
        assert first["startTime"].endswith(":00:00Z") and first["downloadUrl"].startswith(emu.base_url)
        request = api.media().download_media(resourceName=" ")
        request.uri = first["downloadUrl"]
        out = io.BytesIO()
        downloader = MediaIoBaseDownload(out, request, chunksize=-1)  # as Google's sample does
        done = False
        while not done:
            _, done = downloader.next_chunk()
        header = out.getvalue().decode().splitlines()[0].split(",")
        assert header == list(REPORT_TYPES_BY_ID["channel_basic_a3"].columns)
        api.jobs().delete(jobId=job["id"]).execute()
        with pytest.raises(HttpError) as gone:
            api.jobs().reports().list(jobId=job["id"]).execute()
        assert gone.value.resp.status == 404


def test_timing_history_daily_restatement_and_expiry():
    created = datetime(2026, 3, 1, 10, 0, tzinfo=PACIFIC)
    job = Job("j", "channel_basic_a3", "n", created, 1)
    assert reports_of(job, created + timedelta(hours=47), 2, 4) == []
    at_start = reports_of(job, created + timedelta(hours=48), 2, 4)
    history = [r for r in at_start if r.historical]
    assert len(history) == 30 and history[0].day == date(2026, 1, 30) and history[-1].day == date(2026, 2, 28)
    # and the creation day's own report, due two days (the world's latency) after it
    assert [r.day for r in at_start if not r.historical] == [date(2026, 3, 1)]
    later = created + timedelta(days=10)
    reports = reports_of(job, later, 2, 4)
    days = [r.day for r in reports if not r.historical]
    # every day from the creation day gets a report; a day restated gets a second one, later
    restated = [d for d in set(days) if days.count(d) == 2]
    assert date(2026, 3, 1) in restated
    for d in restated:
        a, b = (r for r in reports if r.day == d and not r.historical)
        assert a.start_time == b.start_time and a.id != b.id and b.create_time > a.create_time
    # historical reports leave after 30 days, daily ones after 60
    assert not [r for r in reports_of(job, created + timedelta(days=33), 2, 4) if r.historical]
    # a spring-forward day is 23 hours long
    dst = next(r for r in reports if r.day == date(2026, 3, 8))
    assert dst.end_time.astimezone(UTC) - dst.start_time.astimezone(UTC) == timedelta(hours=23)
