"""Shared pieces of the fault suite: a small pinned world, runs against a given emulator,
and Gold / Bronze snapshots to compare with a clean run."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import duckdb

from ytlake.emulator.world import World
from ytlake.runlocal import RunOptions, run_local

from ..conftest import TODAY, tiny_world_config

START = World(tiny_world_config(videos=8, history_days=60, seed=5)).start
MARTS = (
    "gold_channel_daily_summary",
    "gold_video_daily_summary",
    "gold_video_traffic_source_daily_summary",
    "gold_video_country_daily_summary",
    "gold_video_device_daily_summary",
)
INGESTION_COLUMNS = {"snapshot_date", "ingest_ts_utc"}


def world(today: date = TODAY, **kw):
    return tiny_world_config(videos=8, history_days=60, seed=5, start=START, today=today, **kw)


def run(base_url: str, lakehouse: Path, today: date = TODAY, **kw):
    return run_local(RunOptions(source="demo", api_root=base_url, lakehouse=lakehouse, today=today, **kw))


def sql(path: Path, query: str) -> list[tuple]:
    con = duckdb.connect(str(path))
    try:
        return con.sql(query).fetchall()
    finally:
        con.close()


def gold(path: Path, drop: set[str] = frozenset()) -> dict[str, list[tuple]]:
    """Every mart's rows, without the ingestion metadata (which differs between runs)."""
    out = {}
    con = duckdb.connect(str(path))
    try:
        for mart in MARTS:
            rel = con.sql(f"SELECT * FROM gold.{mart}")
            keep = [c for c in rel.columns if c not in INGESTION_COLUMNS | set(drop)]
            out[mart] = sorted(con.sql(f"SELECT {', '.join(keep)} FROM gold.{mart}").fetchall(), key=repr)
    finally:
        con.close()
    return out


def bronze_duplicates(path: Path) -> int:
    """Rows landed twice for the same question in the same run (0 means none anywhere)."""
    total = 0
    for (table,) in sql(
        path,
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'bronze' AND table_name LIKE '%_raw'",
    ):
        total += sql(
            path, f"SELECT count(*) - count(DISTINCT (run_id, payload ->> '$.request')) FROM bronze.{table}"
        )[0][0]
    return total


def grain_duplicates(path: Path) -> int:
    grains = {
        "gold_channel_daily_summary": "channel_id, date",
        "gold_video_daily_summary": "video_id, date",
        "gold_video_traffic_source_daily_summary": "video_id, date, source_id",
        "gold_video_country_daily_summary": "video_id, date, country_code",
        "gold_video_device_daily_summary": "video_id, date, device_type",
    }
    return sum(
        sql(path, f"SELECT count(*) - count(DISTINCT ({k})) FROM gold.{m}")[0][0] for m, k in grains.items()
    )


def run_summary(path: Path) -> dict:
    return json.loads(
        sql(path, "SELECT summary FROM bronze.run_context_log ORDER BY started_ts_utc DESC LIMIT 1")[0][0]
    )


def lost_rows(clean: dict[str, list[tuple]], other: dict[str, list[tuple]]) -> int:
    return sum(len(set(clean[m]) - set(other[m])) for m in clean)


NEXT_DAY = TODAY + timedelta(days=1)
