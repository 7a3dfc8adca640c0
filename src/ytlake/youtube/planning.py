"""Which Analytics requests a run makes: the fewest legal ones for its window.

Pure functions over declared reports, the channel's videos and the saved cursors; the
ingestion task supplies the state (from Bronze) and executes the plan.

Rules:
- the window ends at today (Pacific) minus the latency, or at ``end_date``;
- per report and scope (the channel, or one video) it starts at the cursor (the last day a
  previous run landed) minus ``lookback_days`` — restated days are pulled again — or, with
  no cursor, at ``start_date`` (default 90 days before today); never before a video's
  Pacific publish day;
- a ``range`` report is one request per scope for the whole window: Google caps no row
  count for one video's ``day`` / ``insightTrafficSourceType,day`` / ``deviceType,day``
  query. It is split only where Google documents a limit — the traffic source report's
  50,000 video-days per query (one video: 136 years) — or where ``chunk_days`` asks to;
- ``single_day`` reports are asked once per day that had views according to the report they
  take their days from (fetched first in the same run).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from ytlake.youtube.reports import ReportSpec

DEFAULT_START_DAYS = 90
#: Google refuses a traffic source query over more than this many video-days; the pipeline
#: asks one video per query, so this is the most days one request may cover.
MAX_VIDEO_DAYS = 50_000


@dataclass(frozen=True)
class VideoInfo:
    video_id: str
    published_day: date  # Pacific day of publication


@dataclass(frozen=True)
class Request:
    report: ReportSpec
    channel_id: str
    start: date
    end: date
    video_id: str | None = None

    @property
    def scope(self) -> str:
        return self.video_id or self.channel_id

    def params(self) -> dict[str, str]:
        return self.report.params(
            self.channel_id, self.start.isoformat(), self.end.isoformat(), self.video_id
        )


@dataclass(frozen=True)
class Window:
    default_start: date
    end: date


def window(
    today: date, latency_days: int, start_date: date | None = None, end_date: date | None = None
) -> Window:
    end = end_date or today - timedelta(days=latency_days)
    return Window(start_date or today - timedelta(days=DEFAULT_START_DAYS), end)


def scope_start(win: Window, cursor: date | None, lookback_days: int, not_before: date | None) -> date:
    start = cursor - timedelta(days=lookback_days) if cursor else win.default_start
    if not_before and start < not_before:
        start = not_before
    return start


def chunks(start: date, end: date, days: int | None = None) -> list[tuple[date, date]]:
    """``[start, end]`` cut into consecutive ranges of at most ``days`` days (default: as
    many as one query may cover, :data:`MAX_VIDEO_DAYS`)."""
    days = min(days or MAX_VIDEO_DAYS, MAX_VIDEO_DAYS)
    out = []
    cursor = start
    while cursor <= end:
        last = min(cursor + timedelta(days=days - 1), end)
        out.append((cursor, last))
        cursor = last + timedelta(days=1)
    return out


def range_requests(
    report: ReportSpec,
    channel_id: str,
    videos: Iterable[VideoInfo],
    win: Window,
    cursors: Mapping[str, date],
    lookback_days: int,
    chunk_days: int | None = None,
) -> list[Request]:
    """The requests of one ``range`` report for the channel or for each video: one per scope
    unless ``chunk_days`` (0 or None: no split) asks for smaller ranges."""
    scopes: list[tuple[str | None, date | None]] = (
        [(None, None)] if report.scope == "channel" else [(v.video_id, v.published_day) for v in videos]
    )
    out = []
    for video_id, published in scopes:
        key = video_id or channel_id
        start = scope_start(win, cursors.get(key), lookback_days, published)
        for first, last in chunks(start, win.end, chunk_days):
            out.append(Request(report, channel_id, first, last, video_id))
    return out


def single_day_requests(
    report: ReportSpec, channel_id: str, days_with_views: Mapping[str, Iterable[date]]
) -> list[Request]:
    """One request per video and day with views."""
    return [
        Request(report, channel_id, day, day, video_id)
        for video_id, days in days_with_views.items()
        for day in sorted(set(days))
    ]
