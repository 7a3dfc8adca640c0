"""Ground-truth arithmetic over the emulator's world: the fewest legal requests a run needs.

Computed from the world alone (which videos exist, when they were published, which days had
views), never from the pipeline's planner, so tests and benchmarks can hold the planner to it.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

from ytlake.emulator.world import World


def minimal_requests(
    world: World,
    today: date,
    previous_end: date | None,
    previous_alive: set[str],
    latency_days: int = 2,
    lookback_days: int = 7,
    chunk_days: int = 30,
    default_start_days: int = 90,
) -> dict[str, int]:
    """Requests per endpoint for a run on ``today`` after a run whose window ended at
    ``previous_end`` and which saw ``previous_alive`` videos (None / empty for a first run)."""
    end = today - timedelta(days=latency_days)
    default_start = today - timedelta(days=default_start_days)
    alive = world.videos_of(1, today)
    pages = max(1, math.ceil(len(alive) / 50))
    asked = {v.video_id for v in alive} | previous_alive
    out = {"channels": 1, "playlistItems": pages, "videos": math.ceil(len(asked) / 50), "reports": 0}

    def n_chunks(first: date, last: date) -> int:
        return math.ceil(((last - first).days + 1) / chunk_days) if first <= last else 0

    channel_start = previous_end - timedelta(days=lookback_days) if previous_end else default_start
    out["reports"] += n_chunks(channel_start, end)
    for v in alive:
        had_cursor = (
            previous_end is not None and v.video_id in previous_alive and v.published_date <= previous_end
        )
        start = previous_end - timedelta(days=lookback_days) if had_cursor else default_start
        start = max(start, v.published_date)
        out["reports"] += 3 * n_chunks(start, end)
        day = start
        while day <= end:
            out["reports"] += world.observed_video_day(v, day).views > 0
            day += timedelta(days=1)
    return out
