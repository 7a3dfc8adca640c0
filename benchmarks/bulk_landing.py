"""Landing and transforming Reporting API files: wall time and peak memory per day of files.

For N days of a world (default L: 2,000 videos; the 8 report types bulk mode lands), the
emulator makes each day's final file of each type (timed apart: that is Google's work), then
`ytlake.tasks.bulk.land_file` lands it in a new DuckDB lakehouse's Bronze in parts, exactly
as a run does after the download (no HTTP: the bytes are handed over in the parts the client
yields), and the Lakeflow pipeline refreshes Silver from that Bronze. Peak RSS is the
process's high-water mark after each phase (landing first, so the transform's figure is the
larger of the two).

Usage: uv run python benchmarks/bulk_landing.py [--world L] [--days 7]
Writes benchmarks/results/bulk_landing_<world>_<days>d.json and prints it.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bronze_generator import TODAY, WORLDS

from ytlake import paths
from ytlake.emulator.reporting import Report, ReportingApi
from ytlake.emulator.world import PACIFIC, World, WorldConfig
from ytlake.lakeflow import discover, run_pipeline
from ytlake.lakehouse import open_engine
from ytlake.tasks.bulk import land_file
from ytlake.tasks.landing import Landing
from ytlake.tasks.run_state import RunInfo
from ytlake.youtube.reporting_api import BULK_REPORT_TYPES, LINES_PER_PART


class Handed:
    """The bytes of one file, yielded as the client yields a download: lists of lines."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def download(self, url: str) -> Iterator[list[str]]:
        lines = self.data.decode().split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        for i in range(0, len(lines), LINES_PER_PART):
            yield lines[i : i + LINES_PER_PART]


def _peak_mib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--world", choices=sorted(WORLDS), default="L")
    p.add_argument("--days", type=int, default=7)
    args = p.parse_args()
    videos, history = WORLDS[args.world]
    world = World(
        WorldConfig(
            seed=42, videos=videos, history_days=history, today=TODAY, start=TODAY - timedelta(days=history)
        )
    )
    last = TODAY - timedelta(days=5)
    days = [last - timedelta(days=i) for i in reversed(range(args.days))]
    made = datetime.combine(TODAY, datetime.min.time().replace(hour=3), PACIFIC)
    api = ReportingApi(world, now=lambda: made, privacy_threshold=5)
    channel_id = world.channels[0].channel_id
    generate_s = land_s = 0.0
    lines = parts = size = 0
    with tempfile.TemporaryDirectory() as tmp:
        lakehouse = Path(tmp) / "bulk.duckdb"
        with open_engine("duckdb", lakehouse, "youtube_analytics") as engine:
            engine.bootstrap()
            run = RunInfo("bench-bulk", TODAY, TODAY, "emulator")
            for day in days:
                for report_type in BULK_REPORT_TYPES:
                    started = time.perf_counter()
                    data = api.file(report_type, 1, Report("bench", day, made))
                    generate_s += time.perf_counter() - started
                    size += len(data)
                    report = {
                        "id": f"{report_type}-{day}",
                        "jobId": f"job-{report_type}",
                        "startTime": f"{day}T07:00:00Z",
                        "endTime": f"{day + timedelta(days=1)}T07:00:00Z",
                        "createTime": made.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                        "downloadUrl": "handed",
                    }
                    started = time.perf_counter()
                    writer = Landing(engine, run)
                    n_parts, n_lines = land_file(writer, Handed(data), report, report_type, channel_id)
                    land_s += time.perf_counter() - started
                    parts, lines = parts + n_parts, lines + n_lines
            landing_peak = _peak_mib()
            started = time.perf_counter()
            result = run_pipeline(engine, discover(str(paths.silver_sql_dir() / "**")))
            transform_s = time.perf_counter() - started
            bronze_mib = lakehouse.stat().st_size / 2**20
    datasets = {d.name: {"rows": d.rows, "seconds": round(d.seconds, 2)} for d in result.datasets if d.rows}
    out = {
        "world": args.world,
        "videos": videos,
        "days": args.days,
        "report_types": list(BULK_REPORT_TYPES),
        "files": args.days * len(BULK_REPORT_TYPES),
        "csv_mb": round(size / 1e6, 1),
        "data_lines": lines,
        "bronze_parts": parts,
        "emulator_generation_s": round(generate_s, 1),
        "landing_s": round(land_s, 1),
        "landing_peak_rss_mib": landing_peak,
        "transform_s": round(transform_s, 1),
        "transform_peak_rss_mib": _peak_mib(),
        "lakehouse_mib_after_transform": round(bronze_mib),
        "silver": datasets,
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
    }
    path = Path(__file__).parent / "results" / f"bulk_landing_{args.world}_{args.days}d.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
