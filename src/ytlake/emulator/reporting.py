"""The YouTube Reporting API (v1) in the emulator: report types, jobs, and the daily reports
Google generates for them (facts and sources: docs/research/youtube_reporting_api.md).

WORK IN PROGRESS (issue 17): the API surface, timing and lifecycle are here; the report files'
contents (the world's rows per report type) are not yet: a download is the header row only.

Plan for the contents (next step): a bulk row is a video × day × the report's dimensions, so
the world needs joint figures whose marginals are exactly its v2 answers (the issue's
equality test: ``channel_traffic_source_a3`` summed by video and traffic source equals v2's
``insightTrafficSourceType`` per video). Split each video-day's views over the dimensions
with an integer rule that keeps every marginal exact (the north-west-corner rule of the
transport problem does, for two marginals at a time: traffic source × country, then × device,
...), seeded per video-day so the same file is the same bytes; subscribed status and live /
on-demand are new world shares (a stable share per channel, a few live videos). The privacy
threshold applies as Google's anonymisation: a withheld dimension value becomes an empty
value aggregated into one row, so sums stay whole. Watch time and averages follow the
world's per-video duration model. Restated reports carry the world's restated figures for
that day (``World.restatement_factor``).

Timing, on the world's clock (``--today`` moves it):
- a job's first reports appear 48 hours after it is created; then the 30 Pacific days before
  its creation day arrive as historical reports, and each Pacific day from its creation day on
  gets one report ``latency_days`` after the day ends;
- a day the world still restates gets a second report when it is final: same ``startTime``
  and ``endTime``, a new id, a later ``createTime``;
- reports leave the listing 60 days after they were created (historical ones after 30).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from ytlake.emulator.world import PACIFIC

FIRST_REPORTS_AFTER = timedelta(hours=48)
HISTORY_DAYS = 30
EXPIRES_AFTER = timedelta(days=60)
HISTORICAL_EXPIRES_AFTER = timedelta(days=30)
#: hour of the Pacific day at which a day's report is generated
GENERATED_AT = time(3, 0)

BASE = ("date", "channel_id", "video_id", "live_or_on_demand", "subscribed_status", "country_code")
M7 = (
    "views",
    "engaged_views",
    "watch_time_minutes",
    "average_view_duration_seconds",
    "average_view_duration_percentage",
    "red_views",
    "red_watch_time_minutes",
)


@dataclass(frozen=True)
class ReportType:
    id: str
    name: str
    columns: tuple[str, ...]
    system_managed: bool = False

    def resource(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "name": self.name}
        if self.system_managed:
            out["systemManaged"] = True
        return out


#: The channel report types (columns in the order live files show them; readers map by header).
REPORT_TYPES: tuple[ReportType, ...] = (
    ReportType(
        "channel_basic_a3",
        "User activity",
        (
            *BASE,
            "views",
            "engaged_views",
            "comments",
            "likes",
            "dislikes",
            "shares",
            "watch_time_minutes",
            "average_view_duration_seconds",
            "average_view_duration_percentage",
            "subscribers_gained",
            "subscribers_lost",
            "videos_added_to_playlists",
            "videos_removed_from_playlists",
            "red_views",
            "red_watch_time_minutes",
        ),
    ),
    ReportType("channel_province_a3", "User activity by province", (*BASE, "province_code", *M7)),
    ReportType(
        "channel_playback_location_a3",
        "Playback locations",
        (*BASE, "playback_location_type", "playback_location_detail", *M7),
    ),
    ReportType(
        "channel_traffic_source_a3",
        "Traffic sources",
        (*BASE, "traffic_source_type", "traffic_source_detail", *M7),
    ),
    ReportType(
        "channel_device_os_a3",
        "Device type and operating system",
        (*BASE, "device_type", "operating_system", *M7),
    ),
    ReportType(
        "channel_demographics_a1", "Viewer demographics", (*BASE, "age_group", "gender", "views_percentage")
    ),
    ReportType(
        "channel_sharing_service_a1", "Content sharing by platform", (*BASE, "sharing_service", "shares")
    ),
    ReportType(
        "channel_subtitles_a3",
        "Subtitles",
        (*BASE, "subtitle_language", "subtitle_language_autotranslated", *M7),
    ),
    ReportType(
        "channel_combined_a3",
        "Combined",
        (*BASE, "playback_location_type", "traffic_source_type", "device_type", "operating_system", *M7),
    ),
)
REPORT_TYPES_BY_ID = {t.id: t for t in REPORT_TYPES}


def rfc3339(dt: datetime, micros: bool = True) -> str:
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if micros else "%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def pacific_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), PACIFIC)


@dataclass
class Job:
    id: str
    report_type_id: str
    name: str
    create_time: datetime
    channel_index: int

    @classmethod
    def new(cls, report_type_id: str, name: str, now: datetime, channel_index: int) -> Job:
        return cls(str(uuid.uuid4()), report_type_id, name, now.astimezone(UTC), channel_index)

    def resource(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "reportTypeId": self.report_type_id,
            "name": self.name,
            "createTime": rfc3339(self.create_time),
        }

    def to_json(self) -> dict[str, Any]:
        return {**self.resource(), "channelIndex": self.channel_index}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Job:
        return cls(
            doc["id"],
            doc["reportTypeId"],
            doc["name"],
            parse_rfc3339(doc["createTime"]),
            int(doc["channelIndex"]),
        )


@dataclass(frozen=True)
class Report:
    job_id: str
    day: date  # the Pacific day it covers
    create_time: datetime
    historical: bool = False

    @property
    def id(self) -> str:
        digest = hashlib.sha256(f"{self.job_id}|{self.day}|{self.create_time.isoformat()}".encode()).digest()
        return str(int.from_bytes(digest[:5], "big") % 9_000_000_000 + 1_000_000_000)

    @property
    def start_time(self) -> datetime:
        return pacific_midnight(self.day)

    @property
    def end_time(self) -> datetime:
        return pacific_midnight(self.day + timedelta(days=1))  # 23 or 25 hours on DST days

    @property
    def expire_time(self) -> datetime:
        return self.create_time + (HISTORICAL_EXPIRES_AFTER if self.historical else EXPIRES_AFTER)

    def resource_name(self, channel_id: str) -> str:
        return f"CHANNEL/{channel_id.removeprefix('UC')}/jobs/{self.job_id}/reports/{self.id}"

    def resource(self, base_url: str, channel_id: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "jobId": self.job_id,
            "startTime": rfc3339(self.start_time, micros=False),
            "endTime": rfc3339(self.end_time, micros=False),
            "createTime": rfc3339(self.create_time),
            "downloadUrl": f"{base_url}/v1/media/{self.resource_name(channel_id)}?alt=media",
        }


def reports_of(job: Job, now: datetime, latency_days: int, final_after_days: int) -> list[Report]:
    """The reports of ``job`` listed at ``now``, oldest creation first."""
    first = job.create_time + FIRST_REPORTS_AFTER
    if now < first:
        return []
    created_day = job.create_time.astimezone(PACIFIC).date()
    out: list[Report] = []
    for i in range(HISTORY_DAYS, 0, -1):  # generated together once reporting starts
        out.append(
            Report(job.id, created_day - timedelta(days=i), first + timedelta(seconds=HISTORY_DAYS - i), True)
        )
    day = created_day
    while True:
        made = max(first, datetime.combine(day + timedelta(days=latency_days), GENERATED_AT, PACIFIC))
        if made > now:
            break
        out.append(Report(job.id, day, made))
        if final_after_days > latency_days:  # restated once the day is final
            restated = datetime.combine(day + timedelta(days=final_after_days), GENERATED_AT, PACIFIC)
            if restated <= now:
                out.append(Report(job.id, day, max(restated, made + timedelta(seconds=1))))
        day += timedelta(days=1)
    return sorted((r for r in out if r.expire_time > now), key=lambda r: (r.create_time, r.day))


def _error(code: int, message: str, status: str) -> tuple[int, dict[str, Any]]:
    """Google's v1 (One Platform) error body."""
    return code, {"error": {"code": code, "message": message, "status": status}}


