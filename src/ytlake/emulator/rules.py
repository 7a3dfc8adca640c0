"""Which Analytics queries Google supports, and how the emulator answers them.

The supported shapes follow Google's channel-report tables (see the reference facts):
``day`` (R2), ``insightTrafficSourceType[,day]`` (R6), ``deviceType[,day]`` (R7),
``country`` without a time dimension (R3), and top videos ``video`` with a descending
sort and ``maxResults <= 200`` (R11) — each for the channel or with ``filters=video==ID``
(top videos: channel only). Anything else is Google's 400 "The query is not supported".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ytlake.emulator.world import ZERO, DayMetrics, Video, World

#: Metric name -> DayMetrics attribute (or property).
METRICS: dict[str, str] = {
    "views": "views",
    "estimatedMinutesWatched": "estimated_minutes_watched",
    "averageViewDuration": "average_view_duration",
    "likes": "likes",
    "comments": "comments",
    "shares": "shares",
    "subscribersGained": "subscribers_gained",
    "subscribersLost": "subscribers_lost",
}
#: Metrics Google knows but the emulator's world does not model: accepted names, 400 otherwise.
KNOWN_UNMODELLED = {
    "engagedViews",
    "redViews",
    "dislikes",
    "averageViewPercentage",
    "estimatedRevenue",
    "videosAddedToPlaylists",
    "videosRemovedFromPlaylists",
    "cardClicks",
    "cardImpressions",
    "estimatedRedMinutesWatched",
}
DIMENSIONS = {
    "day",
    "month",
    "video",
    "country",
    "insightTrafficSourceType",
    "deviceType",
    "operatingSystem",
    "ageGroup",
    "gender",
    "province",
    "city",
    "continent",
    "subContinent",
    "creatorContentType",
    "subscribedStatus",
    "liveOrOnDemand",
    "youtubeProduct",
    "insightPlaybackLocationType",
    "insightTrafficSourceDetail",
    "sharingService",
    "playlist",
    "channel",
    "elapsedVideoTimeRatio",
    "audienceType",
    "adType",
}

CORE = frozenset(METRICS)
TRAFFIC_DEVICE = frozenset({"views", "estimatedMinutesWatched", "averageViewDuration"})
TOP_VIDEO_SORTS = frozenset({"views", "estimatedMinutesWatched", "subscribersGained", "subscribersLost"})


@dataclass(frozen=True)
class Shape:
    breakdown: str | None  # world breakdown kind feeding the non-day dimension
    metrics: frozenset[str]
    video_filter: bool = True  # whether filters=video==ID is allowed


SHAPES: dict[frozenset[str], Shape] = {
    frozenset({"day"}): Shape(None, CORE),
    frozenset({"insightTrafficSourceType", "day"}): Shape("traffic", TRAFFIC_DEVICE),
    frozenset({"insightTrafficSourceType"}): Shape("traffic", TRAFFIC_DEVICE),
    frozenset({"deviceType", "day"}): Shape("device", TRAFFIC_DEVICE),
    frozenset({"deviceType"}): Shape("device", TRAFFIC_DEVICE),
    frozenset({"country"}): Shape("country", CORE),
    frozenset({"video"}): Shape(None, CORE, video_filter=False),
}
_DIMENSION_OF = {"traffic": "insightTrafficSourceType", "device": "deviceType", "country": "country"}


class QueryError(ValueError):
    """An unsupported or invalid query; ``kind`` picks Google's error."""

    def __init__(self, kind: str, message: str = "") -> None:
        super().__init__(message or kind)
        self.kind = kind


@dataclass
class Query:
    start: date
    end: date
    metrics: list[str]
    dimensions: list[str]
    videos: list[Video] | None  # None: the whole channel
    sort: list[str]
    max_results: int | None
    start_index: int


