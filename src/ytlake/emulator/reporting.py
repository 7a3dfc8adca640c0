"""The YouTube Reporting API (v1) in the emulator: report types, jobs, and the daily reports
Google generates for them (facts and sources: docs/research/youtube_reporting_api.md).

Every method of the discovery document (``youtubereporting.v1.json``, shipped with
google-api-python-client) at its path under ``/v1/``: ``reportTypes.list``, ``jobs.create`` (one
job per report type and channel; a second is 409), ``jobs.list``/``get``/``delete``,
``jobs.reports.list`` (``createdAfter``, ``startTimeAtOrAfter``, ``startTimeBefore``, paging)
and ``get``, and ``media.download`` of a report's ``downloadUrl``. Errors are One Platform's
(``{"error": {"code", "message", "status"}}``); an unknown query parameter is refused as the
front end refuses it. The files' contents come from the world (``reporting_files``).

Timing, on the world's clock (``--today`` moves it):
- a job's first reports appear 48 hours after it is created; then the 30 Pacific days before
  its creation day arrive as historical reports, and each Pacific day from its creation day on
  gets one report at 03:00 Pacific ``latency_days`` after it;
- a day that was not final when its report was made (the world restates its recent days)
  gets a second report when it is final: same ``startTime`` and ``endTime``, a new id, a
  later ``createTime``, the final figures;
- reports leave the listing 60 days after they were created (historical ones after 30).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from ytlake.emulator import errors, reporting_files
from ytlake.emulator.query import INT32_MAX, INTEGER
from ytlake.emulator.world import PACIFIC, World

FIRST_REPORTS_AFTER = timedelta(hours=48)
HISTORY_DAYS = 30
EXPIRES_AFTER = timedelta(days=60)
HISTORICAL_EXPIRES_AFTER = timedelta(days=30)
#: hour of the Pacific day at which a day's report is generated
GENERATED_AT = time(3, 0)

BASE = ("date", "channel_id", "video_id", "live_or_on_demand", "subscribed_status", "country_code")
#: Metric groups in the order Google documents them (RV1/reports/channel_reports).
M7 = (
    "engaged_views",
    "views",
    "watch_time_minutes",
    "average_view_duration_seconds",
    "average_view_duration_percentage",
    "red_views",
    "red_watch_time_minutes",
)
ANNOTATIONS = (
    "annotation_click_through_rate",
    "annotation_close_rate",
    "annotation_impressions",
    "annotation_clickable_impressions",
    "annotation_closable_impressions",
    "annotation_clicks",
    "annotation_closes",
)
CARDS = (
    "card_click_rate",
    "card_teaser_click_rate",
    "card_impressions",
    "card_teaser_impressions",
    "card_clicks",
    "card_teaser_clicks",
)


@dataclass(frozen=True)
class ReportType:
    id: str
    name: str
    dimensions: tuple[str, ...]
    metrics: tuple[str, ...]
    system_managed: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        """The header row: dimensions, then metrics."""
        return (*self.dimensions, *self.metrics)

    def resource(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "name": self.name}
        if self.system_managed:
            out["systemManaged"] = True
        return out


#: The channel report types a creator gets (current versions), with their columns in the
#: order Google documents them; Google tells readers to map columns by the header row.
REPORT_TYPES: tuple[ReportType, ...] = (
    ReportType(
        "channel_basic_a3",
        "User activity",
        BASE,
        (
            "engaged_views",
            "views",
            "comments",
            "likes",
            "dislikes",
            "videos_added_to_playlists",
            "videos_removed_from_playlists",
            "shares",
            "watch_time_minutes",
            "average_view_duration_seconds",
            "average_view_duration_percentage",
            *ANNOTATIONS,
            *CARDS,
            "subscribers_gained",
            "subscribers_lost",
            "red_views",
            "red_watch_time_minutes",
        ),
    ),
    ReportType(
        "channel_province_a3",
        "User activity by province",
        (*BASE, "province_code"),
        (*M7[:5], *ANNOTATIONS, *CARDS, *M7[5:]),
    ),
    ReportType(
        "channel_playback_location_a3",
        "Playback locations",
        (*BASE, "playback_location_type", "playback_location_detail"),
        M7,
    ),
    ReportType(
        "channel_traffic_source_a3",
        "Traffic sources",
        (*BASE, "traffic_source_type", "traffic_source_detail"),
        M7,
    ),
    ReportType(
        "channel_device_os_a3",
        "Device type and operating system",
        (*BASE, "device_type", "operating_system"),
        M7,
    ),
    ReportType(
        "channel_demographics_a1",
        "Viewer demographics",
        (*BASE, "age_group", "gender"),
        ("views_percentage",),
    ),
    ReportType(
        "channel_sharing_service_a1", "Content sharing by platform", (*BASE, "sharing_service"), ("shares",)
    ),
    ReportType(
        "channel_subtitles_a3",
        "Subtitles",
        (*BASE, "subtitle_language", "subtitle_language_autotranslated"),
        M7,
    ),
    ReportType(
        "channel_combined_a3",
        "Combined",
        (*BASE, "playback_location_type", "traffic_source_type", "device_type", "operating_system"),
        M7,
    ),
)
REPORT_TYPES_BY_ID = {t.id: t for t in REPORT_TYPES}


def catalog() -> str:
    """Every report type and its columns, one paragraph each (``emulator serve --help``)."""
    return "\n\n".join(f"{t.id} ({t.name}): {', '.join(t.columns)}" for t in REPORT_TYPES)


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
    """The reports of ``job`` listed at ``now``, oldest creation first.

    Each Pacific day from 30 days before the job's creation day gets a first report (the
    30 earlier days together, as historical reports, 48 hours after creation; each later day
    ``latency_days`` after it ends); a day that was not yet final when its report was made
    gets a second one, with the final figures, ``final_after_days`` after it ended."""
    first = job.create_time + FIRST_REPORTS_AFTER
    if now < first:
        return []
    created_day = job.create_time.astimezone(PACIFIC).date()
    out: list[Report] = []
    day = created_day - timedelta(days=HISTORY_DAYS)
    while True:
        historical = day < created_day
        if historical:  # generated together, in order, in the seconds up to ``first``
            made = first + timedelta(seconds=(day - created_day).days + 1)
        else:
            made = max(first, datetime.combine(day + timedelta(days=latency_days), GENERATED_AT, PACIFIC))
        if made > now:
            break
        out.append(Report(job.id, day, made, historical))
        if (made.astimezone(PACIFIC).date() - day).days < final_after_days:  # restated when final
            final = datetime.combine(day + timedelta(days=final_after_days), GENERATED_AT, PACIFIC)
            restated = max(final, made + timedelta(seconds=1))
            if restated <= now:
                out.append(Report(job.id, day, restated))
        day += timedelta(days=1)
    return sorted((r for r in out if r.expire_time > now), key=lambda r: (r.create_time, r.day))


_error = errors.one_platform_error

NOT_FOUND = _error(404, "Requested entity was not found.", "NOT_FOUND")
#: What a ``jobs.create`` body may set (the Job resource; the server sets the rest, ignored).
JOB_FIELDS = frozenset({"reportTypeId", "name", "id", "createTime", "expireTime", "systemManaged"})
#: Report files kept made (a retried download is not made again).
FILES_KEPT = 64
#: The page size when the caller gives none. Google documents no default ("the server may
#: return fewer"); a small one makes a client that ignores ``nextPageToken`` lose reports.
DEFAULT_PAGE_SIZE = 50
#: Query parameters every method takes (the discovery document's standard parameters).
STANDARD_PARAMS = frozenset(
    {
        "$.xgafv",
        "access_token",
        "alt",
        "callback",
        "fields",
        "key",
        "oauth_token",
        "prettyPrint",
        "quotaUser",
        "uploadType",
        "upload_protocol",
    }
)
_LIST = frozenset({"onBehalfOfContentOwner", "pageSize", "pageToken"})
#: Each method's own query parameters (the discovery document).
METHOD_PARAMS: dict[str, frozenset[str]] = {
    "reportTypes.list": _LIST | {"includeSystemManaged"},
    "jobs.create": frozenset({"onBehalfOfContentOwner"}),
    "jobs.list": _LIST | {"includeSystemManaged"},
    "jobs.get": frozenset({"onBehalfOfContentOwner"}),
    "jobs.delete": frozenset({"onBehalfOfContentOwner"}),
    "jobs.reports.list": _LIST | {"createdAfter", "startTimeAtOrAfter", "startTimeBefore"},
    "jobs.reports.get": frozenset({"onBehalfOfContentOwner"}),
    "media.download": frozenset(),
}


def method_of(http_method: str, path: str) -> tuple[str, list[str]] | None:
    """The Reporting API method a request calls, and its path arguments (None: no method)."""
    parts = path.strip("/").split("/")[1:]  # after "v1"
    shapes: list[tuple[str, str, list[str]]] = [
        ("GET", "reportTypes.list", ["reportTypes"]),
        ("POST", "jobs.create", ["jobs"]),
        ("GET", "jobs.list", ["jobs"]),
        ("GET", "jobs.get", ["jobs", "*"]),
        ("DELETE", "jobs.delete", ["jobs", "*"]),
        ("GET", "jobs.reports.list", ["jobs", "*", "reports"]),
        ("GET", "jobs.reports.get", ["jobs", "*", "reports", "*"]),
    ]
    for verb, name, shape in shapes:
        if (
            verb == http_method
            and len(parts) == len(shape)
            and all(s in ("*", p) for s, p in zip(shape, parts, strict=True))
        ):
            return name, [p for s, p in zip(shape, parts, strict=True) if s == "*"]
    if http_method == "GET" and parts[:1] == ["media"] and len(parts) > 1:
        return "media.download", ["/".join(parts[1:])]
    return None


class ReportingApi:
    """The Reporting API's methods over a job store (per channel, as Google scopes them) and
    the world the report files are made from."""

    def __init__(
        self,
        world: World,
        now: Callable[[], datetime],
        privacy_threshold: int = 0,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.world = world
        self.now = now  # the world's clock
        self.privacy_threshold = privacy_threshold
        self.on_change = on_change or (lambda: None)
        self.jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._files: dict[tuple[Any, ...], bytes] = {}

    def saved_jobs(self) -> list[dict[str, Any]]:
        with self._lock:
            return [j.to_json() for j in self.jobs.values()]

    # -- helpers ------------------------------------------------------------------------
    def _job(self, job_id: str, caller: int) -> Job | None:
        with self._lock:
            job = self.jobs.get(job_id)
        return job if job is not None and job.channel_index == caller else None

    def _reports(self, job: Job) -> list[Report]:
        cfg = self.world.config
        return reports_of(job, self.now(), cfg.latency_days, cfg.final_after_days)

    def _channel_id(self, index: int) -> str:
        return self.world.channel(index).channel_id

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
        found = method_of(method, path)
        if found is None:
            return (*NOT_FOUND, {})
        name, args = found
        for param in params:
            if param not in STANDARD_PARAMS and param not in METHOD_PARAMS[name]:
                return (*errors.unknown_parameter(param), {})
        if (params.get("onBehalfOfContentOwner") or [""])[0]:
            return (*_error(403, "The caller does not have permission", "PERMISSION_DENIED"), {})
        try:
            paging = _paging(params, "/".join([name, *args]))
            window = {
                k: _time_param(params, k) for k in ("createdAfter", "startTimeAtOrAfter", "startTimeBefore")
            }
            _boolean(params, "includeSystemManaged")  # a channel has no system-managed types or jobs
        except ValueError as err:
            return (*_error(400, str(err), "INVALID_ARGUMENT"), {})
        if name == "reportTypes.list":
            return 200, _page([(t.id, t.resource()) for t in REPORT_TYPES], paging, "reportTypes"), {}
        if name == "jobs.create":
            return (*self._create(body or {}, caller), {})
        if name == "jobs.list":
            with self._lock:
                mine = [j for j in self.jobs.values() if j.channel_index == caller]
            return 200, _page([(_order(j.create_time, j.id), j.resource()) for j in mine], paging, "jobs"), {}
        if name == "media.download":
            if (params.get("alt") or ["json"])[-1] != "media":  # the media's metadata, not the file
                return 200, {"resourceName": args[0]}, {}
            return self._download(args[0], caller)
        job = self._job(args[0], caller)
        if job is None:
            return (*NOT_FOUND, {})
        if name == "jobs.get":
            return 200, job.resource(), {}
        if name == "jobs.delete":
            with self._lock:
                self.jobs.pop(job.id, None)
            self.on_change()
            return 200, {}, {}
        channel_id = self._channel_id(caller)
        reports = self._reports(job)
        if name == "jobs.reports.get":
            report = next((r for r in reports if r.id == args[1]), None)
            return (200, report.resource(base_url, channel_id), {}) if report else (*NOT_FOUND, {})
        listed = [
            (_order(r.create_time, r.id), r.resource(base_url, channel_id))
            for r in reports
            if _kept(r, **window)
        ]
        return 200, _page(listed, paging, "reports"), {}

    def _create(self, body: dict[str, Any], caller: int) -> tuple[int, dict[str, Any]]:
        unknown = sorted(set(body) - JOB_FIELDS)
        if unknown:
            return _error(
                400,
                f'Invalid JSON payload received. Unknown name "{unknown[0]}": Cannot find field.',
                "INVALID_ARGUMENT",
            )
        type_id, name = body.get("reportTypeId"), body.get("name")
        for field, value in (("reportTypeId", type_id), ("name", name)):
            if value is not None and not isinstance(value, str):
                return _error(
                    400,
                    f"Invalid value at 'job.{field}' (TYPE_STRING), {json.dumps(value)}",
                    "INVALID_ARGUMENT",
                )
        if not type_id or not name:
            missing = "reportTypeId" if not type_id else "name"
            return _error(
                400, f"Request contains an invalid argument: {missing} is required.", "INVALID_ARGUMENT"
            )
        if type_id not in REPORT_TYPES_BY_ID:
            if _retired(type_id):
                return NOT_FOUND  # what Google answered live for a retired version
            return _error(400, "Request contains an invalid argument.", "INVALID_ARGUMENT")  # the docs' 400
        with self._lock:
            if any(j.report_type_id == type_id and j.channel_index == caller for j in self.jobs.values()):
                return _error(409, "Requested entity already exists", "ALREADY_EXISTS")
            job = Job.new(type_id, name, self.now(), caller)
            self.jobs[job.id] = job
        self.on_change()
        return 200, job.resource()

    def _download(self, resource_name: str, caller: int) -> tuple[int, Any, dict[str, str]]:
        parts = resource_name.split("/")
        if len(parts) != 6 or parts[0] != "CHANNEL" or parts[2] != "jobs" or parts[4] != "reports":
            return (*NOT_FOUND, {})
        job = self._job(parts[3], caller)
        if job is None or "UC" + parts[1] != self._channel_id(caller):
            return (*NOT_FOUND, {})
        report = next((r for r in self._reports(job) if r.id == parts[5]), None)
        if report is None:
            return (*NOT_FOUND, {})
        return (
            200,
            self.file(job.report_type_id, caller, report),
            {"content-type": "application/octet-stream"},
        )

    def file(self, report_type_id: str, channel_index: int, report: Report) -> bytes:
        """The CSV of ``report`` (the same bytes every time it is asked)."""
        as_of = report.create_time.astimezone(PACIFIC).date()
        key = (report_type_id, channel_index, report.day, as_of, self.privacy_threshold)
        data = self._files.get(key)
        if data is None:
            kind = REPORT_TYPES_BY_ID[report_type_id]
            found = reporting_files.rows(
                self.world, kind.id, kind.dimensions, channel_index, report.day, as_of, self.privacy_threshold
            )
            durations = {v.video_id: v.duration_seconds for v in self.world.videos}
            data = reporting_files.render(kind.columns, found, durations)
            with self._lock:
                if len(self._files) >= FILES_KEPT:
                    self._files.pop(next(iter(self._files)))  # the oldest made
                self._files[key] = data
        return data


def _order(when: datetime, ident: str) -> str:
    """A list's sort key: creation time (UTC, microseconds), then id."""
    return f"{rfc3339(when)}|{ident}"


