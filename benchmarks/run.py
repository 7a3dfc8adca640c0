"""The benchmark suite: one world, one engine, one scenario; a JSON result.

Worlds (the emulator's seed 42, pinned to start ``history`` days before 2026-06-30):
S = 60 videos x 120 days, M = 500 x 365, L = 2,000 x 730.
Scenarios:
- full: a first ``ytlake run`` that backfills the world's whole history over HTTP;
- incremental: full, then the next day's run (emulator and pipeline one day later);
- transform: Silver + Gold built from Bronze alone (the job with ingestion EXCLUDED), the
  Bronze landed by ``bronze_generator.py`` (the ingestion tasks against the emulator
  in-process, no HTTP), so L needs no 750,000 HTTP calls;
- demo: ``ytlake run`` with every default (the embedded demo world) on a new lakehouse.
The emulator runs in its own process and counts requests; each run is its own process,
measured over its whole tree (``common.measured``: wall, CPU, peak RSS — a Spark run's JVM
included). Per task: wall, CPU and peak RSS from the run log. The minimum number of
requests is computed from the emulator's ground truth (``ytlake.emulator.truth``).

Usage:
  uv run python benchmarks/run.py --world S --engine duckdb --scenario incremental
  uv run python benchmarks/run.py --suite      # every figure of benchmarks/README.md
Writes benchmarks/results/<world>_<engine>_<scenario>.json (the suite: suite.json, suite.md).
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

from bronze_generator import TODAY, WORLDS, cached_bronze
from bronze_generator import world as world_at
from common import ROOT, EmulatorProcess, measured

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
TRANSFORM_TASKS = ("init_run_context", "run_lakeflow_pipeline", "dbt_run_gold", "finalize_run_log")
TARGETS = {"build_duckdb_s": 60, "build_spark_s": 300, "demo_s": 60, "incremental_ratio": 0.10, "pacing": 1.2}


def _env() -> dict[str, str]:
    """No Google credentials; the local Spark driver (the whole local cluster) gets 8 GiB."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("YT_")}
    env.setdefault("YTLAKE_SPARK_DRIVER_MEMORY", "8g")
    return env


def _child(function: str, *args: str) -> list[str]:
    """A command line calling ``function(*args)`` of this module in a new interpreter."""
    code = f"import sys; sys.path.insert(0, {str(HERE)!r}); import run; run.{function}(*sys.argv[1:])"
    return [sys.executable, "-c", code, *args]


# -- in the child processes ---------------------------------------------------------------
def print_facts(lakehouse: str, engine: str) -> None:
    """Rows per table, lakehouse size and the latest run's log (per-task figures), as JSON."""
    from ytlake.lakehouse import open_engine
    from ytlake.runlocal import table_rows

    path = Path(lakehouse)
    with open_engine(engine, path) as eng:
        last = eng.query(
            f"SELECT run_id, run_status, summary FROM {eng.qualify('bronze.run_context_log')} "
            "ORDER BY started_ts_utc DESC LIMIT 1"
        ).to_pylist()[0]
        bronze_total = {
            t: eng.count(f"bronze.{t}")
            for t in ("analytics_video_country_daily_raw", "analytics_video_daily_raw", "videos_raw")
        }
    rows = table_rows(path, engine, "youtube_analytics", last["run_id"])
    rows.pop("__run_status__", None)
    store = path if engine == "duckdb" else path.with_suffix(".spark")
    size = (
        store.stat().st_size
        if store.is_file()
        else sum(f.stat().st_size for f in store.rglob("*") if f.is_file())
    )
    summary = json.loads(last["summary"] or "{}")
    print(
        json.dumps(
            {
                "run_status": last["run_status"],
                "rows": rows,
                "bronze_rows_total": bronze_total,
                "lakehouse_mib": round(size / 2**20, 1),
                "tasks": {
                    t["task_key"]: {k: t.get(k) for k in ("state", "seconds", "cpu_seconds", "peak_rss_mib")}
                    for t in summary.get("tasks", [])
                },
                "client_retries": summary.get("retries"),
            }
        )
    )


def transform_child(lakehouse: str, engine: str) -> None:
    """Silver + Gold from the Bronze already in ``lakehouse``: the job, ingestion EXCLUDED."""
    from ytlake.runlocal import RunOptions, run_local

    result = run_local(
        RunOptions(source="demo", lakehouse=Path(lakehouse), engine=engine, today=TODAY), only=TRANSFORM_TASKS
    )
    print(json.dumps({k: r.state for k, r in result.run.results.items()}))
    if not result.succeeded:
        raise SystemExit(1)


