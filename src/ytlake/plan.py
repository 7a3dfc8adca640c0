"""``ytlake plan``: what the next run will ask Google for, before spending anything.

The plan is computed from Bronze alone (the videos known and not gone, what answers already
cover, the days with views already known) with the same planning functions the ingestion
task uses. New
uploads since the last run, and the country requests for days not seen yet, are estimated
(one country request per new day per video: an upper bound).
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from ytlake.lakehouse import DuckDBEngine
from ytlake.tasks.bulk import v2_coverage
from ytlake.tasks.ingest_state import covered_days, days_with_views, granted_scopes, known_videos, pacific_day
from ytlake.youtube.data_api import MAX_PAGE, DataApi, uploads_playlist_id
from ytlake.youtube.endpoints import MONETARY_SCOPE, ApiRoot
from ytlake.youtube.http import GoogleApiError, GoogleHttp
from ytlake.youtube.planning import (
    VideoInfo,
    Window,
    bulk_skip,
    chunks,
    range_requests,
    scope_start,
    single_days_to_ask,
    snapshot_requests,
    window,
)
from ytlake.youtube.reports import REPORTS_BY_NAME, reports_to_ask


@dataclass
class Plan:
    today: date
    window_end: date
    videos: int | None  # None: unknown (no earlier run in this lakehouse)
    data_api_units: dict[str, int] = field(default_factory=dict)
    analytics_requests: dict[str, int] = field(default_factory=dict)
    reporting_requests: dict[str, int] = field(default_factory=dict)  # bulk and hybrid modes
    notes: list[str] = field(default_factory=list)
    #: per channel: its Data API units, Analytics and Reporting requests (one project's quota
    #: serves them all: the totals above are what the project spends)
    channels: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, channel_id: str, part: Plan) -> None:
        """Add one channel's plan to the totals."""
        for mine, theirs in (
            (self.data_api_units, part.data_api_units),
            (self.analytics_requests, part.analytics_requests),
            (self.reporting_requests, part.reporting_requests),
        ):
            for name, n in theirs.items():
                mine[name] = mine.get(name, 0) + n
        self.channels[channel_id] = {
            "data_api_units": sum(part.data_api_units.values()),
            "analytics_requests": sum(part.analytics_requests.values()),
            "reporting_requests": sum(part.reporting_requests.values()),
        }
        self.videos = (self.videos or 0) + (part.videos or 0)
        self.notes.extend(n for n in part.notes if n not in self.notes)

    @property
    def total(self) -> int:
        return (
            sum(self.data_api_units.values())
            + sum(self.analytics_requests.values())
            + sum(self.reporting_requests.values())
        )

    def seconds(self, requests_per_second: float | None, concurrency: int, latency_s: float = 0.25) -> float:
        """Time at the configured pace: the client limit, or concurrency / a typical latency."""
        rate = requests_per_second or concurrency / latency_s
        return self.total / rate


@dataclass
class Uploads:
    """The channel and its uploads as the Data API lists them (a few units: one per page)."""

    channel_id: str
    videos: list[VideoInfo]
    units: int
    monetary: bool = False  # the token may read revenue: the revenue reports are asked


def list_uploads(http: GoogleHttp, root: ApiRoot) -> Uploads:
    """``channels.list(mine=true)`` and every page of the uploads playlist, with each video's
    Pacific publish day (``contentDetails.videoPublishedAt``)."""
    api = DataApi(http, root.data_api)
    channel_id, playlist = uploads_playlist_id(api.my_channel())
    videos, units = [], 1
    try:
        for page in api.playlist_pages(playlist):
            units += 1
            for item in (page.json or {}).get("items") or []:
                details = item.get("contentDetails") or {}
                with contextlib.suppress(KeyError, TypeError, ValueError):
                    videos.append(VideoInfo(details["videoId"], pacific_day(details["videoPublishedAt"])))
    except GoogleApiError as err:
        if err.status != 404 or err.reason != "playlistNotFound":
            raise
        units += 1  # a channel that never uploaded
    return Uploads(channel_id, videos, units, MONETARY_SCOPE in http.oauth.granted_scopes())