def _paging(params: dict[str, list[str]], scope: str) -> tuple[int, str | None, str]:
    """(page size, the sort key the page starts after, the list it pages) from ``pageSize``
    and ``pageToken``. A token holds where the last page ended (not an offset: a report that
    expires between two pages shifts nothing) and which list it belongs to."""
    raw = (params.get("pageSize") or [""])[-1]
    size = DEFAULT_PAGE_SIZE
    if raw:
        if not INTEGER.fullmatch(raw) or not 0 <= int(raw) <= INT32_MAX:
            raise ValueError(f"Invalid value at 'page_size' (TYPE_INT32), \"{raw}\"")
        size = int(raw) or DEFAULT_PAGE_SIZE  # 0 is "not set" in proto3
    token = (params.get("pageToken") or [""])[-1]
    after = None
    if token:
        try:
            token_scope, after = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            if token_scope != scope or not isinstance(after, str):
                raise ValueError(token)
        except (ValueError, TypeError, UnicodeDecodeError, binascii.Error):
            raise ValueError("The page token is not valid.") from None
    return size, after, scope


def _page(items: list[tuple[str, Any]], paging: tuple[int, str | None, str], key: str) -> dict[str, Any]:
    """One page of ``(sort key, resource)`` items, in sort-key order."""
    size, after, scope = paging
    rest = sorted((it for it in items if after is None or it[0] > after), key=lambda it: it[0])
    page = rest[:size]
    out: dict[str, Any] = {key: [r for _, r in page]} if page else {}  # empty: {} (proto3 JSON)
    if len(rest) > len(page):
        token = json.dumps([scope, page[-1][0]]).encode()
        out["nextPageToken"] = base64.urlsafe_b64encode(token).decode().rstrip("=")
    return out


