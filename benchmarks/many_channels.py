"""Several channels in one run: requests against the sum of each channel's minimum, and wall
time against the requests at the paced rate.

The emulator (its own process) serves ``--channels`` channels of the benchmark world (seed
42, each channel ``videos x history``, pinned to start ``history`` days before 2026-06-30),
each owned by its own demo token; one `ytlake run --demo-channels N` backfills them all, one
channel after the other, at ``--requests-per-second`` (one Google Cloud project: one pace and
one quota for every channel). The minimum is computed per channel from the emulator's
ground truth (``ytlake.emulator.truth``) and summed: no request serves two channels.

Usage:
  uv run python benchmarks/many_channels.py --world M --channels 3 --requests-per-second 500
Writes benchmarks/results/<world>_channels<N>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from bronze_generator import TODAY, WORLDS
from common import ROOT, EmulatorProcess, measured
from run import RESULTS, _env, facts

ENDPOINTS = (
    ("channels", "/youtube/v3/channels"),
    ("playlistItems", "/youtube/v3/playlistItems"),
    ("videos", "/youtube/v3/videos"),
    ("reports", "/v2/reports"),
)


def benchmark(world_name: str, channels: int, rate: float) -> dict:
    from ytlake.emulator.rules import Irregularities
    from ytlake.emulator.truth import minimal_requests
    from ytlake.emulator.world import World, WorldConfig
    from ytlake.youtube.reports import REPORTS_BY_NAME

    videos, history = WORLDS[world_name]
    start = TODAY - timedelta(days=history)
    world = World(
        WorldConfig(seed=42, channels=channels, videos=videos, history_days=history, today=TODAY, start=start)
    )
    daily = REPORTS_BY_NAME["video_daily"].metrics
    minima = {
        world.channel(k).channel_id: minimal_requests(
            world, TODAY, None, set(), daily, Irregularities(), default_start_days=history, channel_index=k
        )
        for k in range(1, channels + 1)
    }
    emu = EmulatorProcess(
        *("--channels", str(channels), "--videos", str(videos), "--history-days", str(history)),
        *("--today", TODAY.isoformat(), "--world-start", start.isoformat()),
        *("--data-api-quota", "1000000000"),
    )
    with tempfile.TemporaryDirectory() as tmp:
        lakehouse = Path(tmp) / "yt.duckdb"
        try:
            run = measured(
                [
                    *(sys.executable, "-m", "ytlake", "run", "--source", "demo", "--api-root", emu.base),
                    *("--lakehouse", str(lakehouse), "--today", TODAY.isoformat()),
                    *("--start-date", start.isoformat(), "--demo-channels", str(channels)),
                    *("--requests-per-second", f"{rate:g}"),
                ],
                _env(),
            )
            stats = emu.stats()
        finally:
            emu.stop()
        run.pop("stdout")
        run.update(facts(lakehouse, "duckdb"))
        import duckdb

        con = duckdb.connect(str(lakehouse), read_only=True)
        try:
            [(summary,)] = con.sql(
                "SELECT summary FROM bronze.run_context_log ORDER BY started_ts_utc DESC LIMIT 1"
            ).fetchall()
            # the retention curves and the videos' formats: asked weekly and monthly by our own
            # policy, not a minimum Google sets
            [(retention,)] = con.sql("SELECT count(*) FROM bronze.analytics_video_retention_raw").fetchall()
            [(formats,)] = con.sql("SELECT count(*) FROM bronze.analytics_video_content_type_raw").fetchall()
        finally:
            con.close()
    per_channel = json.loads(summary)["channels"]
    requests = {name: stats["requests"].get(path, 0) for name, path in ENDPOINTS}
    minimum = {name: sum(m[name] for m in minima.values()) for name, _ in ENDPOINTS}
    everything = sum(v for k, v in stats["requests"].items() if not k.startswith("/emulator"))
    ingest = sum(
        run["tasks"][t]["seconds"] or 0
        for t in ("ingest_data_api_to_bronze", "ingest_analytics_api_to_bronze")
    )
    return {
        "benchmark": "many_channels",
        "world": world_name,
        "channels": channels,
        "videos_per_channel": videos,
        "history_days": history,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "requests_per_second": rate,
        "run": run,
        "requests": requests,
        "minimal_requests": minimum,
        "retention_curves": retention,
        "content_types": formats,
        "requests_over_minimal": round(
            (sum(requests.values()) - retention - formats) / sum(minimum.values()), 4
        ),
        "per_channel": {
            cid: {
                "status": per_channel.get(cid, {}).get("status"),
                "analytics_requests": per_channel.get(cid, {}).get("analytics_requests"),
                "minimal_reports": minima[cid]["reports"],
            }
            for cid in minima
        },
        "all_requests_incl_token_and_reporting": everything,
        "ingestion_wall_s": round(ingest, 1),
        "requests_at_the_paced_rate_s": round(everything / rate, 1),
        "ingestion_wall_over_paced": round(ingest / (everything / rate), 3),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--world", choices=sorted(WORLDS), default="M")
    p.add_argument("--channels", type=int, default=3)
    p.add_argument("--requests-per-second", type=float, default=500.0)
    args = p.parse_args()
    out = benchmark(args.world, args.channels, args.requests_per_second)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.world}_channels{args.channels}.json").write_text(
        json.dumps(out, indent=2, default=str) + "\n"
    )
    print(json.dumps({k: v for k, v in out.items() if k != "run"}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "benchmarks"))
    raise SystemExit(main())
