"""How long the emulator takes to make one Reporting API file of each report type.

For each world (the suite's S, M, L: seed 42, pinned to start ``history`` days before
2026-06-30) it makes the final report of 2026-06-20 (generated on 2026-06-25) of every
channel report type, the way ``media.download`` does (rows from the world, then the CSV),
and records seconds, rows and bytes per type and the process's peak memory.

Usage: uv run python benchmarks/reporting_files.py [--world S M]
Writes benchmarks/results/reporting_files.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from bronze_generator import TODAY, WORLDS

from ytlake.emulator.reporting import REPORT_TYPES, Report, ReportingApi
from ytlake.emulator.world import PACIFIC, World, WorldConfig

DAY = date(2026, 6, 20)
MADE = datetime(2026, 6, 25, 3, 0, tzinfo=PACIFIC)


def measure(name: str) -> dict:
    videos, history = WORLDS[name]
    world = World(
        WorldConfig(
            seed=42, videos=videos, history_days=history, today=TODAY, start=TODAY - timedelta(days=history)
        )
    )
    api = ReportingApi(world, now=lambda: MADE, privacy_threshold=5)
    out = {}
    for kind in REPORT_TYPES:
        started = time.perf_counter()
        data = api.file(kind.id, 1, Report("bench", DAY, MADE))
        out[kind.id] = {
            "seconds": round(time.perf_counter() - started, 3),
            "rows": data.count(b"\n") - 1,
            "bytes": len(data),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", nargs="+", default=["S", "M"], choices=sorted(WORLDS))
    args = parser.parse_args()
    results = {name: measure(name) for name in args.world}
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    doc = {
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "peak_rss_mib": peak,
        "worlds": results,
    }
    path = Path(__file__).parent / "results" / "reporting_files.json"
    path.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"| report type | {' | '.join(f'{w} seconds / rows / MB' for w in args.world)} |")
    print(f"|---|{'---:|' * len(args.world)}")
    for kind in REPORT_TYPES:
        cells = [
            f"{r['seconds']:.2f} s / {r['rows']:,} / {r['bytes'] / 1e6:.1f}"
            for r in (results[w][kind.id] for w in args.world)
        ]
        print(f"| `{kind.id}` | {' | '.join(cells)} |")
    print(f"\npeak RSS {peak} MiB")


if __name__ == "__main__":
    main()
