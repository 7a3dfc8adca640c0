"""Emulator throughput, measured out of process with wrk (Debian package `wrk`).

Starts `ytlake emulator serve` as its own process, then drives it with wrk from another
process with two request mixes:

- `distinct`: every request different (per-video daily reports, per-video country reports
  for single days, playlist pages, video batches), as an ingestion run sends them, so
  no answer comes from the emulator's answer cache;
- `repeated`: one channels.list URL over and over (answer cache hit).

Usage: uv run python benchmarks/emulator_throughput.py [--seconds 15] [--connections 32]
Writes benchmarks/results/emulator_throughput.json and prints it.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

import httpx
from common import ROOT, EmulatorProcess

TODAY = date(2026, 6, 30)


def distinct_paths(base: str, token: str, n: int) -> list[str]:
    headers = {"authorization": f"Bearer {token}"}
    ch = httpx.get(
        f"{base}/youtube/v3/channels", params={"part": "contentDetails", "mine": "true"}, headers=headers
    ).json()["items"][0]
    uploads = ch["contentDetails"]["relatedPlaylists"]["uploads"]
    ids, token_page = [], None
    while True:
        params = {"part": "contentDetails", "playlistId": uploads, "maxResults": 50}
        if token_page:
            params["pageToken"] = token_page
        page = httpx.get(f"{base}/youtube/v3/playlistItems", params=params, headers=headers).json()
        ids += [i["contentDetails"]["videoId"] for i in page.get("items", [])]
        token_page = page.get("nextPageToken")
        if not token_page:
            break
    rng = random.Random(1)
    paths = []
    for i in range(n):
        vid = rng.choice(ids)
        kind = i % 10
        if kind < 6:  # country for one video-day: the most frequent ingestion call
            day = TODAY - timedelta(days=rng.randint(3, 300))
            paths.append(
                f"/v2/reports?ids=channel==MINE&startDate={day}&endDate={day}&metrics=views,"
                f"estimatedMinutesWatched&dimensions=country&filters=video=={vid}"
            )
        elif kind < 9:
            start = TODAY - timedelta(days=rng.randint(30, 300))
            dims = rng.choice(["day", "insightTrafficSourceType,day", "deviceType,day"])
            metrics = "views,estimatedMinutesWatched" if "," in dims else "views,likes,comments"
            paths.append(
                f"/v2/reports?ids=channel==MINE&startDate={start}&endDate={start + timedelta(days=29)}"
                f"&metrics={metrics}&dimensions={dims}&filters=video=={vid}"
            )
        else:
            batch = ",".join(rng.sample(ids, min(50, len(ids))))
            paths.append(f"/youtube/v3/videos?part=snippet,contentDetails,statistics,status&id={batch}")
    return paths


def run_wrk(url: str, token: str, seconds: int, connections: int, lua: Path | None) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-H", f"Authorization: Bearer {token}"]
    if lua:
        cmd += ["-s", str(lua)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    latency = re.search(r"Latency\s+([\d.]+\w+)", out).group(1)
    return {
        "requests_per_second": round(rps),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "avg_latency": latency,
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=int, default=15)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--videos", type=int, default=500)
    p.add_argument("--history-days", type=int, default=365)
    args = p.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    emu = EmulatorProcess(
        "--videos",
        str(args.videos),
        "--history-days",
        str(args.history_days),
        "--today",
        TODAY.isoformat(),
        "--data-api-quota",
        "1000000000",
    )
    base = emu.base
    try:
        token = emu.token()
        paths = distinct_paths(base, token, 200_000)
        with tempfile.TemporaryDirectory() as tmp:
            lua = Path(tmp) / "distinct.lua"
            lua.write_text(
                "paths = {\n" + ",\n".join(json.dumps(x) for x in paths) + "\n}\n"
                "counter = 0\n"
                "request = function()\n  counter = counter + 1\n"
                "  return wrk.format(nil, paths[(counter % #paths) + 1])\nend\n"
            )
            distinct = run_wrk(base, token, args.seconds, args.connections, lua)
        repeated = run_wrk(
            f"{base}/youtube/v3/channels?part=snippet,contentDetails&mine=true",
            token,
            args.seconds,
            args.connections,
            None,
        )
    finally:
        emu.stop()
    result = {
        "benchmark": "emulator_throughput",
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores, Python {platform.python_version()}",
        "world": {"videos": args.videos, "history_days": args.history_days},
        "wrk": {"threads": 2, "connections": args.connections, "seconds": args.seconds},
        "distinct": distinct,
        "repeated": repeated,
        "target_requests_per_second": 1500,
        "met": distinct["requests_per_second"] >= 1500 and distinct["non_2xx"] == 0,
    }
    out = ROOT / "benchmarks" / "results" / "emulator_throughput.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
