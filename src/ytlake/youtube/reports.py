"""The Analytics reports the pipeline pulls, declared as data.

Each spec names its Bronze table, the dimensions and metrics of its query (a shape Google
supports), whether it is asked for the channel or per video, and its day grain: ``range``
(one call covers a date range, ``day`` is a dimension) or ``single_day`` (one call per day,
for reports that cannot have ``day`` as a dimension). Adding a report is adding an entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class ReportSpec:
    name: str
    table: str
    dimensions: tuple[str, ...]
    metrics: tuple[str, ...]
    scope: Literal["channel", "video"]
    grain: Literal["range", "single_day"]


CHANNEL_DAILY = ReportSpec(
    name="channel_daily",
    table="bronze.analytics_channel_daily_raw",
    dimensions=("day",),
    metrics=(
        "views",
        "likes",
        "comments",
        "estimatedMinutesWatched",
        "averageViewDuration",
        "subscribersGained",
        "subscribersLost",
    ),
    scope="channel",
    grain="range",
)

#: The reports pulled, in order. Per-video reports arrive with the ingestion issue.
REPORTS: tuple[ReportSpec, ...] = (CHANNEL_DAILY,)
