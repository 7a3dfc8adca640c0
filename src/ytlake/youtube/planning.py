"""Which Analytics requests a run makes: the fewest legal ones for its window.

Pure functions over declared reports, the channel's videos and what Bronze already covers;
the ingestion task supplies the state (from Bronze) and executes the plan.

Rules — coverage, not a high-water mark:
- the window ends at today (Pacific) minus the latency, or at ``end_date``;
- per report and scope (the channel, or one video) a request starts at the first day of
  the scope's planned range that no answer in Bronze covers (a gap left by a failed, cut or
  refused request, whatever landed after it), or ``lookback_days`` before the last covered
  day (restated days are pulled again), whichever is earlier; with nothing covered, at
  ``start_date`` (default 90 days before today). The planned range starts where the first
  answer for the scope started (or at an explicit, earlier ``start_date``: a backfill);
  never before a video's Pacific publish day;
- a ``range`` report is one request per scope for the whole window: Google caps no row
  count for one video's ``day`` / ``insightTrafficSourceType,day`` / ``deviceType,day``
  query. It is split only where Google documents a limit — the traffic source report's
  50,000 video-days per query (one video: 136 years) — or where ``chunk_days`` asks to;
- ``single_day`` reports are asked once per day that had views according to the report they
  take their days from (fetched first in the same run): every such day no answer covers,
  and again every such day the source report re-pulls this run (restatements);
- in hybrid mode, a day a landed Reporting API file covers (the report's ``bulk_type``) counts
  as covered (:func:`with_bulk`) and is never asked of v2: requests are cut around such days,
  so they ask the history before the first file and the recent days whose file has not come
  yet. Google restates a bulk day with a new file, so the lookback counts from the last day
  either source covers. A v2 day answered while provisional and followed at once by file days
  (a lakehouse that ran ``query`` and switched to ``hybrid`` weeks later) keeps that answer:
  ``--start-date`` asks it again.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
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
    start_given: bool = False  # an explicit start_date: a backfill may reach before the first answer


def window(
    today: date, latency_days: int, start_date: date | None = None, end_date: date | None = None
) -> Window:
    end = end_date or today - timedelta(days=latency_days)
    return Window(start_date or today - timedelta(days=DEFAULT_START_DAYS), end, start_date is not None)


@dataclass(frozen=True)
class Coverage:
    """The days of one scope that answers in Bronze cover: merged, sorted, disjoint ranges."""

    ranges: tuple[tuple[date, date], ...]
    first_asked: date  # the first day any answer for the scope asked (the planned range's start)

    @classmethod
    def of(cls, ranges: Iterable[tuple[date, date]], first_asked: date) -> Coverage:
        merged: list[tuple[date, date]] = []
        for first, last in sorted(r for r in ranges if r[0] <= r[1]):
            if merged and first <= merged[-1][1] + timedelta(days=1):
                merged[-1] = (merged[-1][0], max(merged[-1][1], last))
            else:
                merged.append((first, last))
        return cls(tuple(merged), first_asked)

    @property
    def last(self) -> date | None:
        """The last covered day (the old cursor), None when nothing is covered."""
        return self.ranges[-1][1] if self.ranges else None

    def first_gap(self, start: date, end: date) -> date | None:
        """The first day of ``[start, end]`` no range covers, or None."""
        day = start
        for first, last in self.ranges:
            if last < day:
                continue
            if first > day:
                break
            day = last + timedelta(days=1)
        return day if day <= end else None


def bulk_skip(report: ReportSpec, bulk_days: Mapping[str, Collection[date]]) -> frozenset[date]:
    """The days v2 need not be asked for ``report`` in hybrid mode: those a landed file of its
    ``bulk_type`` covers (``bulk_days``: report type -> days)."""
    return frozenset(bulk_days.get(report.bulk_type, ())) if report.bulk_type else frozenset()


def with_bulk(
    coverage: Mapping[str, Coverage], scopes: Iterable[str], bulk_days: Collection[date], win: Window
) -> dict[str, Coverage]:
    """Each scope's coverage with the days bulk files cover added (hybrid mode). A scope no v2
    answer covers yet starts its planned range where the window does."""
    if not bulk_days:
        return dict(coverage)
    runs = day_runs(bulk_days)
    out = dict(coverage)
    for scope in scopes:
        cov = coverage.get(scope)
        first = cov.first_asked if cov else win.default_start
        out[scope] = Coverage.of([*(cov.ranges if cov else ()), *runs], first)
    return out


def day_runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive days as ``(first, last)`` ranges, in order."""
    out: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if out and day == out[-1][1] + timedelta(days=1):
            out[-1] = (out[-1][0], day)
        else:
            out.append((day, day))
    return out


