"""Silver rebuild time: the fourteen Lakeflow datasets on DuckDB and on local Spark.

Builds Bronze once with a real `ytlake run` of a demo world (HTTP to the in-process
emulator), then rebuilds Silver from that Bronze with the local Lakeflow runner on DuckDB,
and on a local SparkSession (`local[2]`) after copying Bronze into it.

Usage: uv run python benchmarks/silver_rebuild.py [--videos 60] [--history-days 120]
Writes benchmarks/results/silver_rebuild.json and prints it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--videos", type=int, default=60)
    p.add_argument("--history-days", type=int, default=120)
    p.add_argument("--today", default="2026-06-30")
    args = p.parse_args()
    from ytlake import paths
    from ytlake.lakeflow import discover, run_pipeline
    from ytlake.lakehouse import DuckDBEngine
    from ytlake.lakehouse.bronze import RAW_TABLES
    from ytlake.lakehouse.spark_engine import SparkEngine
    from ytlake.runlocal import RunOptions, run_local

    with tempfile.TemporaryDirectory() as tmp:
        lakehouse = Path(tmp) / "yt.duckdb"
        today = date.fromisoformat(args.today)
        started = time.monotonic()
        run = run_local(
            RunOptions(
                source="demo",
                lakehouse=lakehouse,
                today=today,
                demo_videos=args.videos,
                demo_history_days=args.history_days,
                start_date=today.replace(year=today.year - 1) if args.history_days > 90 else None,
            )
        )
        job_seconds = time.monotonic() - started
        datasets = discover(str(paths.silver_sql_dir() / "**"))
        with DuckDBEngine(lakehouse) as duck:
            bronze_rows = {t: duck.count(f"bronze.{t}") for t in RAW_TABLES}
            started = time.monotonic()
            result = run_pipeline(duck, datasets)
            duckdb_seconds = time.monotonic() - started
            silver_rows = {d.name: d.rows for d in result.datasets}
            spark = SparkEngine(warehouse=Path(tmp) / "spark")
            spark.bootstrap()
            for t in RAW_TABLES:
                spark.append(f"bronze.{t}", duck.query_native(f"SELECT * FROM bronze.{t}"))
        started = time.monotonic()
        run_pipeline(spark, datasets)
        spark_seconds = time.monotonic() - started
        spark.spark.stop()
    result = {
        "benchmark": "silver_rebuild",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "world": {"videos": args.videos, "history_days": args.history_days},
        "job_run_status": run.run_status,
        "job_seconds": round(job_seconds, 1),
        "bronze_rows": bronze_rows,
        "silver_rows": silver_rows,
        "duckdb_seconds": round(duckdb_seconds, 2),
        "spark_local2_seconds": round(spark_seconds, 2),
        "python_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    out = ROOT / "benchmarks" / "results" / "silver_rebuild.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