def check_shape(q: Query) -> Shape:
    """Raise :class:`QueryError` unless Google supports this query shape."""
    for m in q.metrics:
        if m not in METRICS and m not in KNOWN_UNMODELLED:
            raise QueryError("unknown", f"Unknown identifier ({m}) given in field parameters.metrics.")
    for d in q.dimensions:
        if d not in DIMENSIONS:
            raise QueryError("unknown", f"Unknown identifier ({d}) given in field parameters.dimensions.")
    if len(set(q.dimensions)) != len(q.dimensions):
        raise QueryError("unsupported")
    shape = SHAPES.get(frozenset(q.dimensions)) if q.dimensions else Shape(None, CORE)
    if shape is None or any(m not in shape.metrics for m in q.metrics):
        raise QueryError("unsupported")
    if q.videos is not None and not shape.video_filter:
        raise QueryError("unsupported")
    allowed_sort = set(q.dimensions) | set(q.metrics)
    for key in q.sort:
        if key.lstrip("-") not in allowed_sort:
            raise QueryError("unsupported")
    if q.dimensions == ["video"]:
        if not q.sort or not all(k.startswith("-") and k[1:] in TOP_VIDEO_SORTS for k in q.sort):
            raise QueryError("unsupported")
        if q.max_results is None or q.max_results > 200:
            raise QueryError("unsupported")
    return shape


def _days(start: date, last: date) -> Iterable[date]:
    day = start
    while day <= last:
        yield day
        day += timedelta(days=1)


def _value(m: DayMetrics, name: str) -> int:
    return int(getattr(m, METRICS[name])) if name in METRICS else 0


def answer(world: World, channel_index: int, q: Query) -> tuple[list[dict[str, str]], list[list[Any]]]:
    """``(columnHeaders, rows)`` for a supported query."""
    shape = check_shape(q)
    last = min(q.end, world.available_through)
    videos = q.videos
    if videos is None:
        videos = [v for v in world.videos if v.channel_index == channel_index]
    totals: dict[tuple[str, ...], DayMetrics] = {}
    has_day = "day" in q.dimensions
    if has_day and shape.breakdown is None:  # dense day series, zeros included
        for day in _days(q.start, last):
            totals[(day.isoformat(),)] = ZERO
    channel_scope = q.videos is None and "video" not in q.dimensions
    for day in _days(q.start, last):
        if channel_scope:  # whole-channel totals, cached per day in the world
            if shape.breakdown is None:
                per_video = [("", {"": world.observed_channel_day(channel_index, day)})]
            else:
                per_video = [("", world.channel_breakdown(shape.breakdown, channel_index, day))]
        elif shape.breakdown is None:
            per_video = [(v.video_id, {"": world.observed_video_day(v, day)}) for v in videos]
        else:
            per_video = [(v.video_id, world.breakdown(shape.breakdown, v, day)) for v in videos]
        for video_id, parts in per_video:
            for category, m in parts.items():
                if not has_day and m.views == 0 and m.estimated_minutes_watched == 0:
                    continue
                values = {"day": day.isoformat(), "video": video_id}
                if shape.breakdown is not None:
                    values[_DIMENSION_OF[shape.breakdown]] = category
                key = tuple(values[d] for d in q.dimensions)
                totals[key] = totals.get(key, ZERO) + m
    if not q.dimensions:
        total = sum(totals.values(), ZERO)
        totals = {(): total} if (total.views or total.estimated_minutes_watched) else {}
    rows = [[*key, *(_value(m, name) for name in q.metrics)] for key, m in totals.items()]
    columns = [*q.dimensions, *q.metrics]
    rows.sort(key=lambda r: tuple(r[: len(q.dimensions)]))
    for key in reversed(q.sort):
        idx = columns.index(key.lstrip("-"))
        rows.sort(key=lambda r, i=idx: r[i], reverse=key.startswith("-"))
    first = max(q.start_index, 1) - 1
    rows = rows[first:]
    if q.max_results is not None:
        rows = rows[: q.max_results]
    headers = [{"name": d, "columnType": "DIMENSION", "dataType": "STRING"} for d in q.dimensions]
    headers += [{"name": m, "columnType": "METRIC", "dataType": "INTEGER"} for m in q.metrics]
    return headers, rows
