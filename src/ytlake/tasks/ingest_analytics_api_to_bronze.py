"""ingest_analytics_api_to_bronze: the declared Analytics reports for the run's window.

The window ends at today (Pacific) minus ``--latency-days`` unless ``--end-date`` is given,
and starts at ``--start-date`` (default 90 days back). Range reports are requested in
chunks of ``--chunk-days``, ``--concurrency`` at a time.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

from ytlake.lakehouse.bronze import BronzeBatch
from ytlake.settings import analytics_window
from ytlake.tasks import common
from ytlake.tasks.google import google_http
from ytlake.taskvalues import current
from ytlake.youtube.analytics_api import AnalyticsApi
from ytlake.youtube.http import ApiResponse
from ytlake.youtube.reports import REPORTS, ReportSpec

TASK_KEY = "ingest_analytics_api_to_bronze"


def chunks(start: date, end: date, days: int) -> list[tuple[date, date]]:
    """``[start, end]`` cut into consecutive ranges of at most ``days`` days."""
    out = []
    cursor = start
    while cursor <= end:
        last = min(cursor + timedelta(days=days - 1), end)
        out.append((cursor, last))
        cursor = last + timedelta(days=1)
    return out


def main(argv: list[str] | None = None) -> int:
    p = common.parser(TASK_KEY, "Land the declared YouTube Analytics reports in Bronze.")
    common.add_google_args(p)
    common.add(p, "start_date", type=common.optional_date, default=None)
    common.add(p, "end_date", type=common.optional_date, default=None)
    common.add(p, "lookback_days", type=common.non_negative_int, default=7)
    common.add(p, "latency_days", type=common.non_negative_int, default=2)
    common.add(p, "chunk_days", type=common.positive_int, default=30)
    args = p.parse_args(argv)
    common.setup_logging()
    ctx = current()
    run = common.run_info(ctx)
    channel_id = ctx.task_values.get("ingest_data_api_to_bronze", "channel_id")
    ids = f"channel=={channel_id}" if channel_id else "channel==MINE"
    start, end = analytics_window(run.today, args.start_date, args.end_date, args.latency_days)
    batches = {
        spec.table: BronzeBatch(spec.table, run.run_id, run.snapshot_date, run.source_system)
        for spec in REPORTS
    }
    windows = chunks(start, end, args.chunk_days) if start <= end else []
    with google_http(args) as (http, root):
        api = AnalyticsApi(http, root.analytics_api)

        def fetch(job: tuple[ReportSpec, date, date]) -> tuple[ReportSpec, ApiResponse]:
            spec, first, last = job
            if spec.scope != "channel" or spec.grain != "range":
                raise NotImplementedError(f"report {spec.name}: only channel range reports are pulled so far")
            return spec, api.query(
                start=first, end=last, metrics=spec.metrics, dimensions=spec.dimensions, ids=ids
            )

        jobs = [(spec, a, b) for spec in REPORTS for a, b in windows]
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            for spec, answer in pool.map(fetch, jobs):
                batches[spec.table].add("v2/reports", answer.params, answer.status, answer.text)
        stats = http.stats.as_dict()
    with common.engine_from(args) as engine:
        written = common.replace_run_rows(engine, list(batches.values()), run.run_id)
    tv = ctx.task_values
    tv.set("window", [start.isoformat(), end.isoformat()])
    tv.set("rows", written)
    tv.set("requests", stats["requests"])
    common.emit_summary(
        TASK_KEY,
        {"window": [start, end], "rows": written, "requests": stats["requests"], "retries": stats["retries"]},
    )
    return 0