# -- in the harness -------------------------------------------------------------------------
def facts(lakehouse: Path, engine: str) -> dict:
    out = subprocess.run(
        _child("print_facts", str(lakehouse), engine), capture_output=True, text=True, cwd=ROOT
    )
    if out.returncode:
        raise RuntimeError(f"reading the lakehouse failed: {out.stderr[-500:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def one_run(
    world: tuple[int, int], today: date, lakehouse: Path, engine: str, start: date, backfill: bool
) -> dict:
    videos, history = world
    emu = EmulatorProcess(
        *("--videos", str(videos), "--history-days", str(history)),
        *("--today", today.isoformat(), "--world-start", start.isoformat()),
        *("--data-api-quota", "1000000000"),
    )
    try:
        result = measured(
            [
                *(sys.executable, "-m", "ytlake", "run", "--source", "demo", "--api-root", emu.base),
                *("--lakehouse", str(lakehouse), "--today", today.isoformat(), "--engine", engine),
                *(["--start-date", start.isoformat()] if backfill else []),
            ],
            _env(),
        )
        stats = emu.stats()
    finally:
        emu.stop()
    result.pop("stdout")
    result["requests"] = {
        name: stats["requests"].get(path, 0)
        for name, path in (
            ("channels", "/youtube/v3/channels"),
            ("playlistItems", "/youtube/v3/playlistItems"),
            ("videos", "/youtube/v3/videos"),
            ("reports", "/v2/reports"),
        )
    }
    result["data_api_units"] = stats["data_api_units"]
    result["non_200_answers"] = {k: v for k, v in stats["statuses"].items() if k != "200"}
    return result


def ratio(requests: dict[str, int], minimum: dict[str, int]) -> float:
    return round(sum(requests.values()) / sum(minimum.values()), 4)


def scenario_runs(world_name: str, engine: str, scenario: str, tmp: Path) -> dict:
    from ytlake.emulator.rules import Irregularities
    from ytlake.emulator.truth import minimal_requests
    from ytlake.youtube.reports import REPORTS_BY_NAME

    daily_metrics = REPORTS_BY_NAME["video_daily"].metrics
    google_like = Irregularities()  # `ytlake emulator serve` is as irregular as Google by default

    videos, history = WORLDS[world_name]
    start = TODAY - timedelta(days=history)
    lakehouse = tmp / "yt.duckdb"
    out: dict = {}
    first = one_run((videos, history), TODAY, lakehouse, engine, start, backfill=True)
    world = world_at(videos, history, TODAY, start)
    first["minimal_requests"] = minimal_requests(
        world, TODAY, None, set(), daily_metrics, google_like, default_start_days=history
    )
    first["requests_over_minimal"] = ratio(first["requests"], first["minimal_requests"])
    first.update(facts(lakehouse, engine))
    out["first_run"] = first
    if scenario == "incremental":
        alive = {v.video_id for v in world.videos_of(1, TODAY)}
        nxt = TODAY + timedelta(days=1)
        second = one_run((videos, history), nxt, lakehouse, engine, start, backfill=False)
        second["minimal_requests"] = minimal_requests(
            world_at(videos, history, nxt, start), nxt, TODAY, alive, daily_metrics, google_like
        )
        second["requests_over_minimal"] = ratio(second["requests"], second["minimal_requests"])
        second.update(facts(lakehouse, engine))
        out["next_day_run"] = second
        out["incremental_over_first_requests"] = round(
            sum(second["requests"].values()) / sum(first["requests"].values()), 4
        )
        out["incremental_over_first_wall"] = round(second["wall_s"] / first["wall_s"], 3)
    return out