def scope_start(win: Window, coverage: Coverage | None, lookback_days: int, not_before: date | None) -> date:
    """Where a scope's request starts: the first uncovered day of its planned range, or
    ``lookback_days`` before the last covered day, whichever is earlier."""
    if coverage is None:
        start = win.default_start
    elif coverage.last is None:  # asked, never answered (refused, cut): from the first day asked
        start = min(win.default_start, coverage.first_asked)
    else:
        planned = coverage.first_asked
        if win.start_given:
            planned = min(planned, win.default_start)
        if not_before and planned < not_before:
            planned = not_before
        start = coverage.last - timedelta(days=lookback_days)
        gap = coverage.first_gap(planned, min(start - timedelta(days=1), win.end))
        if gap is not None:
            start = gap
    if not_before and start < not_before:
        start = not_before
    return start


def chunks(
    start: date, end: date, days: int | None = None, skip: Collection[date] = frozenset()
) -> list[tuple[date, date]]:
    """``[start, end]`` without the days in ``skip``, cut into consecutive ranges of at most
    ``days`` days (default: as many as one query may cover, :data:`MAX_VIDEO_DAYS`)."""
    days = min(days or MAX_VIDEO_DAYS, MAX_VIDEO_DAYS)
    skipped = sorted(d for d in skip if start <= d <= end)
    out = []
    cursor = start
    while cursor <= end:
        if cursor in skip:
            cursor += timedelta(days=1)
            continue
        last = min(cursor + timedelta(days=days - 1), end)
        stop = next((d for d in skipped if cursor < d <= last), None)
        if stop is not None:
            last = stop - timedelta(days=1)
        out.append((cursor, last))
        cursor = last + timedelta(days=1)
    return out


def range_requests(
    report: ReportSpec,
    channel_id: str,
    videos: Iterable[VideoInfo],
    win: Window,
    coverage: Mapping[str, Coverage],
    lookback_days: int,
    chunk_days: int | None = None,
    skip: Collection[date] = frozenset(),
) -> list[Request]:
    """The requests of one ``range`` report for the channel or for each video: one per scope
    unless ``chunk_days`` (0 or None: no split) asks for smaller ranges, or days to ``skip``
    (covered by bulk files) cut the range."""
    scopes: list[tuple[str | None, date | None]] = (
        [(None, None)] if report.scope == "channel" else [(v.video_id, v.published_day) for v in videos]
    )
    out = []
    for video_id, published in scopes:
        key = video_id or channel_id
        start = scope_start(win, coverage.get(key), lookback_days, published)
        for first, last in chunks(start, win.end, chunk_days, skip):
            out.append(Request(report, channel_id, first, last, video_id))
    return out


def snapshot_requests(
    report: ReportSpec,
    channel_id: str,
    videos: Iterable[VideoInfo],
    win: Window,
    coverage: Mapping[str, Coverage],
) -> list[Request]:
    """The requests of one ``snapshot`` report (a whole life in one answer, such as a video's
    audience retention): a video published by the window's end is asked from its publish day
    to the window's end when no answer reaches within ``refresh_days`` of that end (weekly, for
    a curve that changes slowly and costs a request per video; monthly for the video's format).
    An answer without rows for a video younger than four weeks (no views yet) covers nothing:
    such a video is asked every run until it has views or is four weeks old
    (``ingest_state.YOUNG_DAYS``)."""
    out = []
    for v in videos:
        if v.published_day is None or v.published_day > win.end:
            continue
        cov = coverage.get(v.video_id)
        last = cov.last if cov is not None else None
        if last is None or (win.end - last).days >= report.refresh_days:
            out.append(Request(report, channel_id, v.published_day, win.end, v.video_id))
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


def single_days_to_ask(
    win: Window,
    videos: Iterable[VideoInfo],
    days_with_views: Mapping[str, set[date]],
    asked: Mapping[str, set[date]],
    source_starts: Mapping[str, date],
) -> dict[str, set[date]]:
    """Per video, the days a ``single_day`` report asks: each day with views (by its source
    report, any run) up to the window's end that no answer covers yet, and each day with views
    from where the source report starts this run (``source_starts``: its days may be restated)."""
    out = {}
    for v in videos:
        again_from = source_starts.get(v.video_id, win.end + timedelta(days=1))
        done = asked.get(v.video_id, set())
        out[v.video_id] = {
            d
            for d in days_with_views.get(v.video_id, set())
            if v.published_day <= d <= win.end and (d >= again_from or d not in done)
        }
    return out