def first_run_plan(
    plan: Plan, win: Window, chunk_days: int | None, uploads: Uploads, analytics_mode: str = "hybrid"
) -> Plan:
    """A first run's requests, from the listed uploads: every range report once per scope
    from the window's start (or the publish day); country at most one request per video-day."""
    videos = [v for v in uploads.videos if v.published_day <= win.end]
    plan.videos = len(uploads.videos)
    plan.data_api_units = {
        "channels.list": 1,
        "playlistItems.list": max(1, math.ceil(len(uploads.videos) / MAX_PAGE)),
        "videos.list": math.ceil(len(uploads.videos) / MAX_PAGE),
    }
    for report in reports_to_ask(analytics_mode, uploads.monetary):
        if report.grain == "range":
            reqs = range_requests(report, uploads.channel_id, videos, win, {}, 0, chunk_days)
            plan.analytics_requests[report.name] = len(reqs)
        elif report.grain == "snapshot":
            plan.analytics_requests[report.name] = len(
                snapshot_requests(report, uploads.channel_id, videos, win, {})
            )
        else:
            plan.analytics_requests[report.name] = sum(
                (win.end - max(win.default_start, v.published_day)).days + 1 for v in videos
            )
    plan.notes.append(
        f"first run: listed the channel {uploads.channel_id} and its uploads to plan it "
        f"({uploads.units} Data API unit(s) spent); country requests are an upper bound (days with views)"
    )
    return plan


def _by_mode(
    plan: Plan, analytics_mode: str, lakehouse: Path, catalog: str, today: date, channel_id: str | None = None
) -> Plan:
    """The v2 plan as ``--analytics-mode`` changes it: bulk asks v2 nothing; bulk and hybrid
    add the Reporting API's requests (``channel_id``'s jobs and files)."""
    if analytics_mode == "bulk":
        plan.analytics_requests = {}
    if analytics_mode in ("bulk", "hybrid"):
        plan.reporting_requests, note = bulk_requests(lakehouse, catalog, today, channel_id)
        plan.notes.append(note)
    return plan


def bulk_requests(
    lakehouse: Path, catalog: str, today: date, channel_id: str | None = None
) -> tuple[dict[str, int], str]:
    """A channel's Reporting API requests of the next run, from its files landed so far: one
    jobs listing, a create per type without a landed file (at most: its job may exist), a
    reports listing per type, and an upper bound of the downloads."""
    from ytlake.tasks.bulk import HISTORY_DAYS, LISTED_DAYS, landed_files
    from ytlake.youtube.reporting_api import BULK_REPORT_TYPES

    last: dict[str, date] = {}
    if Path(lakehouse).is_file():
        with DuckDBEngine(lakehouse, catalog, read_only=True) as engine:
            for report_type, day in landed_files(engine, channel_id).values():
                last[report_type] = max(day, last.get(report_type, day))
    new = [t for t in BULK_REPORT_TYPES if t not in last]
    # an upper bound: a type with a landed file gets at most two files a day since (the day and
    # its restatement); one without may find everything Google still lists (60 days of daily
    # files, each possibly restated, and 30 historical ones)
    downloads = sum(2 * max(0, (today - last[t]).days) for t in BULK_REPORT_TYPES if t in last)
    downloads += len(new) * (2 * LISTED_DAYS + HISTORY_DAYS)
    out = {
        "jobs.list": 1,
        "jobs.create": len(new),
        "jobs.reports.list": len(BULK_REPORT_TYPES),
        "media.download": downloads,
    }
    note = (
        "bulk: downloads are an upper bound (two a day since each type's last landed file; everything "
        "Google can list for a type without one; a new job's first files come ~48 hours later)"
    )
    return out, note


def plan_next_run(
    lakehouse: Path,
    catalog: str,
    today: date,
    start_date: date | None,
    end_date: date | None,
    lookback_days: int,
    latency_days: int,
    chunk_days: int | None = None,
    list_channel: Callable[[], list[Uploads]] | None = None,
    analytics_mode: str = "hybrid",
) -> Plan:
    """The next run's requests, per channel and in total (one project's quota serves every
    channel). On a first run (nothing in Bronze yet) ``list_channel`` lists each channel's
    uploads (a few Data API units) and the plan is estimated from them."""
    win = window(today, latency_days, start_date, end_date)
    plan = Plan(today, win.end, None)
    first = not Path(lakehouse).is_file()
    if not first:
        with DuckDBEngine(lakehouse, catalog, read_only=True) as engine:
            first = not engine.table_exists("bronze.channels_raw") or engine.count("bronze.channels_raw") == 0
    if first:
        if list_channel is not None:
            for uploads in list_channel():
                part = first_run_plan(Plan(today, win.end, None), win, chunk_days, uploads, analytics_mode)
                plan.add(uploads.channel_id, _by_mode(part, analytics_mode, lakehouse, catalog, today))
            return plan
        plan.notes.append("no lakehouse yet: a first run lists the channel to learn its videos")
        plan.data_api_units = {"channels.list": 1, "playlistItems.list": 1, "videos.list": 1}
        plan.analytics_requests = {"channel_daily": len(chunks(win.default_start, win.end, chunk_days))}
        return _by_mode(plan, analytics_mode, lakehouse, catalog, today)
    with DuckDBEngine(lakehouse, catalog, read_only=True) as engine:
        channel_ids = _channels_of(engine)
        known = known_videos(engine)
        for channel_id in channel_ids:
            part = _channel_plan(
                engine,
                Plan(today, win.end, None),
                win,
                channel_id,
                known.of(channel_id).alive,
                lookback_days,
                chunk_days,
                analytics_mode,
            )
            plan.add(channel_id, _by_mode(part, analytics_mode, lakehouse, catalog, today, channel_id))
    return plan