def scenario_transform(world_name: str, engine: str, tmp: Path) -> dict:
    started = time.monotonic()
    bronze, generated = cached_bronze(world_name)
    generation_s = round(time.monotonic() - started, 1) if generated else None
    lakehouse = tmp / "yt.duckdb"
    if engine == "duckdb":
        shutil.copy(bronze, lakehouse)
    else:
        load = subprocess.run(
            [
                sys.executable,
                str(HERE / "bronze_generator.py"),
                "--world",
                world_name,
                "--to-spark",
                str(lakehouse),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=_env(),
        )
        if load.returncode:
            raise RuntimeError(f"loading Bronze into Spark failed: {load.stderr[-800:]}")
    run = measured(_child("transform_child", str(lakehouse), engine), _env())
    run.pop("stdout")
    run.update(facts(lakehouse, engine))
    tasks = run["tasks"]
    build = tasks["run_lakeflow_pipeline"]["seconds"] + tasks["dbt_run_gold"]["seconds"]
    limit = TARGETS[f"build_{engine}_s"]
    return {
        "bronze": {"source": f"bronze_generator.py ({bronze.name})", "generated_in_s": generation_s},
        "transform": run,
        "silver_gold_build_s": round(build, 2),
        "silver_gold_peak_rss_mib": run["peak_rss_mib"],
        "target_s": limit,
        "met": run["exit_code"] == 0 and build <= limit,
    }


def scenario_demo(tmp: Path) -> dict:
    run = measured([sys.executable, "-m", "ytlake", "run", "--lakehouse", str(tmp / "yt.duckdb")], _env())
    run.pop("stdout")
    run.update(facts(tmp / "yt.duckdb", "duckdb"))
    return {
        "demo_run": run,
        "target_s": TARGETS["demo_s"],
        "met": run["exit_code"] == 0 and run["wall_s"] <= 60,
    }


def benchmark(world_name: str, engine: str, scenario: str) -> dict:
    videos, history = WORLDS[world_name]
    out: dict = {
        "benchmark": "run",
        "world": world_name if scenario != "demo" else "demo (60 x 120, defaults)",
        "videos": videos,
        "history_days": history,
        "engine": engine,
        "scenario": scenario,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "disk_free_gib": round(shutil.disk_usage(tempfile.gettempdir()).free / 2**30),
    }
    if world_name == "L" and out["disk_free_gib"] < 10:
        raise SystemExit(
            f"the L world needs about 10 GiB free in {tempfile.gettempdir()}; {out['disk_free_gib']} GiB free"
        )
    with tempfile.TemporaryDirectory() as tmp:
        if scenario in ("full", "incremental"):
            out.update(scenario_runs(world_name, engine, scenario, Path(tmp)))
        elif scenario == "transform":
            out.update(scenario_transform(world_name, engine, Path(tmp)))
        else:
            out.update(scenario_demo(Path(tmp)))
    name = "demo.json" if scenario == "demo" else f"{world_name}_{engine}_{scenario}.json"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / name).write_text(json.dumps(out, indent=2, default=str) + "\n")
    return out


# -- the suite ------------------------------------------------------------------------------
SUITE = (
    ("S", "duckdb", "demo"),
    ("S", "duckdb", "incremental"),
    ("M", "duckdb", "incremental"),
    ("S", "spark", "full"),
    ("L", "duckdb", "transform"),
    ("L", "spark", "transform"),
)


def _ratio(v: float | None) -> str:
    return f"{v:.2f}" if v is not None else "—"


def _mib(v: float | None) -> str:
    return f"{v:,.0f} MiB" if v is not None else "—"


