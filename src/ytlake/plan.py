"""``ytlake plan``: what the next run will ask Google for, before spending anything.

The plan is computed from Bronze alone (the videos the last run saw, the cursors, the days
with views already known) with the same planning functions the ingestion task uses. New
uploads since the last run, and the country requests for days not seen yet, are estimated
(one country request per new day per video: an upper bound).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from ytlake.lakehouse import open_engine
from ytlake.tasks.ingest_state import (
    cursors,
    days_with_views,
    refused_requests,
    run_payloads,
    videos_returned,
)
from ytlake.youtube.data_api import MAX_PAGE
from ytlake.youtube.planning import chunks, range_requests, window
from ytlake.youtube.reports import REPORTS, REPORTS_BY_NAME


@dataclass
class Plan:
    today: date
    window_end: date
    videos: int | None  # None: unknown (no earlier run in this lakehouse)
    data_api_units: dict[str, int] = field(default_factory=dict)
    analytics_requests: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.data_api_units.values()) + sum(self.analytics_requests.values())

    def seconds(self, requests_per_second: float | None, concurrency: int, latency_s: float = 0.25) -> float:
        """Time at the configured pace: the client limit, or concurrency / a typical latency."""
        rate = requests_per_second or concurrency / latency_s
        return self.total / rate


def plan_next_run(
    lakehouse: Path,
    catalog: str,
    today: date,
    start_date: date | None,
    end_date: date | None,
    lookback_days: int,
    latency_days: int,
    chunk_days: int | None = None,
) -> Plan:
    win = window(today, latency_days, start_date, end_date)
    plan = Plan(today, win.end, None)
    if not Path(lakehouse).is_file():
        plan.notes.append("no lakehouse yet: a first run lists the channel to learn its videos")
        plan.data_api_units = {"channels.list": 1, "playlistItems.list": 1, "videos.list": 1}
        plan.analytics_requests = {"channel_daily": len(chunks(win.default_start, win.end, chunk_days))}
        return plan
    with open_engine("duckdb", lakehouse, catalog) as engine:
        last = engine.query(
            f"SELECT run_id FROM {engine.qualify('bronze.videos_raw')} ORDER BY ingest_ts_utc DESC LIMIT 1"
        ).to_pylist()
        run_id = last[0]["run_id"] if last else ""
        videos = videos_returned(run_payloads(engine, "bronze.videos_raw", run_id)) if run_id else []
        channel = engine.query(
            f"SELECT payload FROM {engine.qualify('bronze.channels_raw')} ORDER BY ingest_ts_utc DESC LIMIT 1"
        ).to_pylist()
        channel_id = "UC?"
        if channel:
            import json

            items = (json.loads(channel[0]["payload"]).get("body") or {}).get("items") or []
            channel_id = items[0]["id"] if items else channel_id
        plan.videos = len(videos)
        pages = max(1, math.ceil(len(videos) / MAX_PAGE))
        plan.data_api_units = {"channels.list": 1, "playlistItems.list": pages, "videos.list": pages}
        report_cursors = {r.name: cursors(engine, r, "~none~") for r in REPORTS}  # one query each
        for report in REPORTS:
            if report.grain == "range":
                reqs = range_requests(
                    report,
                    channel_id,
                    videos,
                    win,
                    report_cursors[report.name],
                    lookback_days,
                    chunk_days,
                )
                plan.analytics_requests[report.name] = len(reqs)
        for report in REPORTS:
            if report.grain != "single_day":
                continue
            source = REPORTS_BY_NAME[report.days_from or ""]
            known = days_with_views(run_payloads(engine, source.table, run_id)) if run_id else {}
            source_cursors, own_cursors = report_cursors[source.name], report_cursors[report.name]
            total = 0
            for v in videos:
                src, own = source_cursors.get(v.video_id), own_cursors.get(v.video_id)
                first = max(
                    v.published_day,
                    *(c - timedelta(days=lookback_days) for c in (src, own) if c),
                    win.default_start if not (src or own) else v.published_day,
                )
                if v.video_id not in known:  # the last run has no daily answer for it: every day
                    total += max(0, (win.end - first).days + 1)
                    continue
                seen = {d for d in known[v.video_id] if first <= d <= win.end}
                last = max((c for c in (src, own) if c), default=first - timedelta(days=1))
                new_days = max(0, (win.end - max(first, last + timedelta(days=1))).days + 1)
                total += len(seen) + new_days
            plan.analytics_requests[report.name] = total
        for report in REPORTS:  # refused by a quota stop: asked again, whatever the cursor
            again = len(refused_requests(engine, report))
            plan.analytics_requests[report.name] = plan.analytics_requests.get(report.name, 0) + again
        plan.notes.append(
            "uploads since the last run are not counted; country requests for new days are an upper bound"
        )
    return plan