def _boolean(params: dict[str, list[str]], name: str) -> bool:
    raw = (params.get(name) or [""])[-1]
    if raw not in ("", "true", "false"):
        raise ValueError(f"Invalid value at '{_snake(name)}' (TYPE_BOOL), \"{raw}\"")
    return raw == "true"


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _retired(type_id: str) -> bool:
    """An earlier version of a current report type (``channel_basic_a2`` when a3 is current)."""
    base, _, version = type_id.rpartition("_a")
    current = next((t.id for t in REPORT_TYPES if t.id.rpartition("_a")[0] == base), None)
    return bool(current and version.isdigit() and 0 < int(version) < int(current.rpartition("_a")[2]))


def _time_param(params: dict[str, list[str]], name: str) -> datetime | None:
    raw = (params.get(name) or [""])[-1]
    if not raw:
        return None
    try:
        if not raw.endswith("Z") and not re.search(r"[+-][0-9]{2}:[0-9]{2}$", raw):
            raise ValueError(raw)
        return parse_rfc3339(raw)
    except ValueError:
        raise ValueError(
            f"Invalid value at '{name}' (type.googleapis.com/google.protobuf.Timestamp), Field '{name}', "
            "Illegal timestamp format; timestamps must end with 'Z' or have a valid timezone offset."
        ) from None


def _kept(
    report: Report,
    createdAfter: datetime | None,
    startTimeAtOrAfter: datetime | None,
    startTimeBefore: datetime | None,
) -> bool:
    return (
        (createdAfter is None or report.create_time > createdAfter)
        and (startTimeAtOrAfter is None or report.start_time >= startTimeAtOrAfter)
        and (startTimeBefore is None or report.start_time < startTimeBefore)
    )