NOT_FOUND = _error(404, "Requested entity was not found.", "NOT_FOUND")


class ReportingApi:
    """The Reporting API's methods over a job store (per channel, as Google scopes them)."""

    def __init__(self, now, latency_days: int, final_after_days: int, channel_id_of, on_change=None) -> None:
        self.now = now  # () -> datetime on the world's clock
        self.latency_days = latency_days
        self.final_after_days = final_after_days
        self.channel_id_of = channel_id_of  # channel index -> channel id
        self.on_change = on_change or (lambda: None)
        self.jobs: dict[str, Job] = {}

    # -- helpers ------------------------------------------------------------------------
    def _job(self, job_id: str, caller: int) -> Job | None:
        job = self.jobs.get(job_id)
        return job if job is not None and job.channel_index == caller else None

    def _reports(self, job: Job) -> list[Report]:
        return reports_of(job, self.now(), self.latency_days, self.final_after_days)

    @staticmethod
    def _page(items: list[Any], params: dict[str, list[str]], key: str, default: int = 100) -> dict[str, Any]:
        size = int((params.get("pageSize") or [str(default)])[0] or default)
        start = int((params.get("pageToken") or ["0"])[0] or 0)
        page = items[start : start + max(size, 1)]
        out: dict[str, Any] = {key: page} if page else {}
        if start + len(page) < len(items):
            out["nextPageToken"] = str(start + len(page))
        return out

    # -- methods ---------------------------------------------------------------------------
    def handle(
        self,
        method: str,
        path: str,
        params: dict[str, list[str]],
        body: dict[str, Any] | None,
        caller: int,
        base_url: str,
    ) -> tuple[int, Any, dict[str, str]]:
        parts = path.strip("/").split("/")[1:]  # after "v1"
        if method == "GET" and parts == ["reportTypes"]:
            return 200, self._page([t.resource() for t in REPORT_TYPES], params, "reportTypes"), {}
        if parts == ["jobs"] and method == "POST":
            return (*self._create(body or {}, caller), {})
        if parts == ["jobs"] and method == "GET":
            mine = sorted(
                (j for j in self.jobs.values() if j.channel_index == caller), key=lambda j: j.create_time
            )
            return 200, self._page([j.resource() for j in mine], params, "jobs"), {}
        if len(parts) == 2 and parts[0] == "jobs":
            job = self._job(parts[1], caller)
            if job is None:
                return (*NOT_FOUND, {})
            if method == "GET":
                return 200, job.resource(), {}
            if method == "DELETE":
                del self.jobs[job.id]
                self.on_change()
                return 200, {}, {}
        if len(parts) in (3, 4) and parts[0] == "jobs" and parts[2] == "reports" and method == "GET":
            job = self._job(parts[1], caller)
            if job is None:
                return (*NOT_FOUND, {})
            channel_id = self.channel_id_of(caller)
            reports = self._reports(job)
            if len(parts) == 4:
                found = next((r for r in reports if r.id == parts[3]), None)
                return (200, found.resource(base_url, channel_id), {}) if found else (*NOT_FOUND, {})
            reports = [r for r in reports if _kept(r, params)]
            return 200, self._page([r.resource(base_url, channel_id) for r in reports], params, "reports"), {}
        if parts[:1] == ["media"] and method == "GET":
            return self._download("/".join(parts[1:]), caller)
        return (*NOT_FOUND, {})

    def _create(self, body: dict[str, Any], caller: int) -> tuple[int, dict[str, Any]]:
        type_id, name = body.get("reportTypeId"), body.get("name")
        if not type_id or not name:
            missing = "reportTypeId" if not type_id else "name"
            return _error(
                400, f"Request contains an invalid argument: {missing} is required.", "INVALID_ARGUMENT"
            )
        if type_id not in REPORT_TYPES_BY_ID:
            return NOT_FOUND  # what Google answered live for a retired id (docs say 400)
        if any(j.report_type_id == type_id and j.channel_index == caller for j in self.jobs.values()):
            return _error(409, "Requested entity already exists", "ALREADY_EXISTS")
        job = Job.new(type_id, str(name), self.now(), caller)
        self.jobs[job.id] = job
        self.on_change()
        return 200, job.resource()

    def _download(self, resource_name: str, caller: int) -> tuple[int, Any, dict[str, str]]:
        parts = resource_name.split("/")
        if len(parts) != 6 or parts[0] != "CHANNEL" or parts[2] != "jobs" or parts[4] != "reports":
            return (*NOT_FOUND, {})
        job = self._job(parts[3], caller)
        if job is None or "UC" + parts[1] != self.channel_id_of(caller):
            return (*NOT_FOUND, {})
        report = next((r for r in self._reports(job) if r.id == parts[5]), None)
        if report is None:
            return (*NOT_FOUND, {})
        header = ",".join(REPORT_TYPES_BY_ID[job.report_type_id].columns) + "\n"
        return 200, header.encode(), {"content-type": "application/octet-stream"}


def _kept(report: Report, params: dict[str, list[str]]) -> bool:
    def when(name: str) -> datetime | None:
        raw = (params.get(name) or [""])[0]
        return parse_rfc3339(raw) if raw else None

    after, at_or_after, before = when("createdAfter"), when("startTimeAtOrAfter"), when("startTimeBefore")
    return (
        (after is None or report.create_time > after)
        and (at_or_after is None or report.start_time >= at_or_after)
        and (before is None or report.start_time < before)
    )
