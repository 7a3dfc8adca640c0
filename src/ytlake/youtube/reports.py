"""The Analytics reports the pipeline pulls, declared as data.

Each spec names its Bronze table, the dimensions and metrics of its query (a shape Google
supports), whether it is asked for the channel or per video, and its day grain: ``range``
(one call covers a date range, ``day`` is a dimension), ``single_day`` (one call per day,
for reports that cannot have ``day`` as a dimension — ``country,day`` and
``ageGroup,gender,day`` are unsupported) or
``snapshot`` (one call covers a video's whole life, asked again every ``refresh_days``: the
audience retention curve).
A ``single_day`` report names the report whose answers say which days had views
(``days_from``): it is asked only for those days. A ``monetary`` report (revenue and ad
metrics) is asked only when the refresh token carries ``yt-analytics-monetary.readonly``
(``ytlake auth --monetary``): without it no request for revenue is made at all. Adding a
report is adding an entry.

Answers are read by their ``columnHeaders`` names (in Silver and in the cursor), never by
position: Google's data model lets clients rely on the headers only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CORE_METRICS = (
    "views",
    # views under the older "engaged" definition (views counts every start since 2025)
    "engagedViews",
    "likes",
    "comments",
    "shares",
    "videosAddedToPlaylists",
    "videosRemovedFromPlaylists",
    "estimatedMinutesWatched",
    "averageViewDuration",
    "subscribersGained",
    "subscribersLost",
)
#: A partner channel's revenue and ad metrics (money in the channel's currency).
REVENUE_METRICS = (
    "estimatedRevenue",
    "estimatedAdRevenue",
    "estimatedRedPartnerRevenue",
    "grossRevenue",
    "monetizedPlaybacks",
    "adImpressions",
    "cpm",
    "playbackBasedCpm",
)


@dataclass(frozen=True)
class ReportSpec:
    name: str
    table: str
    dimensions: tuple[str, ...]
    metrics: tuple[str, ...]
    scope: Literal["channel", "video"]
    grain: Literal["range", "single_day", "snapshot"]
    days_from: str | None = None
    #: The Reporting API report type whose daily file holds the same figures at full grain:
    #: in hybrid mode a day that file covers is not asked of v2.
    bulk_type: str | None = None
    #: Revenue: asked only with the monetary scope.
    monetary: bool = False
    #: A snapshot report is asked again when its latest answer ends this many days or more
    #: before the window's end.
    refresh_days: int = 0

    def params(self, channel_id: str, start: str, end: str, video_id: str | None = None) -> dict[str, str]:
        """The reports.query parameters of one request."""
        out = {
            "ids": f"channel=={channel_id}",
            "startDate": start,
            "endDate": end,
            "metrics": ",".join(self.metrics),
            "dimensions": ",".join(self.dimensions),
        }
        if self.scope == "video":
            if not video_id:
                raise ValueError(f"report {self.name} is asked per video")
            out["filters"] = f"video=={video_id}"
        return out


REPORTS: tuple[ReportSpec, ...] = (
    ReportSpec(
        "channel_daily",
        "bronze.analytics_channel_daily_raw",
        ("day",),
        CORE_METRICS,
        "channel",
        "range",
        bulk_type="channel_basic_a3",
    ),
    ReportSpec(
        "video_daily",
        "bronze.analytics_video_daily_raw",
        ("day",),
        CORE_METRICS,
        "video",
        "range",
        bulk_type="channel_basic_a3",
    ),
    ReportSpec(
        "video_traffic_source",
        "bronze.analytics_video_traffic_source_daily_raw",
        ("insightTrafficSourceType", "day"),
        ("views", "estimatedMinutesWatched"),
        "video",
        "range",
        bulk_type="channel_traffic_source_a3",
    ),
    ReportSpec(
        "video_device",
        "bronze.analytics_video_device_daily_raw",
        ("deviceType", "day"),
        ("views", "estimatedMinutesWatched"),
        "video",
        "range",
        bulk_type="channel_device_os_a3",
    ),
    ReportSpec(
        "video_country",
        "bronze.analytics_video_country_daily_raw",
        ("country",),
        ("views", "estimatedMinutesWatched"),
        "video",
        "single_day",
        days_from="video_daily",
        bulk_type="channel_basic_a3",
    ),
    ReportSpec(
        "video_demographics",
        "bronze.analytics_video_demographics_daily_raw",
        ("ageGroup", "gender"),
        ("viewerPercentage",),
        "video",
        "single_day",
        days_from="video_daily",
        bulk_type="channel_demographics_a1",
    ),
    ReportSpec(
        "video_retention",
        "bronze.analytics_video_retention_raw",
        ("elapsedVideoTimeRatio",),
        ("audienceWatchRatio", "relativeRetentionPerformance"),
        "video",
        "snapshot",
        refresh_days=7,
    ),
    # YouTube's own format of each video (SHORTS, LIVE_STREAM, VIDEO_ON_DEMAND, STORY): the
    # playback details report with creatorContentType alone (no day), over the video's life.
    # A video has one format, so it is asked again monthly only (a new video's first answer
    # can be empty: no views yet)
    ReportSpec(
        "video_content_type",
        "bronze.analytics_video_content_type_raw",
        ("creatorContentType",),
        ("views",),
        "video",
        "snapshot",
        refresh_days=28,
    ),
    ReportSpec(
        "channel_revenue",
        "bronze.analytics_channel_revenue_daily_raw",
        ("day",),
        REVENUE_METRICS,
        "channel",
        "range",
        monetary=True,
    ),
    ReportSpec(
        "video_revenue",
        "bronze.analytics_video_revenue_daily_raw",
        ("day",),
        REVENUE_METRICS,
        "video",
        "range",
        monetary=True,
    ),
    ReportSpec(
        "channel_ad_type",
        "bronze.analytics_channel_ad_type_daily_raw",
        ("adType", "day"),
        ("grossRevenue", "adImpressions", "cpm"),
        "channel",
        "range",
        monetary=True,
    ),
    ReportSpec(
        "video_ad_type",
        "bronze.analytics_video_ad_type_daily_raw",
        ("adType", "day"),
        ("grossRevenue", "adImpressions", "cpm"),
        "video",
        "range",
        monetary=True,
    ),
)

REPORTS_BY_NAME = {r.name: r for r in REPORTS}


def reports_to_ask(analytics_mode: str, monetary: bool) -> tuple[ReportSpec, ...]:
    """The v2 reports a run asks: none in bulk mode (the daily files only); revenue only with
    the monetary scope."""
    if analytics_mode == "bulk":
        return ()
    return tuple(r for r in REPORTS if monetary or not r.monetary)
