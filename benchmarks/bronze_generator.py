"""Bronze without HTTP: a world's raw answers, landed for transform-only benchmarks.

The pipeline's own tasks run — init_run_context, ingest_data_api_to_bronze,
ingest_analytics_api_to_bronze and finalize_run_log; the Silver, Gold and optimize tasks
are EXCLUDED, as ``databricks bundle run --only`` would — against the emulator through an
in-process httpx transport (``ytlake.emulator.transport``). Same planner, same requests,
same envelopes as a run over HTTP; only the socket is gone, so the L world (about 800,000
answers) lands in minutes. ``tests/e2e/test_bronze_generator.py`` shows that the Silver
built from it equals the Silver of a run over HTTP on the S world.

Generated lakehouses are cached under ``benchmarks/.cache/``, keyed by the world and a hash
of the code that shapes Bronze (emulator, Google client, tasks, bootstrap SQL).

Usage: uv run python benchmarks/bronze_generator.py --world L   (prints the cached path)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / ".cache"
WORLDS = {"S": (60, 120), "M": (500, 365), "L": (2000, 730)}
TODAY = date(2026, 6, 30)
INGESTION_TASKS = (
    "init_run_context",
    "ingest_data_api_to_bronze",
    "ingest_analytics_api_to_bronze",
    "finalize_run_log",
)


def world(videos: int, history_days: int, today: date, start: date, seed: int = 42):
    """A benchmark world: the emulator's ground truth for ``videos x history_days``."""
    from ytlake.emulator.world import World, WorldConfig

    return World(WorldConfig(seed=seed, videos=videos, history_days=history_days, today=today, start=start))


def land_bronze(
    lakehouse: Path,
    videos: int,
    history_days: int,
    today: date = TODAY,
    seed: int = 42,
    concurrency: int = 4,
):
    """Land a first run's Bronze (the whole history backfilled) for the world
    ``videos x history_days`` pinned to start ``history_days`` before ``today``."""
    from ytlake.emulator.service import Emulator, EmulatorConfig
    from ytlake.emulator.transport import IN_PROCESS_ROOT, EmulatorTransport
    from ytlake.runlocal import RunOptions, run_local
    from ytlake.youtube.endpoints import mounted

    start = today - timedelta(days=history_days)
    # the ideal world (no privacy threshold, no sparse days): the most rows, the heaviest build
    config = EmulatorConfig.exact(data_api_quota=10**9)
    emulator = Emulator(world(videos, history_days, today, start, seed), config)
    options = RunOptions(
        source="demo",
        api_root=IN_PROCESS_ROOT,
        lakehouse=lakehouse,
        today=today,
        start_date=start,
        concurrency=concurrency,
    )
    with mounted(IN_PROCESS_ROOT, EmulatorTransport(emulator)):
        result = run_local(options, only=INGESTION_TASKS)
    if not result.succeeded:
        failed = {k: r.error for k, r in result.run.results.items() if r.state == "FAILED"}
        raise RuntimeError(f"Bronze generation failed: {failed} (log: {result.log_path})")
    return result


def bronze_to_spark(source: Path, lakehouse: Path) -> dict[str, int]:
    """Copy the Bronze of a DuckDB lakehouse into the local Spark lakehouse beside
    ``lakehouse`` (the Spark engine's warehouse), through parquet: the same rows."""
    import tempfile

    import duckdb

    from ytlake.lakehouse import open_engine
    from ytlake.lakehouse.bronze import RAW_TABLES

    copied = {}
    with tempfile.TemporaryDirectory() as tmp, open_engine("spark", lakehouse) as engine:
        engine.bootstrap()
        con = duckdb.connect(str(source), read_only=True)
        try:
            for table in (*RAW_TABLES, "run_context_log"):
                parquet = Path(tmp) / f"{table}.parquet"
                con.execute(f"COPY (SELECT * FROM bronze.{table}) TO '{parquet}' (FORMAT parquet)")
                spark = engine.spark  # type: ignore[attr-defined]
                columns = spark.table(f"bronze.{table}").columns
                spark.read.parquet(str(parquet)).select(*columns).write.insertInto(
                    f"bronze.{table}", overwrite=True
                )
                copied[table] = spark.table(f"bronze.{table}").count()
        finally:
            con.close()
            engine.spark.stop()  # type: ignore[attr-defined]
    return copied


def code_hash() -> str:
    """A hash of everything that decides what Bronze holds."""
    digest = hashlib.sha256()
    src = ROOT / "src" / "ytlake"
    files = sorted(
        [
            *src.glob("emulator/*.py"),
            *src.glob("youtube/*.py"),
            *src.glob("tasks/ingest_*.py"),
            src / "tasks" / "common.py",
            src / "lakehouse" / "bronze.py",
            ROOT / "lakeflow" / "bootstrap_unity_catalog.sql",
        ]
    )
    for f in files:
        digest.update(f.read_bytes())
    return digest.hexdigest()[:12]


def cached_bronze(world: str, regenerate: bool = False) -> tuple[Path, bool]:
    """The cached DuckDB lakehouse holding ``world``'s Bronze, and whether it was generated
    now (it is when missing)."""
    videos, history = WORLDS[world]
    path = CACHE / f"bronze_{world}_{videos}x{history}_{code_hash()}.duckdb"
    if path.exists() and not regenerate:
        return path, False
    CACHE.mkdir(parents=True, exist_ok=True)
    for old in CACHE.glob(f"bronze_{world}_*"):
        if old.is_dir():
            shutil.rmtree(old)
        else:
            old.unlink()
    partial = path.with_suffix(".partial.duckdb")
    started = time.monotonic()
    land_bronze(partial, videos, history)
    partial.rename(path)
    partial.with_name(partial.name + ".lock").unlink(missing_ok=True)
    print(f"generated {path.name} in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return path, True


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--world", choices=sorted(WORLDS), default="S")
    p.add_argument("--regenerate", action="store_true", help="ignore the cache")
    p.add_argument(
        "--to-spark", type=Path, metavar="LAKEHOUSE", help="also copy the Bronze into this Spark lakehouse"
    )
    args = p.parse_args()
    path, _ = cached_bronze(args.world, args.regenerate)
    if args.to_spark:
        print(json.dumps(bronze_to_spark(path, args.to_spark)))
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
