"""Ground-truth arithmetic over the emulator's world: the fewest legal requests a run needs.

Computed from the world alone (which videos exist, when they were published, which days had
views, which day each metric is available through), never from the pipeline's planner, so
tests and benchmarks can hold the planner to it. A range report costs one request per video
(or one for the channel) whatever its window: Google caps no row count for one video's
``day``, ``insightTrafficSourceType,day`` or ``deviceType,day`` query.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta

from ytlake.emulator.rules import Irregularities, available_through
from ytlake.emulator.world import World

#: The per-video range reports a run asks besides the daily one (traffic source, device).
OTHER_VIDEO_RANGE_REPORTS = 2
#: The per-video reports that cannot have a day dimension and are asked one day at a time
#: (country, demographics): one request per day with views each.
SINGLE_DAY_VIDEO_REPORTS = 2


def minimal_requests(
    world: World,
    today: date,
    previous_today: date | None,
    previous_alive: set[str],
    daily_metrics: Sequence[str],
    irregular: Irregularities | None = None,
    latency_days: int = 2,
    lookback_days: int = 7,
    default_start_days: int = 90,
    channel_index: int = 1,
) -> dict[str, int]:
    """Requests per endpoint for a run on ``today`` after a run on ``previous_today`` that saw
    ``previous_alive`` videos (None / empty for a first run), for channel ``channel_index``
    (several channels: the sum of each one's; no request serves two channels).

    Range reports: one request per scope whose window is not empty. The per-video country
    and demographics reports (no day dimension): one request each per day with views in the
    daily report's window, up to the last day
    the daily report's metrics (``daily_metrics``) are available. A video's window starts
    ``lookback_days`` before the last day the previous run's daily answers came back with
    (restatements), or at the default start, never before its publish day.
    """
    irregular = irregular or Irregularities.exact()
    end = today - timedelta(days=latency_days)
    default_start = today - timedelta(days=default_start_days)
    reach = min(end, available_through(world, daily_metrics, irregular))
    previous_reach = None
    if previous_today is not None:
        previous_world = World(replace(world.config, today=previous_today, start=world.start))
        previous_reach = min(
            previous_today - timedelta(days=latency_days),
            available_through(previous_world, daily_metrics, irregular),
        )
    alive = world.videos_of(channel_index, today)
    pages = max(1, math.ceil(len(alive) / 50)) if world.has_uploads(channel_index) else 1
    asked = {v.video_id for v in alive} | previous_alive
    out = {"channels": 1, "playlistItems": pages, "videos": math.ceil(len(asked) / 50), "reports": 0}
    channel_start = previous_reach - timedelta(days=lookback_days) if previous_reach else default_start
    out["reports"] += channel_start <= end
    for v in alive:
        start = default_start
        if previous_reach is not None and v.video_id in previous_alive and v.published_date <= previous_reach:
            start = previous_reach - timedelta(days=lookback_days)
        start = max(start, v.published_date)
        if start > end:
            continue
        out["reports"] += 1 + OTHER_VIDEO_RANGE_REPORTS
        day = start
        while day <= reach:
            out["reports"] += SINGLE_DAY_VIDEO_REPORTS * (world.observed_video_day(v, day).views > 0)
            day += timedelta(days=1)
    return out
