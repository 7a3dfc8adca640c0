"""Which Analytics queries Google supports, and how the emulator answers them.

The supported shapes follow Google's channel-report tables (see the reference facts):
``day`` (R2), ``insightTrafficSourceType[,day]`` (R6), ``deviceType[,day]`` (R7),
``country`` without a time dimension (R3), top videos ``video`` with a descending sort and
``maxResults <= 200`` (R11), demographics ``ageGroup[,gender]`` with ``viewerPercentage``
and no time dimension (R8), and ad performance ``adType[,day]`` (R12, monetary scope) —
each for the channel or with ``filters=video==ID`` (top videos: channel only).
Anything else is Google's 400 "The query is not supported".
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, NamedTuple

from ytlake.emulator.world import PACIFIC, ZERO, DayMetrics, Video, World

#: Metric name -> DayMetrics attribute (or property): the metrics the world models.
METRICS: dict[str, str] = {
    "views": "views",
    "engagedViews": "engaged_views",
    "estimatedMinutesWatched": "estimated_minutes_watched",
    "averageViewDuration": "average_view_duration",
    "likes": "likes",
    "comments": "comments",
    "shares": "shares",
    "subscribersGained": "subscribers_gained",
    "subscribersLost": "subscribers_lost",
    "videosAddedToPlaylists": "playlist_adds",
    "videosRemovedFromPlaylists": "playlist_removals",
}
#: Core metrics Google documents for channel reports that the world does not model: accepted
#: where Google accepts them, answered as 0.
KNOWN_UNMODELLED = frozenset(
    {
        "redViews",
        "dislikes",
        "averageViewPercentage",
        "estimatedRedMinutesWatched",
        "cardImpressions",
        "cardClicks",
        "cardClickRate",
        "cardTeaserImpressions",
        "cardTeaserClicks",
        "cardTeaserClickRate",
    }
)
#: Revenue and ad metrics -> DayMetrics attribute: they need the yt-analytics-monetary.readonly
#: scope (and a partner channel); without it Google answers 403 Forbidden. Money is kept in
#: micros and answered in the currency's units (FLOAT), rounded to 1/1000 as Google's are.
MONETARY_METRICS: dict[str, str] = {
    "estimatedRevenue": "estimated_revenue_micros",
    "estimatedAdRevenue": "ad_revenue_micros",
    "grossRevenue": "gross_revenue_micros",
    "estimatedRedPartnerRevenue": "premium_revenue_micros",
    "monetizedPlaybacks": "monetized_playbacks",
    "playbackBasedCpm": "playback_based_cpm_micros",
    "adImpressions": "ad_impressions",
    "cpm": "cpm_micros",
}
MONETARY = frozenset(MONETARY_METRICS)
#: The monetary metrics that are counts, not money (INTEGER).
_MONETARY_COUNTS = frozenset({"monetizedPlaybacks", "adImpressions"})
#: The audience retention report (elapsedVideoTimeRatio, one video): its metrics (FLOAT).
RETENTION = frozenset({"audienceWatchRatio", "relativeRetentionPerformance"})
#: The ad performance report (adType): Google's metrics for it.
AD_PERFORMANCE = frozenset({"grossRevenue", "adImpressions", "cpm"})
#: The demographics report (ageGroup, gender): its only metric, a percentage of the viewers.
DEMOGRAPHICS = frozenset({"viewerPercentage"})
#: The metrics answered as FLOAT (the others are INTEGER): money, ratios and percentages.
FLOAT_METRICS = RETENTION | DEMOGRAPHICS | (MONETARY - _MONETARY_COUNTS)
#: Extra days of lag per metric beyond the world's latency. Google: an answer contains data
#: "up until the last day for which all metrics in the query are available", so a report
#: asking for subscribers or engaged views ends a day before one asking for views alone.
METRIC_EXTRA_LAG: dict[str, int] = {
    "engagedViews": 1,
    "subscribersGained": 1,
    "subscribersLost": 1,
    "averageViewPercentage": 1,
    "redViews": 1,
    "estimatedRedMinutesWatched": 1,
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

#: Google's CORE metric set of the channel reports (basic, time-based, geography, top videos).
CORE = frozenset(METRICS) | KNOWN_UNMODELLED
#: Traffic source and device reports: views, watch time and engaged views (average view
#: duration and percentage are accepted in practice, though undocumented).
TRAFFIC_DEVICE = frozenset(
    {"views", "engagedViews", "estimatedMinutesWatched", "averageViewDuration", "averageViewPercentage"}
)
TOP_VIDEO_SORTS = frozenset(
    {
        "views",
        "engagedViews",
        "estimatedMinutesWatched",
        "subscribersGained",
        "subscribersLost",
        "estimatedRevenue",
    }
)
#: The traffic source report refuses more than this many video-days in one query.
MAX_TRAFFIC_VIDEO_DAYS = 50_000


@dataclass(frozen=True)
class Irregularities:
    """How Google's answers differ from an ideal table; each is a flag of ``emulator serve``.

    - ``privacy_threshold``: breakdown rows (country, traffic source, device) with fewer views
      than this are withheld ("data might be limited if the number of views does not meet the
      minimum thresholds"); daily totals stay whole. 0 withholds nothing.
    - ``metric_latency``: each metric has its own lag (``METRIC_EXTRA_LAG``); an answer ends at
      the last day on which every metric asked is available.
    - ``sparse_days``: days without activity are absent from ``day`` answers, not zero rows.
    - ``shuffle_columns``: columns come in another order than asked, headers matching (Google
      documents dimensions-then-metrics in request order, but tells clients to read
      ``columnHeaders``; off by default).
    """

    privacy_threshold: int = 5
    metric_latency: bool = True
    sparse_days: bool = True
    shuffle_columns: bool = False

    @classmethod
    def exact(cls) -> Irregularities:
        """The ideal world: every row, dense days, one availability date, columns as asked."""
        return cls(privacy_threshold=0, metric_latency=False, sparse_days=False, shuffle_columns=False)

    @classmethod
    def chosen(cls, exact: bool = False, **flags: int | bool | None) -> Irregularities:
        """Google-like (or, with ``exact``, the ideal world), then each flag given (not None)."""
        base = cls.exact() if exact else cls()
        return replace(base, **{k: v for k, v in flags.items() if v is not None})


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
    frozenset({"elapsedVideoTimeRatio"}): Shape("retention", RETENTION),
    frozenset({"adType", "day"}): Shape("ad_type", AD_PERFORMANCE),
    frozenset({"adType"}): Shape("ad_type", AD_PERFORMANCE),
    frozenset({"ageGroup", "gender"}): Shape("demographics", DEMOGRAPHICS),
    frozenset({"ageGroup"}): Shape("demographics", DEMOGRAPHICS),
    frozenset({"gender"}): Shape("demographics", DEMOGRAPHICS),
}
#: ``creatorContentType`` (SHORTS, LIVE_STREAM, VIDEO_ON_DEMAND, ...) can be added to the time
#: based, geography, top video, traffic source and device reports (Google's dimension tables),
#: and to retention and demographics, which the emulator does not model with it (it refuses
#: them, stricter than Google, never kinder; so it does beside ad types, as Google does).
#: Alone it is the playback details report, whose metrics leave out comments, subscribers and
#: money.
CONTENT_TYPE = "creatorContentType"
_TYPED = frozenset({None, "traffic", "device", "country"})
_NOT_PLAYBACK = frozenset({"comments", "subscribersGained", "subscribersLost"}) | MONETARY
_DIMENSION_OF = {
    "traffic": "insightTrafficSourceType",
    "device": "deviceType",
    "country": "country",
    "ad_type": "adType",
}


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
    monetary_scope: bool = False  # the token carries yt-analytics-monetary.readonly
    partner: bool = True  # the channel is in the YouTube Partner Program


def check_shape(q: Query) -> Shape:
    """Raise :class:`QueryError` unless Google supports this query shape."""
    for m in q.metrics:
        if m not in CORE and m not in MONETARY and m not in RETENTION and m not in DEMOGRAPHICS:
            raise QueryError("unknown", f"Unknown identifier ({m}) given in field parameters.metrics.")
    for d in q.dimensions:
        if d not in DIMENSIONS:
            raise QueryError("unknown", f"Unknown identifier ({d}) given in field parameters.dimensions.")
    if len(set(q.dimensions)) != len(q.dimensions) or len(set(q.metrics)) != len(q.metrics):
        raise QueryError("unsupported")
    if any(m in MONETARY for m in q.metrics) and not (q.monetary_scope and q.partner):
        raise QueryError("forbidden", "Forbidden")
    base = [d for d in q.dimensions if d != CONTENT_TYPE]  # a content type may split most reports
    shape = SHAPES.get(frozenset(base)) if base else Shape(None, CORE)
    if shape is None or (CONTENT_TYPE in q.dimensions and shape.breakdown not in _TYPED):
        raise QueryError("unsupported")
    if not base and CONTENT_TYPE in q.dimensions and any(m in _NOT_PLAYBACK for m in q.metrics):
        raise QueryError("unsupported")  # the playback details report: no comments, subscribers, money
    allowed = shape.metrics | MONETARY if shape.metrics == CORE else shape.metrics  # revenue: core reports
    if any(m not in allowed for m in q.metrics):
        raise QueryError("unsupported")
    if q.videos is not None and not shape.video_filter:
        raise QueryError("unsupported")
    if shape.breakdown == "retention" and (q.videos is None or len(q.videos) != 1):
        raise QueryError("unsupported")  # filters=video==<one id> is required
    allowed_sort = set(q.dimensions) | set(q.metrics)
    for key in q.sort:
        if key.lstrip("-") not in allowed_sort:
            raise QueryError("unsupported")
    if base == ["video"]:  # top videos, with or without their content type
        if not q.sort or not all(k.startswith("-") and k[1:] in TOP_VIDEO_SORTS for k in q.sort):
            raise QueryError("unsupported")
        if q.max_results is None or q.max_results > 200:
            raise QueryError("unsupported")
    if shape.breakdown == "traffic" and q.videos is not None:
        video_days = len(q.videos) * ((q.end - q.start).days + 1)
        if len(q.videos) > 1 and video_days > MAX_TRAFFIC_VIDEO_DAYS:
            raise QueryError(
                "invalid",
                f"The query covers {video_days} video-days; the traffic source report allows at most "
                f"{MAX_TRAFFIC_VIDEO_DAYS}.",
            )
    return shape


def _days(start: date, last: date) -> Iterable[date]:
    day = start
    while day <= last:
        yield day
        day += timedelta(days=1)


def _value(m: DayMetrics, name: str) -> int | float:
    if name in MONETARY_METRICS:
        value = getattr(m, MONETARY_METRICS[name])
        return int(value) if name in _MONETARY_COUNTS else round(value / 1_000_000, 3)
    return int(getattr(m, METRICS[name])) if name in METRICS else 0


def _data_type(name: str) -> str:
    return "FLOAT" if name in FLOAT_METRICS else "INTEGER"


def available_through(world: World, metrics: Iterable[str], irregular: Irregularities) -> date:
    """The last day an answer asking for ``metrics`` can contain."""
    lag = max((METRIC_EXTRA_LAG.get(m, 0) for m in metrics), default=0) if irregular.metric_latency else 0
    return world.available_through - timedelta(days=lag)


class AnswerDays(NamedTuple):
    """The days an answer's rows can lie on, whatever range was asked."""

    first_row: date  # a dense day series (the ideal world) starts here: the channel exists
    first_activity: date  # no figure of the world is non-zero before this day
    last: date  # the last day every metric asked is available


def answer_days(world: World, channel_index: int, q: Query, irregular: Irregularities) -> AnswerDays:
    """Where the rows of an answer to ``q`` can lie.

    Google documents no lower bound for ``startDate`` (``startDate=2000-01-01`` is a common
    "whole history" query) and answers such a range with the days that have data: the answer
    ends at the last day every metric asked is available (reports.query, ``endDate``; an
    ``endDate`` of 9999-12-31 is cut there), and a channel has no days before it existed. So
    the emulator answers an absurd range, never refuses it, and generates rows only for the
    world's own days: no video is published before ``world.start`` (no activity before it),
    and a dense day series begins on the channel's creation day. A 2,000-year range costs
    what the world's history costs, not 730,000 days of work.
    """
    created = world.channel(channel_index).published_at.astimezone(PACIFIC).date()
    return AnswerDays(
        first_row=max(q.start, min(created, world.start)),
        first_activity=max(q.start, world.start),
        last=min(q.end, available_through(world, q.metrics, irregular)),
    )


def answer(
    world: World, channel_index: int, q: Query, irregular: Irregularities | None = None
) -> tuple[list[dict[str, str]], list[list[Any]]]:
    """``(columnHeaders, rows)`` for a supported query, as irregular as ``irregular`` says."""
    irregular = irregular or Irregularities.exact()
    shape = check_shape(q)
    days = answer_days(world, channel_index, q, irregular)
    if shape.breakdown == "retention":
        return _retention(world, q, days)
    videos = q.videos
    if videos is None:
        videos = [v for v in world.videos if v.channel_index == channel_index]
    if shape.breakdown == "demographics":
        rows = _demographics(world, videos, q, days, irregular)
    else:
        rows = _rows(world, channel_index, videos, q, shape, days, irregular)
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
    headers += [{"name": m, "columnType": "METRIC", "dataType": _data_type(m)} for m in q.metrics]
    if irregular.shuffle_columns and len(headers) > 1:
        order = _shuffled(len(headers), q)
        headers = [headers[i] for i in order]
        rows = [[r[i] for i in order] for r in rows]
    return headers, rows


def _rows(
    world: World,
    channel_index: int,
    videos: list[Video],
    q: Query,
    shape: Shape,
    days: AnswerDays,
    irregular: Irregularities,
) -> list[list[Any]]:
    """The rows of a report of summed figures (every shape but retention and demographics)."""
    totals: dict[tuple[str, ...], DayMetrics] = {}
    has_day = "day" in q.dimensions
    typed = CONTENT_TYPE in q.dimensions  # a format without views that day has no row
    if has_day and shape.breakdown is None and not typed:  # dense day series, zeros included
        for day in _days(days.first_row, days.last):
            totals[(day.isoformat(),)] = ZERO
    # a content type is each video's own: a channel's totals split by it are summed per video
    channel_scope = q.videos is None and "video" not in q.dimensions and not typed
    content_type = {v.video_id: v.content_type for v in videos}
    for day in _days(days.first_activity, days.last):
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
                if (typed or not has_day) and m.views == 0 and m.estimated_minutes_watched == 0:
                    continue
                values = {"day": day.isoformat(), "video": video_id, CONTENT_TYPE: content_type.get(video_id)}
                if shape.breakdown is not None:
                    values[_DIMENSION_OF[shape.breakdown]] = category
                key = tuple(values[d] for d in q.dimensions)
                totals[key] = totals.get(key, ZERO) + m
    if not q.dimensions:
        total = sum(totals.values(), ZERO)
        totals = {(): total} if (total.views or total.estimated_minutes_watched) else {}
    if shape.breakdown is not None and irregular.privacy_threshold:
        # withheld: a breakdown row (of a day, or of the range) under the threshold (of views;
        # of impressions for ad types, where the views of a row mean nothing)
        if shape.breakdown == "ad_type":
            totals = {k: m for k, m in totals.items() if m.ad_impressions >= irregular.privacy_threshold}
        else:
            totals = {k: m for k, m in totals.items() if m.views >= irregular.privacy_threshold}
    rows = [[*key, *(_value(m, name) for name in q.metrics)] for key, m in totals.items()]
    if has_day and shape.breakdown is None and irregular.sparse_days:
        rows = [r for r in rows if any(r[len(q.dimensions) :])]  # days without activity: absent
    return rows


def _demographics(
    world: World, videos: list[Video], q: Query, days: AnswerDays, irregular: Irregularities
) -> list[list[Any]]:
    """The demographics report: each (ageGroup, gender) cell's share of the viewers of the
    whole range, in percent to one decimal (no time dimension: a range is one answer). An
    answer over fewer views than the privacy threshold has no rows, and a cell with fewer
    viewers than it is withheld, so the percentages can sum to less than 100."""
    viewers: dict[tuple[str, ...], float] = {}
    total = 0
    for day in _days(days.first_activity, days.last):
        for v in videos:
            views = world.observed_video_day(v, day).views
            if not views:
                continue
            total += views
            for (age, gender), share in world.viewers(v, day).items():
                key = tuple({"ageGroup": age, "gender": gender}[d] for d in q.dimensions)
                viewers[key] = viewers.get(key, 0.0) + views * share
    threshold = irregular.privacy_threshold
    if not total or total < threshold:
        return []
    rows = []
    for key, count in viewers.items():
        percentage = round(100 * count / total, 1)
        if percentage and count >= threshold:
            rows.append([*key, *(percentage for _ in q.metrics)])
    return rows


def _retention(world: World, q: Query, days: AnswerDays) -> tuple[list[dict[str, str]], list[list[Any]]]:
    """The audience retention curve of one video: 100 points of elapsedVideoTimeRatio (0.01 to
    1.0), answered when the video had views in the range (none otherwise)."""
    [video] = q.videos or []
    # views as Google has them now (the provisional days' too), as every other answer counts them
    viewed = any(world.observed_video_day(video, day).views for day in _days(days.first_activity, days.last))
    rows = []
    if viewed:
        for ratio, watch, relative in world.retention(video):
            values = {
                "elapsedVideoTimeRatio": ratio,
                "audienceWatchRatio": watch,
                "relativeRetentionPerformance": relative,
            }
            rows.append([values[c] for c in (*q.dimensions, *q.metrics)])
    headers = [{"name": d, "columnType": "DIMENSION", "dataType": "FLOAT"} for d in q.dimensions]
    headers += [{"name": m, "columnType": "METRIC", "dataType": _data_type(m)} for m in q.metrics]
    return headers, rows


def _shuffled(n: int, q: Query) -> list[int]:
    """A column order other than the asked one, the same for the same question."""
    key = (q.start, q.end, tuple(q.metrics), tuple(q.dimensions), tuple(v.video_id for v in q.videos or ()))
    rng = random.Random(repr(key))
    order = list(range(n))
    while order == sorted(order):
        rng.shuffle(order)
    return order