def suite_markdown(results: list[dict], pacing: dict) -> str:
    lines = [
        f"Machine: {results[0]['machine']}, {results[0]['disk_free_gib']} GiB free disk.",
        "",
        "| world | engine | run | requests | ÷ minimum | wall | CPU | peak memory | lakehouse |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        runs = []
        if "first_run" in r:
            runs.append((f"first ({r['history_days']}-day backfill)", r["first_run"]))
        if "next_day_run" in r:
            runs.append(("next day", r["next_day_run"]))
        if "transform" in r:
            runs.append(("Silver + Gold from Bronze", r["transform"]))
        if "demo_run" in r:
            runs.append(("`ytlake run` (demo defaults)", r["demo_run"]))
        for label, x in runs:
            req = sum(x["requests"].values()) if "requests" in x else None
            lines.append(
                f"| {r['world'] if r['scenario'] != 'demo' else 'demo'} | {r['engine']} | {label} | "
                f"{f'{req:,}' if req is not None else '—'} | "
                f"{_ratio(x.get('requests_over_minimal'))} | {x['wall_s']:.1f} s | {x['cpu_s']:.1f} s | "
                f"{_mib(x['peak_rss_mib'])} | {x['lakehouse_mib']:,.1f} MiB |"
            )
    lines += [
        "",
        "Requests per endpoint (the first three are the Data API units; reports = Analytics "
        "requests), answers other than 200, client retries:",
        "",
        "| run | channels | playlistItems | videos | reports | non-200 | retries |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        for label, x in (("first", r.get("first_run")), ("next day", r.get("next_day_run"))):
            if not x:
                continue
            q = x["requests"]
            retries = sum(sum((v or {}).values()) for v in (x.get("client_retries") or {}).values())
            lines.append(
                f"| {r['world']} {r['engine']} {label} | {q['channels']:,} | {q['playlistItems']:,} | "
                f"{q['videos']:,} | {q['reports']:,} | {sum(x['non_200_answers'].values())} | {retries} |"
            )
    lines += ["", "Per task (wall / CPU seconds, peak RSS of the run's own process):", ""]
    keys = list(next(r for r in results if "first_run" in r)["first_run"]["tasks"])
    lines.append("| run | " + " | ".join(keys) + " |")
    lines.append("|---|" + "---:|" * len(keys))
    for r in results:
        for label, x in (
            ("first", r.get("first_run")),
            ("next day", r.get("next_day_run")),
            ("transform", r.get("transform")),
        ):
            if not x:
                continue
            cells = []
            for k in keys:
                t = x["tasks"].get(k) or {}
                if t.get("state") not in ("SUCCESS", None) and not t.get("seconds"):
                    cells.append(t.get("state", "—").lower())
                else:
                    cells.append(
                        f"{t.get('seconds') or 0:.1f} / {t.get('cpu_seconds') or 0:.1f} s, {_mib(t.get('peak_rss_mib'))}"
                    )
            lines.append(f"| {r['world']} {r['engine']} {label} | " + " | ".join(cells) + " |")
    by = {(r["world"], r["engine"], r["scenario"]): r for r in results}
    m = by.get(("M", "duckdb", "incremental"))
    demo = next((r for r in results if r["scenario"] == "demo"), None)
    first_next = [
        f"{w} {by[(w, 'duckdb', 'incremental')]['first_run']['requests_over_minimal']:.2f} / "
        f"{by[(w, 'duckdb', 'incremental')]['next_day_run']['requests_over_minimal']:.2f}"
        for w in ("S", "M")
        if (w, "duckdb", "incremental") in by
    ]
    rows = [
        (
            "requests ÷ minimum (one request per video per range report) = 1.00 (first run / next day)",
            ", ".join(first_next),
            all(
                by[(w, "duckdb", "incremental")][k]["requests_over_minimal"] == 1.0
                for w in ("S", "M")
                if (w, "duckdb", "incremental") in by
                for k in ("first_run", "next_day_run")
            ),
        ),
        (
            "ingestion wall ÷ (requests ÷ 50) ≤ 1.2 at `--max-rps 50`",
            f"{pacing['ratio']} ({pacing['requests']:,} requests, {pacing['rate_limited_answers']} rate-limited answers)",
            pacing["met"],
        ),
    ]
    if m:
        rows.append(
            (
                "M next day ÷ first run, requests ≤ 0.10 (wall beside it)",
                f"{m['incremental_over_first_requests']} requests, {m['incremental_over_first_wall']} wall",
                m["incremental_over_first_requests"] <= TARGETS["incremental_ratio"],
            )
        )
    for engine in ("duckdb", "spark"):
        t = by.get(("L", engine, "transform"))
        if t:
            rows.append(
                (
                    f"L Silver + Gold build ≤ {t['target_s']} s ({engine})",
                    f"{t['silver_gold_build_s']:.1f} s, peak RSS {_mib(t['silver_gold_peak_rss_mib'])}",
                    t["met"],
                )
            )
    if demo:
        rows.append(
            (
                "`ytlake run` on the default demo world ≤ 60 s",
                f"{demo['demo_run']['wall_s']:.1f} s",
                demo["met"],
            )
        )
    lines += ["", "| target | figure | met |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {'yes' if c else '**no**'} |" for a, b, c in rows]
    return "\n".join(lines) + "\n"


def run_suite() -> int:
    results = []
    for world_name, engine, scenario in SUITE:
        print(f"-- {world_name} {engine} {scenario}", file=sys.stderr, flush=True)
        results.append(benchmark(world_name, engine, scenario))
    print("-- ingestion pacing", file=sys.stderr, flush=True)
    subprocess.run(
        [sys.executable, str(HERE / "ingest_pacing.py")], check=True, cwd=ROOT, stdout=subprocess.DEVNULL
    )
    pacing = json.loads((RESULTS / "ingest_pacing.json").read_text())
    (RESULTS / "suite.json").write_text(
        json.dumps({"runs": results, "pacing": pacing}, indent=2, default=str) + "\n"
    )
    table = suite_markdown(results, pacing)
    (RESULTS / "suite.md").write_text(table)
    print(table)
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--world", choices=sorted(WORLDS), default="S")
    p.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb")
    p.add_argument("--scenario", choices=["full", "incremental", "transform", "demo"], default="full")
    p.add_argument("--suite", action="store_true", help="every run of the README's table, then the table")
    p.add_argument("--report", action="store_true", help="render results/suite.json as the README's table")
    args = p.parse_args()
    if args.suite:
        return run_suite()
    if args.report:
        saved = json.loads((RESULTS / "suite.json").read_text())
        print(suite_markdown(saved["runs"], saved["pacing"]))
        return 0
    print(json.dumps(benchmark(args.world, args.engine, args.scenario), indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
