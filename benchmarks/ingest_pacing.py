"""Ingestion pacing: wall time against the request budget at a given rate.

The emulator runs out of process at `--latency-ms 100 --max-rps 50`; `ytlake run` paces at
`--requests-per-second 50`. Target: ingestion wall time <= 1.2 x requests / 50, and not one
429 or rate-limit 403 answered.

Usage: uv run python benchmarks/ingest_pacing.py [--videos 60] [--history-days 120]
Writes benchmarks/results/ingest_pacing.json and prints it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
from common import ROOT, EmulatorProcess


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--videos", type=int, default=60)
    p.add_argument("--history-days", type=int, default=120)
    p.add_argument("--rate", type=float, default=50)
    p.add_argument("--latency-ms", type=int, default=100)
    p.add_argument("--today", default="2026-06-30")
    args = p.parse_args()
    emu = EmulatorProcess(
        "--videos",
        str(args.videos),
        "--history-days",
        str(args.history_days),
        "--today",
        args.today,
        "--latency-ms",
        str(args.latency_ms),
        "--max-rps",
        str(args.rate),
    )
    base = emu.base
    try:
        with tempfile.TemporaryDirectory() as tmp:
            lakehouse = Path(tmp) / "yt.duckdb"
            env = {k: v for k, v in os.environ.items() if not k.startswith("YT_")}
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "ytlake",
                    "run",
                    "--source",
                    "demo",
                    "--api-root",
                    base,
                    "--lakehouse",
                    str(lakehouse),
                    "--today",
                    args.today,
                    "--requests-per-second",
                    str(args.rate),
                ],
                check=True,
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
            )
            con = duckdb.connect(str(lakehouse), read_only=True)
            summary = json.loads(con.sql("SELECT summary FROM bronze.run_context_log").fetchall()[0][0])
            con.close()
        stats = emu.stats()
    finally:
        emu.stop()
    seconds = {t["task_key"]: t["seconds"] for t in summary["tasks"]}
    wall = seconds["ingest_data_api_to_bronze"] + seconds["ingest_analytics_api_to_bronze"]
    requests = summary["data_api_units"] + summary["analytics_requests"]
    ideal = requests / args.rate
    rate_limited = stats["statuses"].get("429", 0) + stats["statuses"].get("403", 0)
    result = {
        "benchmark": "ingest_pacing",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "world": {"videos": args.videos, "history_days": args.history_days},
        "emulator": {"latency_ms": args.latency_ms, "max_rps": args.rate},
        "requests": requests,
        "ingestion_wall_seconds": round(wall, 2),
        "requests_over_rate_seconds": round(ideal, 2),
        "ratio": round(wall / ideal, 3),
        "rate_limited_answers": rate_limited,
        "retries": summary["retries"],
        "target_ratio": 1.2,
        "met": wall / ideal <= 1.2 and rate_limited == 0,
    }
    out = ROOT / "benchmarks" / "results" / "ingest_pacing.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
