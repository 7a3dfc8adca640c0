"""Whole runs: the bundle's job on the emulator into a temporary DuckDB lakehouse.

``ytlake run``'s demo emulator is as irregular as Google documents (per-metric latency, sparse
days, privacy thresholds); these tests take the last available day from the emulator's rules.
"""

from __future__ import annotations

import json
from datetime import timedelta

import duckdb
import pytest

from ytlake.cli import main
from ytlake.emulator.rules import Irregularities, available_through
from ytlake.emulator.world import World
from ytlake.job import default_task_runner
from ytlake.runlocal import RunOptions, run_local
from ytlake.youtube.reports import REPORTS_BY_NAME

from ..conftest import TODAY, tiny_world_config


def _last_channel_day(world: World):
    """The last day Google has every metric of the channel report for (metrics lag unequally)."""
    return available_through(world, REPORTS_BY_NAME["channel_daily"].metrics, Irregularities())


pytestmark = pytest.mark.slow


def _options(lakehouse, **kw) -> RunOptions:
    values = {
        "source": "demo",
        "lakehouse": lakehouse,
        "today": TODAY,
        "demo_seed": 7,
        "demo_videos": 6,
        "demo_history_days": 21,
    }
    values.update(kw)
    return RunOptions(**values)


def _sql(path, sql):
    con = duckdb.connect(str(path))  # same config as the run's (in-process instance cache)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    lakehouse = tmp_path_factory.mktemp("e2e") / "yt.duckdb"
    first = run_local(_options(lakehouse))
    after_first = {
        t: _sql(lakehouse, f"SELECT count(*) FROM {t}")[0][0]
        for t in (
            "silver.fact_channel_daily_metrics",
            "silver.silver_videos",
            "silver.silver_channels",
            "gold.gold_channel_daily_summary",
        )
    }
    second = run_local(_options(lakehouse))
    return lakehouse, first, second, after_first


def test_every_task_succeeds_and_the_run_log_says_so(two_runs):
    lakehouse, first, second, _ = two_runs
    for run in (first, second):
        assert {r.state for r in run.run.results.values()} == {"SUCCESS"}, run.run.results
    log = _sql(
        lakehouse,
        "SELECT run_id, run_status, finalized_ts_utc IS NOT NULL, summary "
        "FROM bronze.run_context_log ORDER BY started_ts_utc",
    )
    assert [(r[0], r[1], r[2]) for r in log] == [
        (first.run.run_id, "SUCCEEDED", True),
        (second.run.run_id, "SUCCEEDED", True),
    ]
    summary = json.loads(log[0][3])
    assert summary["failed_tasks"] == []
    assert summary["bronze_rows"]["channels_raw"] == 1
    tasks = {t["task_key"]: t for t in summary["tasks"]}
    analytics = tasks["ingest_analytics_api_to_bronze"]  # measured per task, locally
    assert analytics["cpu_seconds"] > 0 and 50 < analytics["peak_rss_mib"] < 100_000


def test_gold_has_one_row_per_day_of_the_window(two_runs):
    lakehouse, *_ = two_runs
    start, end = TODAY - timedelta(days=90), _last_channel_day(World(tiny_world_config()))
    assert end == TODAY - timedelta(days=3)  # subscribers and engaged views lag a day more than views
    rows = _sql(
        lakehouse,
        "SELECT min(date), max(date), count(*), count(DISTINCT date) FROM gold.gold_channel_daily_summary",
    )
    assert rows == [(start, end, (end - start).days + 1, (end - start).days + 1)]


def test_gold_equals_the_emulators_ground_truth(two_runs):
    lakehouse, *_ = two_runs
    world = World(tiny_world_config())
    got = dict(_sql(lakehouse, "SELECT date, views FROM gold.gold_channel_daily_summary"))
    expected = {}
    day = TODAY - timedelta(days=90)
    while day <= _last_channel_day(world):
        expected[day] = world.observed_channel_day(1, day).views
        day += timedelta(days=1)
    assert got == expected
    net = _sql(
        lakehouse,
        "SELECT sum(net_subscribers), sum(subscribers_gained - subscribers_lost) "
        "FROM gold.gold_channel_daily_summary",
    )[0]
    assert net[0] == net[1]


