"""The benchmark suite: one world, one engine, one scenario; a JSON result.

Worlds (the emulator's seeds): S = 60 videos x 120 days, M = 500 x 365, L = 2,000 x 730.
Scenarios:
- full: a first `ytlake run` (window: 90 days back, the default);
- incremental: a first run, then the next day's run (emulator and pipeline one day later);
- transform: after a first run, Silver + Gold rebuilt alone (Lakeflow runner + dbt).
The emulator runs in its own process; `ytlake run` in another, measured with wait4 (wall,
CPU, peak RSS). Requests are counted by the emulator and compared with the minimum computed
from its ground truth (ytlake.emulator.truth), not from the planner.

Usage: uv run python benchmarks/run.py --world S --engine duckdb --scenario incremental
Writes benchmarks/results/<world>_<engine>_<scenario>.json and prints it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
from common import ROOT, EmulatorProcess

WORLDS = {"S": (60, 120), "M": (500, 365), "L": (2000, 730)}
TODAY = date(2026, 6, 30)


def measured(cmd: list[str], env: dict[str, str]) -> dict:
    """Run a command; wall, CPU and peak RSS of its process tree (wait4)."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    return {
        "exit_code": os.waitstatus_to_exitcode(status),
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mib": round(usage.ru_maxrss / 1024),
        "stderr_tail": err[-300:] if os.waitstatus_to_exitcode(status) else "",
    }


def lakehouse_facts(path: Path) -> dict:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.sql(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema IN ('bronze', 'silver', 'gold') ORDER BY 1"
        ).fetchall()
        rows = {t: con.sql(f"SELECT count(*) FROM {t}").fetchall()[0][0] for (t,) in tables}
        summary = json.loads(
            con.sql(
                "SELECT summary FROM bronze.run_context_log ORDER BY started_ts_utc DESC LIMIT 1"
            ).fetchall()[0][0]
        )
        status = con.sql(
            "SELECT run_status FROM bronze.run_context_log ORDER BY started_ts_utc DESC LIMIT 1"
        ).fetchall()[0][0]
    finally:
        con.close()
    return {
        "rows": rows,
        "run_status": status,
        "lakehouse_mib": round(path.stat().st_size / 2**20, 1),
        "tasks_s": {t["task_key"]: t["seconds"] for t in summary["tasks"]},
        "client_retries": summary["retries"],
    }


def one_run(
    world: tuple[int, int],
    today: date,
    lakehouse: Path,
    engine: str,
    start: date,
    backfill_start: date | None = None,
) -> dict:
    from ytlake.emulator.world import World, WorldConfig

    videos, history = world
    emu = EmulatorProcess(
        "--videos",
        str(videos),
        "--history-days",
        str(history),
        "--today",
        today.isoformat(),
        "--world-start",
        start.isoformat(),
        "--data-api-quota",
        "1000000000",
    )
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("YT_")}
        result = measured(
            [
                sys.executable,
                "-m",
                "ytlake",
                "run",
                "--source",
                "demo",
                "--api-root",
                emu.base,
                "--lakehouse",
                str(lakehouse),
                "--today",
                today.isoformat(),
                "--engine",
                engine,
                *(["--start-date", backfill_start.isoformat()] if backfill_start else []),
            ],
            env,
        )
        stats = emu.stats()
    finally:
        emu.stop()
    requests = {
        "channels": stats["requests"].get("/youtube/v3/channels", 0),
        "playlistItems": stats["requests"].get("/youtube/v3/playlistItems", 0),
        "videos": stats["requests"].get("/youtube/v3/videos", 0),
        "reports": stats["requests"].get("/v2/reports", 0),
    }
    result["requests"] = requests
    result["data_api_units"] = stats["data_api_units"]
    result["world"] = World(
        WorldConfig(videos=world[0], history_days=world[1], today=today, start=start, seed=42)
    )
    return result


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--world", choices=sorted(WORLDS), default="S")
    p.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb")
    p.add_argument("--scenario", choices=["full", "incremental", "transform"], default="full")
    args = p.parse_args()
    from ytlake.emulator.truth import minimal_requests

    videos, history = WORLDS[args.world]
    start = TODAY - timedelta(days=history)
    out: dict = {
        "benchmark": "run",
        "world": args.world,
        "videos": videos,
        "history_days": history,
        "engine": args.engine,
        "scenario": args.scenario,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "disk_free_gib": round(shutil.disk_usage(tempfile.gettempdir()).free / 2**30),
    }
    with tempfile.TemporaryDirectory() as tmp:
        lakehouse = Path(tmp) / "yt.duckdb"
        # the first run backfills the whole history (the world's age), as a new user's would
        first = one_run((videos, history), TODAY, lakehouse, args.engine, start, backfill_start=start)
        world = first.pop("world")
        minimum = minimal_requests(world, TODAY, None, set(), default_start_days=history)
        first["minimal_requests"] = minimum
        first["requests_over_minimal"] = round(sum(first["requests"].values()) / sum(minimum.values()), 4)
        if args.engine == "duckdb":
            first.update(lakehouse_facts(lakehouse))
        out["first_run"] = first
        if args.scenario == "incremental":
            alive = {v.video_id for v in world.videos_of(1, TODAY)}
            second = one_run((videos, history), TODAY + timedelta(days=1), lakehouse, args.engine, start)
            world2 = second.pop("world")
            minimum2 = minimal_requests(world2, TODAY + timedelta(days=1), TODAY - timedelta(days=2), alive)
            second["minimal_requests"] = minimum2
            second["requests_over_minimal"] = round(
                sum(second["requests"].values()) / sum(minimum2.values()), 4
            )
            if args.engine == "duckdb":
                second.update(lakehouse_facts(lakehouse))
            out["next_day_run"] = second
            out["incremental_over_first_requests"] = round(
                sum(second["requests"].values()) / sum(first["requests"].values()), 4
            )
            out["incremental_over_first_wall"] = round(second["wall_s"] / first["wall_s"], 3)
        if args.scenario == "transform":
            code = (
                "import time, json, sys\nfrom pathlib import Path\n"
                "from ytlake import paths\nfrom ytlake.lakeflow import discover, run_pipeline\n"
                "from ytlake.lakehouse import open_engine\nfrom ytlake.tasks.dbt import run_dbt\nimport argparse\n"
                f"lake = Path({str(lakehouse)!r})\nt = time.monotonic()\n"
                f"with open_engine({args.engine!r}, lake) as e:\n"
                "    run_pipeline(e, discover(str(paths.silver_sql_dir() / '**')))\n"
                "silver = time.monotonic() - t\n"
                "a = argparse.Namespace(target='local', lakehouse=str(lake), catalog='youtube_analytics', "
                "silver_schema='silver', secret_scope=None)\n"
                "o = run_dbt('run', a)\n"
                "print(json.dumps({'silver_s': round(silver, 2), 'silver_gold_s': round(time.monotonic() - t, 2), "
                "'dbt_ok': o.success}))\n"
            )
            out["transform"] = measured([sys.executable, "-c", code], dict(os.environ))
    name = f"{args.world}_{args.engine}_{args.scenario}.json"
    dest = ROOT / "benchmarks" / "results" / name
    dest.parent.mkdir(exist_ok=True)
    dest.write_text(json.dumps(out, indent=2, default=str) + "\n")
    print(json.dumps(out, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
