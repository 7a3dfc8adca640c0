"""A lakehouse built by two runs of a world in which, between the runs, one video is
retitled and one is deleted, and recent days are restated. The emulator is the ideal world
(``EmulatorConfig.exact()``): these tests compare Silver and Gold with the world's figures
exactly; tests/e2e/test_irregular.py runs the job under what Google withholds and delays.

The runs are in the default mode (hybrid) and the emulator keeps its Reporting jobs between
them (``--state``, the clock at noon): the first run creates the jobs, the second lands their
files (the 30 days before T1 and the days since), so the facts hold days from both sources."""

from __future__ import annotations

import fcntl
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from ytlake.emulator.reporting import Job, reports_of
from ytlake.emulator.server import running_emulator
from ytlake.emulator.service import EmulatorConfig
from ytlake.emulator.world import PACIFIC, Video, World
from ytlake.runlocal import LocalRunResult, RunOptions, run_local

from .conftest import TODAY, tiny_world_config

T1, T2 = TODAY, TODAY + timedelta(days=3)


def world_config(seed: int, today: date):
    return tiny_world_config(
        videos=10, history_days=40, seed=seed, start=T1 - timedelta(days=30), today=today
    )


def find_seed() -> tuple[int, Video, Video]:
    for seed in range(1, 3000):
        world = World(world_config(seed, T1))
        alive = world.videos_of(1, T1)
        retitled = [v for v in alive if v.retitled_on and T1 < v.retitled_on <= T2]
        deleted = [v for v in alive if v.deleted_on and T1 < v.deleted_on <= T2]
        if retitled and deleted and retitled[0] is not deleted[0]:
            return seed, retitled[0], deleted[0]
    raise AssertionError("no seed with a retitle and a deletion between the runs")


@dataclass
class Built:
    lakehouse: Path
    seed: int
    retitled: Video
    deleted: Video

    def world(self, today: date = T2) -> World:
        return World(world_config(self.seed, today))

    def as_of(self) -> dict[date, date]:
        """Day -> the Pacific day its latest file was made (the figures Google had then), by the
        emulator's own schedule: the jobs were created at T1's noon, the second run listed the
        reports at T2's noon."""
        cfg = world_config(self.seed, T2)
        job = Job("truth", "channel_basic_a3", "truth", _noon(T1), 1)
        out: dict[date, date] = {}
        for report in reports_of(job, _noon(T2), cfg.latency_days, cfg.final_after_days):  # oldest first
            out[report.day] = report.create_time.astimezone(PACIFIC).date()
        return out

    def truths(self) -> Callable[[date, str, str | None], World]:
        """The world a Silver row's figures come from, by its day, source and video: a bulk day
        as its file had it; a v2 day as of T2, but the deleted video as of T1 (last asked then;
        files made since have its rows under an empty video_id)."""
        as_of, worlds = self.as_of(), {}

        def truth(day: date, source: str, video_id: str | None = None) -> World:
            today = as_of[day] if source == "bulk" else T1 if video_id == self.deleted.video_id else T2
            if today not in worlds:
                worlds[today] = self.world(today)
            return worlds[today]

        return truth

    def sql(self, query: str) -> list[tuple]:
        con = duckdb.connect(str(self.lakehouse))
        try:
            return con.sql(query).fetchall()
        finally:
            con.close()


def _noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=PACIFIC)


@pytest.fixture(scope="session")
def built(tmp_path_factory, worker_id) -> Built:
    """Built once per test session: the first xdist worker to need it runs the two runs under a
    lock in the session's shared temporary folder, and every worker (that one too) works on its
    own copy of the result, so no test sees another's changes or holds another's file lock."""
    seed, retitled, deleted = find_seed()
    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        shared = shared.parent  # the session's folder, above every worker's own
    source = shared / "two-runs"
    with open(shared / "two-runs.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not (source / "built").exists():
            shutil.rmtree(source, ignore_errors=True)
            build_two_runs(source / "yt.duckdb", seed)
            (source / "built").touch()
    copy = tmp_path_factory.mktemp("silver")
    shutil.copytree(source, copy, dirs_exist_ok=True)
    return Built(copy / "yt.duckdb", seed, retitled, deleted)


def build_two_runs(
    lakehouse: Path, seed: int, engine: str = "duckdb", first_only: tuple[str, ...] | None = None
) -> list[LocalRunResult]:
    """The two runs, on ``engine`` (the Spark tests run them on a local SparkSession), the first
    of only the tasks ``first_only`` names (None: the whole job); each run's result."""
    lakehouse.parent.mkdir(parents=True, exist_ok=True)
    state = lakehouse.parent / "emulator_state.json"
    results = []
    for today in (T1, T2):
        noon = _noon(today).timestamp()
        config = EmulatorConfig.exact(state_path=state)
        with running_emulator(world_config(seed, today), config, clock=lambda noon=noon: noon) as emu:
            result = run_local(
                RunOptions(
                    source="demo",
                    api_root=emu.base_url,
                    lakehouse=lakehouse,
                    today=today,
                    engine=engine,
                ),
                only=first_only if today == T1 else None,
            )
            assert result.run_status == "SUCCEEDED", {
                k: r.error for k, r in result.run.results.items() if r.error
            }
            results.append(result)
    return results