def _channels_of(engine) -> list[str]:
    """The channels the lakehouse pulls (recorded at their first run), else the channels its
    channels.list answers name."""
    from ytlake import identity

    registered = identity.registered(engine, "channel")
    if registered:
        return registered
    out: list[str] = []
    rows = engine.query(
        f"SELECT payload FROM {engine.qualify('bronze.channels_raw')} ORDER BY ingest_ts_utc"
    ).to_pylist()
    for row in rows:
        items = (json.loads(row["payload"]).get("body") or {}).get("items") or []
        if items and items[0]["id"] not in out:
            out.append(items[0]["id"])
    return out or ["UC?"]


def _channel_plan(
    engine,
    plan: Plan,
    win: Window,
    channel_id: str,
    videos: list[VideoInfo],
    lookback_days: int,
    chunk_days: int | None,
    analytics_mode: str,
) -> Plan:
    """One channel's next run, from what Bronze holds of it."""
    plan.videos = len(videos)
    pages = max(1, math.ceil(len(videos) / MAX_PAGE))
    plan.data_api_units = {"channels.list": 1, "playlistItems.list": pages, "videos.list": pages}
    # hybrid: the days landed bulk files cover are not asked of v2 (as in the task)
    # revenue: asked when the latest recorded grant holds the monetary scope (as the task)
    reports = reports_to_ask(analytics_mode, MONETARY_SCOPE in (granted_scopes(engine, channel_id) or ()))
    if len(reports) < len(reports_to_ask(analytics_mode, True)):
        plan.notes.append(
            "revenue: not authorised (the token lacks the monetary scope; `ytlake auth --monetary`)"
        )
    covered, bulk_days = v2_coverage(
        engine, reports, "~none~", channel_id, [v.video_id for v in videos], win, analytics_mode
    )
    for report in reports:
        if report.grain == "range":
            reqs = range_requests(
                report,
                channel_id,
                videos,
                win,
                covered[report.name],
                lookback_days,
                chunk_days,
                bulk_skip(report, bulk_days),
            )
            plan.analytics_requests[report.name] = len(reqs)
        elif report.grain == "snapshot":
            plan.analytics_requests[report.name] = len(
                snapshot_requests(report, channel_id, videos, win, covered[report.name])
            )
    for report in reports:
        if report.grain != "single_day":
            continue
        source = REPORTS_BY_NAME[report.days_from or ""]
        source_starts = {
            v.video_id: scope_start(win, covered[source.name].get(v.video_id), lookback_days, v.published_day)
            for v in videos
        }
        known = single_days_to_ask(
            win,
            videos,
            days_with_views(engine, source),
            {v.video_id: covered_days(covered[report.name].get(v.video_id)) for v in videos},
            source_starts,
        )
        skip = bulk_skip(report, bulk_days)
        total = sum(len(days - skip) for days in known.values())
        for v in videos:  # days the source report has not answered yet: each may have views
            last = (covered[source.name].get(v.video_id) or None) and covered[source.name][v.video_id].last
            first_new = max(last + timedelta(days=1), v.published_day) if last else source_starts[v.video_id]
            total += sum(
                1 for i in range((win.end - first_new).days + 1) if first_new + timedelta(days=i) not in skip
            )
        plan.analytics_requests[report.name] = total
    plan.notes.append(
        "uploads since the last run are not counted; country requests for new days are an upper bound"
    )
    return plan
