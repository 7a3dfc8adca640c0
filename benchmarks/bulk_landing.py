"""Landing and transforming Reporting API files: wall time and peak memory for N days of files.

For N days of a world (default L: 2,000 videos; the 8 report types bulk mode lands), the
emulator makes each day's final file of each type (Google's work: made once, cached under
``benchmarks/.cache/bulk_files/``, timed apart, ``--jobs`` processes). Then, in a new DuckDB
lakehouse:

1. ``ytlake.tasks.bulk.land_file`` lands the N days' files in Bronze in parts, exactly as a
   run does after the download (no HTTP: the bytes are handed over in the parts the client
   yields);
   (DuckDB's automatic checkpoints put off; the one checkpoint timed apart);
2. the Lakeflow pipeline refreshes Silver from that Bronze (the first refresh: every file is
   parsed);
3. the next day's files land and the pipeline refreshes again: the streaming table parses
   only the new parts, so this is the daily cost after N days.

Peak RSS is the process's high-water mark after each phase.

Usage: uv run python benchmarks/bulk_landing.py [--world L] [--days 7] [--jobs 2] [--make-only]
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
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bronze_generator import CACHE, TODAY, WORLDS

from ytlake import paths
from ytlake.emulator.reporting import Report, ReportingApi
from ytlake.emulator.world import PACIFIC, World, WorldConfig
from ytlake.lakeflow import discover, run_pipeline
from ytlake.lakehouse import open_engine
from ytlake.tasks.bulk import Parts, land_file
from ytlake.tasks.landing import Landing
from ytlake.tasks.run_state import RunInfo
from ytlake.youtube.reporting_api import BULK_REPORT_TYPES, LINES_PER_PART

MADE = datetime.combine(TODAY, datetime.min.time().replace(hour=3), PACIFIC)


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


def _world(name: str) -> World:
    videos, history = WORLDS[name]
    return World(
        WorldConfig(
            seed=42, videos=videos, history_days=history, today=TODAY, start=TODAY - timedelta(days=history)
        )
    )


def _path(folder: Path, day: date, report_type: str) -> Path:
    return folder / f"{day}_{report_type}.csv"


def _make_days(world_name: str, days: list[date], folder: Path) -> float:
    """Make (and cache) every file of ``days``; the seconds the emulator took."""
    api = ReportingApi(_world(world_name), now=lambda: MADE, privacy_threshold=5)
    spent = 0.0
    for day in days:
        for report_type in BULK_REPORT_TYPES:
            path = _path(folder, day, report_type)
            if path.exists():
                continue
            started = time.perf_counter()
            data = api.file(report_type, 1, Report("bench", day, MADE))
            spent += time.perf_counter() - started
            part = path.with_suffix(".part")
            part.write_bytes(data)
            part.rename(path)
    return spent


def make_files(world_name: str, days: list[date], folder: Path, jobs: int) -> float:
    folder.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(jobs) as pool:
        return sum(
            pool.map(_make_days, [world_name] * jobs, [days[i::jobs] for i in range(jobs)], [folder] * jobs)
        )


def land_days(engine: object, days: list[date], folder: Path, channel_id: str) -> tuple[int, int, int]:
    """Land every file of ``days``: (bytes, parts, lines)."""
    size = parts = lines = 0
    for day in days:
        run = RunInfo(f"bench-bulk-{day}", TODAY, TODAY, "emulator")
        day_parts = Parts(Landing(engine, run))  # one day's run: its parts appended together
        for report_type in BULK_REPORT_TYPES:
            data = _path(folder, day, report_type).read_bytes()
            size += len(data)
            report = {
                "id": f"{report_type}-{day}",
                "jobId": f"job-{report_type}",
                "startTime": f"{day}T07:00:00Z",
                "endTime": f"{day + timedelta(days=1)}T07:00:00Z",
                "createTime": MADE.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "downloadUrl": "handed",
            }
            n_parts, n_lines = land_file(day_parts, Handed(data), report, report_type, channel_id)
            parts, lines = parts + n_parts, lines + n_lines
        day_parts.flush()
    return size, parts, lines


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--world", choices=sorted(WORLDS), default="L")
    p.add_argument("--days", type=int, default=7, help="days landed before the next day's run")
    p.add_argument("--jobs", type=int, default=2, help="processes making files (the emulator)")
    p.add_argument("--make-only", action="store_true", help="make and cache the files, then stop")
    args = p.parse_args()
    last = TODAY - timedelta(days=5)
    days = [last - timedelta(days=i) for i in reversed(range(args.days + 1))]
    history, next_day = days[:-1], days[-1:]
    folder = CACHE / "bulk_files" / args.world
    generate_s = make_files(args.world, days, folder, args.jobs)
    if args.make_only:
        print(f"{len(days) * len(BULK_REPORT_TYPES)} files in {folder} ({generate_s:.0f} s of emulator time)")
        return 0
    channel_id = _world(args.world).channels[0].channel_id
    datasets = discover(str(paths.silver_sql_dir() / "**"))
    with tempfile.TemporaryDirectory() as tmp:
        lakehouse = Path(tmp) / "bulk.duckdb"
        with open_engine("duckdb", lakehouse, "youtube_analytics") as engine:
            engine.bootstrap()
            # the N days land in one connection, as N daily runs' bytes; DuckDB's automatic
            # checkpoints are put off (each one rewrites the whole, single row group of the
            # Bronze files table: landing would grow with the square of what landed) and the
            # one checkpoint is timed apart: it is what each daily run pays when it closes
            engine.execute_native("SET checkpoint_threshold = '64GB'")
            started = time.perf_counter()
            size, parts, lines = land_days(engine, history, folder, channel_id)
            land_s = time.perf_counter() - started
            started = time.perf_counter()
            engine.execute_native("CHECKPOINT")
            checkpoint_s = time.perf_counter() - started
            landing_peak = _peak_mib()
            started = time.perf_counter()
            first = run_pipeline(engine, datasets)
            transform_s = time.perf_counter() - started
            transform_peak = _peak_mib()
            started = time.perf_counter()
            next_size, next_parts, next_lines = land_days(engine, next_day, folder, channel_id)
            next_land_s = time.perf_counter() - started
            started = time.perf_counter()
            engine.execute_native("CHECKPOINT")
            next_checkpoint_s = time.perf_counter() - started
            started = time.perf_counter()
            again = run_pipeline(engine, datasets)
            next_transform_s = time.perf_counter() - started
        lakehouse_mib = lakehouse.stat().st_size / 2**20

    def silver(result: object) -> dict[str, dict[str, float]]:
        return {
            d.name: {"rows": d.rows, "seconds": round(d.seconds, 2)}
            for d in result.datasets  # type: ignore[attr-defined]
            if d.rows
        }

    out = {
        "world": args.world,
        "videos": WORLDS[args.world][0],
        "days": args.days,
        "report_types": list(BULK_REPORT_TYPES),
        "files": args.days * len(BULK_REPORT_TYPES),
        "csv_mb": round(size / 1e6, 1),
        "data_lines": lines,
        "bronze_parts": parts,
        "emulator_generation_s_this_run": round(generate_s, 1),
        "landing_s": round(land_s, 1),
        "checkpoint_s": round(checkpoint_s, 1),
        "landing_peak_rss_mib": landing_peak,
        "transform_s": round(transform_s, 1),
        "transform_peak_rss_mib": transform_peak,
        "next_day": {
            "csv_mb": round(next_size / 1e6, 1),
            "data_lines": next_lines,
            "bronze_parts": next_parts,
            "landing_s": round(next_land_s, 1),
            "checkpoint_s": round(next_checkpoint_s, 1),
            "transform_s": round(next_transform_s, 1),
            "peak_rss_mib": _peak_mib(),
            "silver": silver(again),
        },
        "lakehouse_mib": round(lakehouse_mib),
        "silver": silver(first),
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
    }
    path = Path(__file__).parent / "results" / f"bulk_landing_{args.world}_{args.days}d.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
