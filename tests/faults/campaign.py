"""The fault campaign: seeded faults, throttling, a killed server, kills and interrupts of every
task, a quota stop then a deleted video, garbled answers, a full disk and a failed audit —
each against a clean run of the same world (Gold compared row for row).

Every case ends with: Gold equal to the clean run's, no ``request_id`` twice in Bronze, no
grain twice in Gold, no run left RUNNING, and a published Gold that a failed audit did not
touch. Run the whole campaign (figures for the README's reliability section):

    uv run python -m tests.faults.campaign --seed 1 --interrupts 50 --out benchmarks/results/faults.json

``tests/faults/test_campaign.py`` runs a small seeded sample of each case in the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

from ytlake.emulator.server import running_emulator
from ytlake.emulator.service import EmulatorConfig
from ytlake.emulator.world import World
from ytlake.job import job_tasks, load_bundle
from ytlake.tasks.dbt import environment as env
from ytlake.youtube import shapes

from .helpers import START, TODAY, gold, grain_duplicates, run, sql, world

#: the job's tasks, from the bundle
TASKS = tuple(spec.task_key for spec in job_tasks(load_bundle()))


@dataclass
class Case:
    name: str
    injected: str
    statuses: list[str] = field(default_factory=list)  # every run's status, in order
    lost: int = 0  # clean Gold rows missing at the end
    extra: int = 0  # Gold rows the clean run does not have
    duplicated: int = 0  # request_id twice in Bronze + grain twice in Gold
    left_running: int = 0
    gold_equal: bool = False
    published_untouched: bool = True  # every failed audit left the published Gold as it was
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # what else the case found wrong

    @property
    def ok(self) -> bool:
        return (
            self.gold_equal
            and self.lost == 0
            and self.extra == 0
            and self.duplicated == 0
            and self.left_running == 0
            and self.published_untouched
            and not self.failures
        )


def request_id_duplicates(lake: Path) -> int:
    total = 0
    for (table,) in sql(
        lake,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'bronze' "
        "AND (table_name LIKE '%_raw' OR table_name = 'quarantine')",
    ):
        total += sql(lake, f"SELECT count(*) - count(DISTINCT request_id) FROM bronze.{table}")[0][0]
    return total


def finish(case: Case, lake: Path, clean: dict) -> Case:
    """Compare the case's lakehouse with the clean run."""
    got = gold(lake)
    case.lost = sum(len(set(clean[m]) - set(got[m])) for m in clean)
    case.extra = sum(len(set(got[m]) - set(clean[m])) for m in clean)
    case.gold_equal = got == clean
    case.duplicated = request_id_duplicates(lake) + grain_duplicates(lake)
    case.left_running = sql(lake, "SELECT count(*) FROM bronze.run_context_log WHERE run_status = 'RUNNING'")[
        0
    ][0]
    return case


def settle(base_url: str, lake: Path, today: date, case: Case, tries: int = 3) -> None:
    """Healthy reruns until one SUCCEEDS."""
    for _ in range(tries):
        result = run(base_url, lake, today)
        case.statuses.append(str(result.run_status))
        if result.run_status == "SUCCEEDED":
            return