def test_a_second_run_duplicates_nothing_in_silver_or_gold(two_runs):
    lakehouse, _, _, after_first = two_runs
    for table, n in after_first.items():
        assert _sql(lakehouse, f"SELECT count(*) FROM {table}")[0][0] == n, table
    assert _sql(
        lakehouse,
        "SELECT count(*) - count(DISTINCT (channel_id, date)) FROM silver.fact_channel_daily_metrics",
    ) == [(0,)]
    assert _sql(lakehouse, "SELECT count(*) - count(DISTINCT video_id) FROM silver.silver_videos") == [(0,)]
    # Bronze is append-only: both runs' rows are there, each run's once
    assert _sql(lakehouse, "SELECT count(DISTINCT run_id), count(*) FROM bronze.channels_raw") == [(2, 2)]


def test_silver_physical_holds_a_copy_of_silver(two_runs):
    lakehouse, *_ = two_runs
    for table in ("fact_channel_daily_metrics", "silver_videos", "silver_channels"):
        assert _sql(lakehouse, f"SELECT count(*) FROM silver_physical.{table}") == _sql(
            lakehouse, f"SELECT count(*) FROM silver.{table}"
        )


def test_no_credential_reaches_bronze_the_run_log_or_the_log_file(two_runs):
    lakehouse, first, second, _ = two_runs
    for result in (first, second):
        text = result.log_path.read_text()
        assert "--- ingest_analytics_api_to_bronze" in text  # the log is the run's
        for secret in ("ytlake-demo-secret", "ytlake-demo-refresh-token", "ya29."):
            assert secret not in text
    for table in ("channels_raw", "playlist_items_raw", "videos_raw", "analytics_channel_daily_raw"):
        leaked = _sql(
            lakehouse,
            f"SELECT count(*) FROM bronze.{table} WHERE payload LIKE '%ytlake-demo-secret%' "
            "OR payload LIKE '%refresh-token%' OR payload LIKE '%ya29.%'",
        )
        assert leaked == [(0,)], table
    assert _sql(
        lakehouse,
        "SELECT count(*) FROM bronze.run_context_log WHERE params LIKE '%secret%' OR summary LIKE '%ya29.%'",
    ) == [(0,)]


def test_a_failing_middle_task_skips_dependants_and_the_run_log_says_failed(tmp_path):
    def failing(spec, argv):
        if spec.task_key == "run_lakeflow_pipeline":
            raise RuntimeError("injected failure in the Silver build")
        default_task_runner(spec, argv)

    lakehouse = tmp_path / "yt.duckdb"
    result = run_local(_options(lakehouse), runner=failing)
    states = {k: r.state for k, r in result.run.results.items()}
    assert states["run_lakeflow_pipeline"] == "FAILED"
    assert states["dbt_run_gold"] == states["dbt_test"] == states["optimize_tables"] == "UPSTREAM_FAILED"
    assert states["finalize_run_log"] == "FAILED"  # it recorded FAILED, then failed the job
    [(status, summary)] = _sql(lakehouse, "SELECT run_status, summary FROM bronze.run_context_log")
    assert status == "FAILED"
    summary = json.loads(summary)
    assert summary["failed_tasks"] == ["run_lakeflow_pipeline"]
    assert "injected failure" in next(
        t["error"] for t in summary["tasks"] if t["task_key"] == "run_lakeflow_pipeline"
    )
    assert summary["skipped_tasks"] == ["dbt_run_gold", "dbt_test", "optimize_tables"]


