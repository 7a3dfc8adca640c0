"""Bulk mode side by side: the requests and time of `query`, `bulk` and `hybrid` on one world.

One emulator world (default M: 500 videos, 365 days; the demo irregularities on) whose
Reporting jobs persist in `--state` while `--today` walks:

- T0: a `bulk` run creates the Reporting jobs (Google's first files come ~48 hours later);
- T1 = T0 + 3: first runs on new lakehouses in `query` (every day from v2) and `hybrid` (the
  files of T0-30 .. T1-2 are listed: v2 only for the days before them), and the `bulk`
  lakehouse's second run (the files);
- T2 = T1 + 1: the next day in each mode (the steady state).

Each run is `ytlake run` in its own process (wall, CPU, peak RSS of its tree); requests are
counted by the emulator per API. For `hybrid` the script also checks, from Bronze, that no
v2 answer of its runs covers a day a landed file covers.

Usage: uv run python benchmarks/bulk_modes.py [--world M] [--modes query,bulk,hybrid]
Writes benchmarks/results/bulk_modes_<world>.json and prints it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import duckdb
from bronze_generator import TODAY, WORLDS
from common import ROOT, EmulatorProcess, measured

T0 = TODAY
T1 = T0 + timedelta(days=3)
T2 = T1 + timedelta(days=1)


def _api(path: str) -> str | None:
    if path.startswith("/v2/"):
        return "analytics_v2"
    if path.startswith("/v1/media/"):
        return "reporting_downloads"
    if path.startswith("/v1/"):
        return "reporting_calls"
    if path.startswith("/youtube/v3/"):
        return "data_api"
    return None  # /token, /emulator/stats


def _by_api(before: dict, after: dict) -> dict[str, int]:
    out: Counter = Counter()
    for path, n in after["requests"].items():
        api = _api(path)
        if api:
            out[api] += n - before["requests"].get(path, 0)
    return dict(out)


def _run(emu: EmulatorProcess, lakehouse: Path, today: date, mode: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YT_")}
    before = emu.stats()
    cmd = [sys.executable, "-m", "ytlake", "run", "--source", "demo", "--api-root", emu.base]
    cmd += ["--lakehouse", str(lakehouse), "--today", today.isoformat(), "--analytics-mode", mode]
    result = measured(cmd, env=env)
    requests = _by_api(before, emu.stats())
    out = {k: result[k] for k in ("exit_code", "wall_s", "cpu_s", "peak_rss_mib") if k in result}
    out["requests"] = requests
    out["total_requests"] = sum(requests.values())
    return out


def _v2_on_bulk_days(lakehouse: Path) -> int:
    """v2 answers in Bronze whose days overlap a day a landed file of the report's type covers."""
    from ytlake.youtube.reports import REPORTS

    con = duckdb.connect(str(lakehouse), read_only=True)
    try:
        days = {
            t: {
                d
                for (d,) in con.sql(
                    f"SELECT date FROM silver.silver_bulk_report_files WHERE report_type = '{t}'"
                ).fetchall()
            }
            for t in {r.bulk_type for r in REPORTS if r.bulk_type}
        }
        overlapping = 0
        for report in REPORTS:
            for (payload,) in con.sql(f"SELECT payload FROM {report.table}").fetchall():
                params = json.loads(payload)["request"]["params"]
                first, last = date.fromisoformat(params["startDate"]), date.fromisoformat(params["endDate"])
                covered = days.get(report.bulk_type or "", set())
                if any(first + timedelta(days=i) in covered for i in range((last - first).days + 1)):
                    overlapping += 1
        return overlapping
    finally:
        con.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--world", choices=sorted(WORLDS), default="M")
    p.add_argument("--modes", default="query,bulk,hybrid")
    args = p.parse_args()
    modes = args.modes.split(",")
    videos, history = WORLDS[args.world]
    start = (TODAY - timedelta(days=history)).isoformat()
    runs: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        state = root / "emulator_state.json"

        def serve(today: date) -> EmulatorProcess:
            flags = ["--seed", "42", "--videos", str(videos), "--history-days", str(history)]
            flags += ["--world-start", start, "--today", today.isoformat(), "--state", str(state)]
            return EmulatorProcess(*flags)

        with serve(T0) as emu:  # the jobs (no file for 48 hours)
            runs["bulk T0 (jobs created)"] = _run(emu, root / "bulk.duckdb", T0, "bulk")
        with serve(T1) as emu:
            for mode in modes:
                label = f"{mode} T1 ({'second run' if mode == 'bulk' else 'first run'})"
                runs[label] = _run(emu, root / f"{mode}.duckdb", T1, mode)
        with serve(T2) as emu:
            for mode in modes:
                runs[f"{mode} T2 (next day)"] = _run(emu, root / f"{mode}.duckdb", T2, mode)
        overlap = _v2_on_bulk_days(root / "hybrid.duckdb") if "hybrid" in modes else None
    result = {
        "world": args.world,
        "videos": videos,
        "history_days": history,
        "days": {"T0": T0.isoformat(), "T1": T1.isoformat(), "T2": T2.isoformat()},
        "runs": runs,
        "hybrid_v2_answers_on_bulk_days": overlap,
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
    }
    out = ROOT / "benchmarks" / "results" / f"bulk_modes_{args.world}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0 if all(r["exit_code"] in (0, 4) for r in runs.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