class Campaign:
    def __init__(self, seed: int, workdir: Path) -> None:
        self.seed, self.workdir = seed, workdir
        self.rng = random.Random(seed)
        self._clean: dict[tuple[date, ...], dict] = {}

    def lake(self, name: str) -> Path:
        folder = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.workdir))
        return folder / "yt.duckdb"

    def clean(self, *days: date) -> dict:
        """Gold of clean runs on ``days`` (cached)."""
        if days not in self._clean:
            lake = self.lake("clean")
            for d in days:
                with running_emulator(world(d)) as emu:
                    assert run(emu.base_url, lake, d).run_status == "SUCCEEDED"
            self._clean[days] = gold(lake)
        return self._clean[days]

    # -- cases -------------------------------------------------------------------------------
    def transient_faults(self, rate: float) -> Case:
        """Server errors at ``rate``, retries cut short (1 s of waiting per call), so calls run
        out of retries and days go missing behind later ones; then healthy reruns."""
        case = Case(f"faults at {rate:.0%}, then healthy reruns", f"fault_rate={rate}, 1 s retry budget")
        lake = self.lake("faults")
        config = EmulatorConfig(fault_rate=rate, seed=self.rng.randrange(10**6))
        with env({"YTLAKE_HTTP_MAX_WAIT_S": "1"}), running_emulator(world(TODAY), config) as emu:
            case.statuses.append(str(run(emu.base_url, lake, TODAY).run_status))
            case.notes.append(f"injected {sum(emu.emulator.stats.faults.values())} faults")
        with running_emulator(world(TODAY)) as emu:
            settle(emu.base_url, lake, TODAY, case)
        return finish(case, lake, self.clean(TODAY))

    def throttled(self, max_rps: float = 10.0) -> Case:
        case = Case("server throttling, then a healthy rerun", f"--max-rps {max_rps:g}, 1 s retry budget")
        lake = self.lake("throttled")
        with (
            env({"YTLAKE_HTTP_MAX_WAIT_S": "1"}),
            running_emulator(world(TODAY), EmulatorConfig(max_rps=max_rps)) as emu,
        ):
            case.statuses.append(str(run(emu.base_url, lake, TODAY).run_status))
        with running_emulator(world(TODAY)) as emu:
            settle(emu.base_url, lake, TODAY, case)
        return finish(case, lake, self.clean(TODAY))

    def server_killed(self) -> Case:
        """The emulator (a process of its own) killed during the Analytics task."""
        case = Case("the server killed mid-run, then restarted", "SIGKILL of `ytlake emulator serve`")
        lake = self.lake("server")
        port = _free_port()
        server = _serve(port)
        try:
            delay = self.rng.uniform(0.05, 0.5)
            with env({"YTLAKE_HTTP_MAX_WAIT_S": "2"}):  # the run gives up on a dead server in seconds
                proc, _ = _start_run(f"http://127.0.0.1:{port}", lake)
            if _wait_for(lake, proc, "--- ingest_analytics_api_to_bronze"):
                time.sleep(delay)
            server.kill()
            server.wait()
            code = proc.wait(timeout=600)
            case.statuses.append(_last_status(lake))
            case.notes.append(f"server killed {delay:.2f} s into the Analytics task; run exited {code}")
        finally:
            if server.poll() is None:
                server.kill()
        with running_emulator(world(TODAY)) as emu:
            settle(emu.base_url, lake, TODAY, case)
        return finish(case, lake, self.clean(TODAY))

    def interrupts(self, n: int, plan: list[tuple[str, signal.Signals]] | None = None) -> Case:
        """``n`` runs in a row, each killed (SIGKILL) or interrupted (SIGINT) at a random
        moment of a random task (or of the tasks ``plan`` names); then a healthy run."""
        n = len(plan) if plan else n
        case = Case(f"{n} kills and interrupts in a row, then a healthy run", "")
        lake = self.lake("interrupts")
        kinds = {"SIGKILL": 0, "SIGINT": 0, "ended before": 0}
        with running_emulator(world(TODAY), EmulatorConfig(latency_ms=10)) as emu:
            for i in range(n):
                task, sig = (
                    plan[i]
                    if plan
                    else (self.rng.choice(TASKS), self.rng.choice((signal.SIGKILL, signal.SIGINT)))
                )
                delay = self.rng.uniform(0.0, 1.0)
                proc, err_path = _start_run(emu.base_url, lake)
                if not _wait_for(lake, proc, f"--- {task}"):
                    kinds["ended before"] += 1
                    proc.wait()
                    continue
                time.sleep(delay)
                if proc.poll() is not None:
                    kinds["ended before"] += 1
                    continue
                proc.send_signal(sig)
                code = proc.wait(timeout=600)
                status = _last_status(lake)
                case.statuses.append(status)
                if sig == signal.SIGINT and status in ("SUCCEEDED", "PARTIAL") and code in (0, 4, 130, -2):
                    kinds["ended before"] += (
                        1  # the run had been recorded: the signal met the exiting process
                    )
                    continue
                kinds[sig.name] += 1
                if sig == signal.SIGINT:
                    stderr = err_path.read_text(errors="replace")
                    lines = [line for line in stderr.splitlines() if line.startswith("ytlake: error:")]
                    # ABORTED, or RUNNING when the signal cut the run's first write: the next run
                    # closes it (the final left_running check)
                    if (
                        code != 130
                        or len(lines) != 1
                        or "Traceback" in stderr
                        or status not in ("ABORTED", "RUNNING")
                    ):
                        case.failures.append(
                            f"SIGINT in {task}: exit {code}, {status}, stderr {stderr[-300:]!r}"
                        )
            settle(emu.base_url, lake, TODAY, case)
        case.injected = ", ".join(f"{k} {v}" for k, v in kinds.items())
        return finish(case, lake, self.clean(TODAY))

    def quota_then_deleted_video(self) -> Case:
        """A video seen on day 0; day 1 stops on the Data API quota before videos.list; the
        video is deleted on day 2. It must be marked deleted and lose nothing."""
        w = World(world(TODAY))
        gone = [v for v in w.videos if v.deleted_on and START + timedelta(days=20) <= v.deleted_on <= TODAY]
        video = gone[0]
        days = (video.deleted_on - timedelta(days=2), video.deleted_on - timedelta(days=1), video.deleted_on)
        case = Case(
            "a quota stop, then a deleted video",
            f"--data-api-quota 2 on day 1; {video.video_id} deleted day 2",
        )
        lake = self.lake("deleted")
        for i, d in enumerate(days):
            config = EmulatorConfig(data_api_quota=2) if i == 1 else None
            with running_emulator(world(d), config) as emu:
                case.statuses.append(str(run(emu.base_url, lake, d).run_status))
        deleted = sql(
            lake, f"SELECT is_deleted FROM silver.silver_videos WHERE video_id = '{video.video_id}'"
        )
        if deleted != [(True,)]:
            case.failures.append(f"{video.video_id} is_deleted = {deleted}")
        return finish(case, lake, self.clean(*days))

    def garbled(self, rate: float = 0.05) -> Case:
        case = Case("garbled answers (rows/items as a string), then a healthy rerun", f"garbled_rate={rate}")
        lake = self.lake("garbled")
        with running_emulator(
            world(TODAY), EmulatorConfig(garbled_rate=rate, seed=self.rng.randrange(10**6))
        ) as emu:
            case.statuses.append(str(run(emu.base_url, lake, TODAY).run_status))
        quarantined = sql(lake, "SELECT count(*) FROM bronze.quarantine")[0][0]
        case.notes.append(f"{quarantined} answer(s) quarantined")
        leaked = 0
        for (table,) in sql(
            lake, "SELECT table_name FROM information_schema.tables WHERE table_name LIKE '%_raw'"
        ):
            for (payload,) in sql(lake, f"SELECT payload FROM bronze.{table}"):
                env_ = json.loads(payload)
                leaked += (
                    shapes.problem(env_["request"]["endpoint"], env_["status"], json.dumps(env_["body"]))
                    is not None
                )
        if leaked or not quarantined:
            case.failures.append(f"{leaked} malformed answer(s) in a raw table, {quarantined} quarantined")
        with running_emulator(world(TODAY)) as emu:
            settle(emu.base_url, lake, TODAY, case)
        return finish(case, lake, self.clean(TODAY))

    def failed_audit(self) -> Case:
        """Bronze made to double-count a country (a breakdown above the day's views): dbt_test
        fails, and the published Gold must stay byte for byte as it was."""
        case = Case("a failed audit", "a country answer landed twice with doubled views")
        lake = self.lake("audit")
        with running_emulator(world(TODAY)) as emu:
            case.statuses.append(str(run(emu.base_url, lake, TODAY).run_status))
            before = _all_gold_rows(lake)
            _double_a_country(lake)
            result = run(emu.base_url, lake, TODAY)
            case.statuses.append(str(result.run_status))
        error = result.run.results["dbt_test"].error or ""
        case.notes.append(error[:160])
        case.published_untouched = result.run_status == "FAILED" and _all_gold_rows(lake) == before
        # equal to the clean run: the published Gold is the first run's
        return finish(case, lake, self.clean(TODAY))

    def full_disk(self, sizes_mb: tuple[int, ...]) -> list[Case]:
        """The lakehouse on a small tmpfs (root only): each run must end with one line, exit 3
        (or succeed when it fits), and lose nothing once there is room again."""
        out = []
        for size in sizes_mb:
            case = Case(f"a full disk ({size} MB)", f"tmpfs of {size} MB")
            mount = Path(tempfile.mkdtemp(prefix=f"disk{size}-", dir=self.workdir))
            if subprocess.run(
                ["mount", "-t", "tmpfs", "-o", f"size={size}m", "tmpfs", str(mount)]
            ).returncode:
                case.notes.append("skipped: cannot mount a tmpfs here (needs root)")
                case.gold_equal = True
                out.append(case)
                continue
            lake = mount / "yt.duckdb"
            try:
                with running_emulator(world(TODAY)) as emu:
                    proc, err_path = _start_run(emu.base_url, lake)
                    code = proc.wait(timeout=600)
                    stderr = err_path.read_text(errors="replace")
                    case.statuses.append(_last_status(lake) if lake.exists() else "none")
                    case.notes.append(
                        f"exit {code}: {stderr.strip().splitlines()[-1] if stderr.strip() else ''}"[:200]
                    )
                    if code not in (0, 3) or "Traceback" in stderr or "Logging error" in stderr:
                        case.failures.append(f"exit {code}: {stderr[-400:]}")
                    subprocess.run(["mount", "-o", "remount,size=512m", str(mount)], check=True)
                    settle(emu.base_url, lake, TODAY, case)
                out.append(finish(case, lake, self.clean(TODAY)))
            finally:
                subprocess.run(["umount", "-l", str(mount)])
        return out