def test_the_cli_runs_the_job_and_prints_a_summary(tmp_path, capsys, monkeypatch):
    from ytlake import cli

    lakehouse = tmp_path / "cli" / "yt.duckdb"
    reports = []  # what the live line of each ingestion task is drawn from
    monkeypatch.setattr(cli._Progress, "requests", lambda self, task: reports.append(task))
    argv = ["run", "--source", "demo", "--lakehouse", str(lakehouse), "--today", TODAY.isoformat()]
    argv += ["--demo-videos", "4", "--demo-history-days", "14", "--start-date", "2026-02-20"]
    code = main(argv)
    captured = capsys.readouterr()
    out = " ".join(captured.out.split())  # rich wraps at the terminal's width
    assert code == 0, out
    assert "SUCCEEDED" in out
    last = _last_channel_day(World(tiny_world_config(seed=42, videos=4, history_days=14)))
    days = (last - TODAY.replace(day=20, month=2)).days + 1
    assert _sql(lakehouse, "SELECT count(*) FROM gold.gold_channel_daily_summary") == [(days,)]
    # in a creator's terms: the channel by name, its videos, its days, the last 28 days' views
    [(title, channel_id)] = _sql(lakehouse, "SELECT channel_title, channel_id FROM gold.gold_channels")
    [(first, last_day, views_28)] = _sql(
        lakehouse,
        "SELECT min(date), max(date), sum(views) FILTER (WHERE date > (SELECT max(date) - 28 "
        "FROM gold.gold_channel_daily_summary)) FROM gold.gold_channel_daily_summary",
    )
    [(videos,)] = _sql(lakehouse, "SELECT count(DISTINCT video_id) FROM gold.gold_video_daily_summary")
    assert (
        f"{title} ({channel_id}): {videos} videos; days {first} to {last_day}; {views_28:,} views in the "
        "last 28 days" in out
    )
    ingest = {r.task_key: r for r in reports}  # the last report of each task
    assert set(ingest) == {"ingest_data_api_to_bronze", "ingest_analytics_api_to_bronze"}
    assert all(r.done == r.planned > 0 for r in ingest.values())  # everything planned was answered
    [(summary,)] = _sql(lakehouse, "SELECT summary FROM bronze.run_context_log")
    [channel] = json.loads(summary)["channels"].values()
    assert ingest["ingest_analytics_api_to_bronze"].done == channel["planned_requests"]
    assert ingest["ingest_data_api_to_bronze"].done == json.loads(summary)["data_api_units"]
    done = [r.done for r in reports if r.task_key == "ingest_analytics_api_to_bronze"]
    assert done == sorted(done)
    assert "gold.gold_channel_daily_summary" not in out  # the per-table detail is -v's
    assert "INFO" not in captured.err and "INFO" not in out  # task log lines go to the log file

    # -v: the tasks' log lines (stderr) and every table's rows, Bronze, then Silver, then Gold
    code = main([*argv, "-v"])
    captured = capsys.readouterr()
    assert code == 0, captured.out
    assert "--- ingest_analytics_api_to_bronze" in captured.err  # each task's start, as in its log
    assert '"task": "ingest_analytics_api_to_bronze"' in captured.err and " INFO " in captured.err
    tables = [w for w in captured.out.split() if w.startswith(("bronze.", "silver.", "gold."))]
    layers = [t.split(".")[0] for t in tables]
    assert layers == sorted(layers, key=["bronze", "silver", "gold"].index) and set(layers) == {
        "bronze",
        "silver",
        "gold",
    }


def test_daily_demo_runs_see_the_same_world_one_day_older(tmp_path):
    """The demo world is pinned by the lakehouse's first demo run, so the next day's run
    sees yesterday's provisional days restated (and nothing else changed)."""
    lakehouse = tmp_path / "yt.duckdb"
    first = run_local(_options(lakehouse, start_date=TODAY - timedelta(days=12)))
    day_before = _sql(lakehouse, "SELECT date, views FROM gold.gold_channel_daily_summary ORDER BY date")
    second = run_local(
        _options(lakehouse, today=TODAY + timedelta(days=1), start_date=TODAY - timedelta(days=12))
    )
    assert first.succeeded and second.succeeded
    params = [
        json.loads(p)
        for (p,) in _sql(lakehouse, "SELECT params FROM bronze.run_context_log ORDER BY started_ts_utc")
    ]
    assert params[0]["demo_world_start"] == params[1]["demo_world_start"]
    after = dict(_sql(lakehouse, "SELECT date, views FROM gold.gold_channel_daily_summary"))
    before = dict(day_before)
    recent = TODAY - timedelta(days=3)
    old = TODAY - timedelta(days=10)
    assert after[recent] > before[recent]  # restated upwards, the latest version wins
    assert after[old] == before[old]
    assert TODAY - timedelta(days=2) in after and TODAY - timedelta(days=2) not in before