def _all_gold_rows(lake: Path) -> dict:
    out = {}
    for (table,) in sql(
        lake, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'gold' ORDER BY 1"
    ):
        out[table] = sorted(sql(lake, f"SELECT * FROM gold.{table}"), key=repr)
    return out


def _double_a_country(lake: Path) -> None:
    row = sql(
        lake,
        "SELECT payload FROM bronze.analytics_video_country_daily_raw WHERE payload ->> '$.status' = '200' "
        "AND json_array_length(payload -> '$.body.rows') > 0 LIMIT 1",
    )[0][0]
    env_ = json.loads(row)
    names = [h["name"] for h in env_["body"]["columnHeaders"]]
    i = names.index("views")
    for r in env_["body"]["rows"]:
        r[i] = int(r[i]) * 10 + 1000
    text = json.dumps(env_).replace("'", "''")
    sql(
        lake,
        "INSERT INTO bronze.analytics_video_country_daily_raw SELECT snapshot_date, now() + INTERVAL 1 DAY, source_system, "
        f"'tampered', schema_version, run_id, '{text}' FROM bronze.analytics_video_country_daily_raw LIMIT 1",
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(port: int) -> subprocess.Popen:
    w = world(TODAY)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ytlake",
            "emulator",
            "serve",
            "--port",
            str(port),
            "--seed",
            str(w.seed),
            "--videos",
            str(w.videos),
            "--history-days",
            str(w.history_days),
            "--today",
            TODAY.isoformat(),
            "--world-start",
            START.isoformat(),
            "--latency-ms",
            "50",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return proc
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the emulator did not start")


def _start_run(base_url: str, lake: Path) -> tuple[subprocess.Popen, Path]:
    env_ = {k: v for k, v in os.environ.items() if not k.startswith("YT_")}
    lake.parent.mkdir(parents=True, exist_ok=True)
    earlier = set((lake.parent / "logs").glob("*.log"))
    err_path = Path(tempfile.mktemp(prefix="stderr-", dir=lake.parent.parent))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ytlake",
            "run",
            "--source",
            "demo",
            "--api-root",
            base_url,
            "--lakehouse",
            str(lake),
            "--today",
            TODAY.isoformat(),
        ],
        stdout=subprocess.DEVNULL,
        stderr=err_path.open("w"),
        env=env_,
    )
    proc.earlier_logs = earlier  # type: ignore[attr-defined]
    return proc, err_path


def _wait_for(lake: Path, proc: subprocess.Popen, marker: str, timeout_s: float = 300) -> bool:
    """True when this run's log (one not there before it started) shows ``marker`` while the
    run is alive."""
    logs = lake.parent / "logs"
    earlier = getattr(proc, "earlier_logs", set())
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        fresh = set(logs.glob("*.log")) - earlier if logs.is_dir() else set()
        if any(marker in p.read_text(errors="replace") for p in fresh):
            return True
        time.sleep(0.02)
    return False


def _last_status(lake: Path) -> str:
    got = sql(lake, "SELECT run_status FROM bronze.run_context_log ORDER BY started_ts_utc DESC LIMIT 1")
    return got[0][0] if got else "none"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.faults.campaign", description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--interrupts", type=int, default=50)
    p.add_argument("--disk-sizes", default="4,8,16", help="tmpfs sizes in MB (root only)")
    p.add_argument("--out", type=Path, default=None, help="write the cases as JSON here")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ytlake-campaign-") as work:
        c = Campaign(args.seed, Path(work))
        cases = [
            c.transient_faults(0.3),
            c.transient_faults(0.6),
            c.throttled(),
            c.server_killed(),
            c.interrupts(args.interrupts),
            c.quota_then_deleted_video(),
            c.garbled(),
            *c.full_disk(tuple(int(s) for s in args.disk_sizes.split(",") if s)),
            c.failed_audit(),
        ]
    print("| case | injected | runs | rows lost | rows duplicated | left RUNNING | Gold = clean | notes |")
    print("|---|---|---|---:|---:|---:|---|---|")
    for k in cases:
        print(
            f"| {k.name} | {k.injected} | {' → '.join(k.statuses)} | {k.lost} | {k.duplicated} | "
            f"{k.left_running} | {'yes' if k.gold_equal else 'NO'} | {'; '.join(k.failures + k.notes)[:200]} |"
        )
    if args.out:
        args.out.write_text(
            json.dumps([asdict(k) | {"ok": k.ok} for k in cases], indent=2, default=str) + "\n"
        )
    return 0 if all(k.ok for k in cases) else 1


if __name__ == "__main__":
    raise SystemExit(main())
