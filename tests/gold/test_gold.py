"""Gold: the marts and their tests, on the lakehouse of two emulator runs."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections import defaultdict
from datetime import date, timedelta

import pytest

from ytlake import paths
from ytlake.job import default_task_runner
from ytlake.runlocal import RunOptions, run_local

from ..conftest import TODAY

pytestmark = pytest.mark.slow

MARTS = (
    "gold_channel_daily_summary",
    "gold_video_daily_summary",
    "gold_video_traffic_source_daily_summary",
    "gold_video_country_daily_summary",
    "gold_video_device_daily_summary",
)


def test_every_mart_is_built_and_every_dbt_test_passed(built):
    for mart in MARTS:
        assert built.sql(f"SELECT count(*) FROM gold.{mart}")[0][0] > 0, mart
    summary = json.loads(
        built.sql("SELECT summary FROM bronze.run_context_log ORDER BY started_ts_utc DESC LIMIT 1")[0][0]
    )
    # the five marts, the breakdown coverage, audience, subscribed status, playback location,
    # live or on demand, retention, and revenue: the channel's (every day, "not authorised"
    # here), the videos' and ad types'
    assert summary["dbt_run"] == {
        "success": len(list((paths.dbt_project_dir() / "models" / "gold").glob("*.sql")))
    }
    counts = summary["dbt_test"]["counts"]
    assert counts.get("fail", 0) == 0 and counts.get("error", 0) == 0
    assert counts["pass"] >= 40  # schema, singular and unit tests


def test_gold_totals_equal_the_emulators_ground_truth(built):
    truth = built.truths()  # by day and source (Silver's column): a bulk day as its file had it
    channel = built.sql(
        "SELECT g.date, g.views, g.net_subscribers, f.source FROM gold.gold_channel_daily_summary g "
        "JOIN silver.fact_channel_daily_metrics f USING (channel_id, date)"
    )
    for d, views, net, source in channel:
        m = truth(d, source).observed_channel_day(1, d)
        assert (views, net) == (m.views, m.subscribers_gained - m.subscribers_lost), d
    videos = built.sql(
        "SELECT g.video_id, g.date, g.views, f.source FROM gold.gold_video_daily_summary g "
        "JOIN silver.fact_video_daily_metrics f USING (video_id, date)"
    )
    assert videos
    for video_id, d, views, source in videos:
        w = truth(d, source, video_id)
        assert views == w.observed_video_day(w.video(video_id), d).views, (video_id, d)
    for mart, fact, kind in (
        ("gold_video_traffic_source_daily_summary", "fact_video_traffic_source_metrics", "traffic"),
        ("gold_video_device_daily_summary", "fact_video_device_metrics", "device"),
        ("gold_video_country_daily_summary", "fact_video_country_metrics", "country"),
    ):
        days = built.sql(
            f"SELECT video_id, date, sum(views), any_value(f.source) FROM gold.{mart} "
            f"JOIN (SELECT DISTINCT video_id, date, source FROM silver.{fact}) f USING (video_id, date) GROUP BY 1, 2"
        )
        assert days
        for video_id, d, total, source in days:
            w = truth(d, source, video_id)
            assert total == sum(m.views for m in w.breakdown(kind, w.video(video_id), d).values()), (
                mart,
                video_id,
                d,
            )


def test_video_marts_carry_title_publish_day_and_names(built):
    v = built.retitled
    rows = built.sql(
        f"SELECT DISTINCT video_title, published_date FROM gold.gold_video_daily_summary WHERE video_id = '{v.video_id}'"
    )
    assert rows == [(f"{v.title} (updated)", v.published_date)]
    assert built.sql(
        "SELECT count(*) FROM gold.gold_video_country_daily_summary WHERE country_name LIKE 'Unknown%'"
    ) == [(0,)]
    names = dict(
        built.sql("SELECT DISTINCT source_id, source_name FROM gold.gold_video_traffic_source_daily_summary")
    )
    assert names["YT_SEARCH"] == "YouTube search"


def test_content_type_is_youtubes_where_it_answered_and_the_duration_elsewhere(built):
    """A video whose life had views in a range the runs asked is typed as the emulator's world
    typed it (Short, Live, Long-form), whatever its length; one that had none (no answer named
    its format) falls back to its duration, and says so."""
    label = {"SHORTS": "Short", "LIVE_STREAM": "Live", "VIDEO_ON_DEMAND": "Long-form"}
    asked = built.sql(
        "SELECT snapshot_date, payload FROM bronze.analytics_video_content_type_raw "
        "WHERE payload::JSON->>'status' = '200'"
    )
    assert asked
    typed: set[str] = set()
    for day, payload in asked:
        world, params = built.world(day), json.loads(payload)["request"]["params"]
        video = world.video(params["filters"].removeprefix("video=="))
        first, last = date.fromisoformat(params["startDate"]), date.fromisoformat(params["endDate"])
        if any(
            world.observed_video_day(video, first + timedelta(days=i)).views
            for i in range((last - first).days + 1)
        ):
            typed.add(video.video_id)
    world = built.world()
    rows = built.sql(
        "SELECT video_id, content_type, content_type_basis, duration_seconds FROM gold.gold_videos"
    )
    for video_id, content_type, basis, seconds in rows:
        if video_id in typed:
            assert (content_type, basis) == (label[world.video(video_id).content_type], "creatorContentType")
        else:
            expected = "Short" if seconds and seconds <= 180 else "Long-form" if seconds else "Unknown"
            assert (content_type, basis) == (expected, "duration"), video_id
    assert typed and {"Short", "Long-form"} <= {row[1] for row in rows}  # the world has both formats


def test_a_duplicated_silver_grain_fails_dbt_test_and_the_run_log_names_it(tmp_path):
    def corrupting(spec, argv):
        default_task_runner(spec, argv)
        if spec.task_key == "run_lakeflow_pipeline":
            import duckdb

            con = duckdb.connect(str(tmp_path / "yt.duckdb"))
            con.execute(
                "INSERT INTO silver.fact_video_daily_metrics "
                "SELECT * REPLACE (ingest_ts_utc - INTERVAL 1 HOUR AS ingest_ts_utc) "
                "FROM silver.fact_video_daily_metrics LIMIT 1"
            )
            con.close()

    result = run_local(
        RunOptions(
            source="demo",
            lakehouse=tmp_path / "yt.duckdb",
            today=TODAY,
            demo_seed=7,
            demo_videos=6,
            demo_history_days=21,
            start_date=TODAY - timedelta(days=10),
        ),
        runner=corrupting,
    )
    states = {k: r.state for k, r in result.run.results.items()}
    assert states["dbt_test"] == "FAILED" and states["optimize_tables"] == "UPSTREAM_FAILED"
    assert "source_unique_combination_silver_fact_video_daily_metrics" in result.run.results["dbt_test"].error
    import duckdb

    con = duckdb.connect(str(tmp_path / "yt.duckdb"))
    status, summary = con.sql("SELECT run_status, summary FROM bronze.run_context_log").fetchall()[0]
    con.close()
    summary = json.loads(summary)
    assert status == "FAILED" and summary["failed_tasks"] == ["dbt_test"]
    assert any("fact_video_daily_metrics" in f for f in summary["dbt_test"]["failures"])
    # Gold's own grain held: it keeps the latest row per grain
    assert summary["dbt_test"]["counts"]["fail"] == 1


def _dbt_args(lake):
    import argparse

    from ytlake.tasks import common
    from ytlake.tasks.dbt import add_dbt_args

    parser = argparse.ArgumentParser()
    common.add(parser, "catalog", default="youtube_analytics")
    common.add(parser, "lakehouse", default=str(lake))
    add_dbt_args(parser)
    return parser.parse_args([])


def test_every_dbt_unit_test_passes_here_and_the_daily_job_runs_none(built, tmp_path):
    """dbt's unit tests have static inputs: CI runs them (here), the job's dbt_test does not
    (dbt's advice: no compute spent on them in production)."""
    import yaml

    from ytlake.tasks.dbt import run_dbt

    declared = [
        t["name"]
        for path in (paths.dbt_project_dir() / "models").rglob("*.yml")
        for t in (yaml.safe_load(path.read_text()) or {}).get("unit_tests", [])
    ]
    assert len(declared) >= 7
    lake = tmp_path / "yt.duckdb"
    shutil.copy(built.lakehouse, lake)
    outcome = run_dbt("test", _dbt_args(lake), ["--select", "test_type:unit"])
    assert outcome.success and outcome.counts == {"pass": len(declared)}, outcome
    # the job's last dbt command (its dbt_test) ran the data tests only
    job = json.loads((built.lakehouse.parent / "dbt" / "target" / "run_results.json").read_text())
    kinds = {r["unique_id"].split(".")[0] for r in job["results"]}
    assert kinds == {"test"}, kinds


def test_a_parse_is_reused_only_for_the_very_project_it_read(built, tmp_path, monkeypatch):
    """dbt's parse is kept in the process between dbt commands; a project whose files changed
    since is parsed anew (the edited model is what the next run builds)."""
    from ytlake.tasks.dbt import run_dbt

    project = tmp_path / "dbt"
    shutil.copytree(paths.dbt_project_dir(), project, ignore=shutil.ignore_patterns("target", "logs"))
    monkeypatch.setenv("DBT_PROJECT_DIR", str(project))
    lake = tmp_path / "yt.duckdb"
    shutil.copy(built.lakehouse, lake)
    args, mart = _dbt_args(lake), "gold_channel_daily_summary"

    def columns():
        import duckdb

        con = duckdb.connect(str(lake), read_only=True)
        try:
            return [row[0] for row in con.sql(f"DESCRIBE gold_staging.{mart}").fetchall()]
        finally:
            con.close()

    assert run_dbt("run", args, ["--select", mart]).success
    assert "edited" not in columns()
    model = project / "models" / "gold" / f"{mart}.sql"
    model.write_text(model.read_text().replace("select * from final", "select *, 1 as edited from final"))
    assert run_dbt("run", args, ["--select", mart]).success
    assert columns()[-1] == "edited"


def test_the_freshness_test_measures_against_each_runs_own_day(built, tmp_path):
    """The job passes its Pacific day to dbt: Gold ending the day before is fresh, a month
    behind is stale, on the same lakehouse in one process (dbt's parse, reused between the
    job's dbt commands, must not keep an earlier run's day)."""
    from ytlake.tasks.dbt import run_dbt

    lake = tmp_path / "yt.duckdb"
    shutil.copy(built.lakehouse, lake)
    args = _dbt_args(lake)
    last = built.sql("SELECT max(date) FROM gold.gold_channel_daily_summary")[0][0]
    verdicts = []
    for today in (last + timedelta(days=1), last + timedelta(days=30), last + timedelta(days=1)):
        outcome = run_dbt("test", args, ["--select", "assert_gold_is_fresh"], today=today)
        assert sum(outcome.counts.values()) == 1, outcome
        verdicts.append(outcome.success)
        if not outcome.success:
            assert outcome.failures and outcome.failures[0].startswith("assert_gold_is_fresh"), outcome
    assert verdicts == [True, False, True]


def _dbt(*args):
    from dbt.cli.main import dbtRunner

    project = str(paths.dbt_project_dir())
    return dbtRunner().invoke([*args, "--project-dir", project, "--profiles-dir", project, "--quiet"])


def test_dbt_parse_of_the_dev_target_works_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("DBT_DATABRICKS_HOST", "example.cloud.databricks.com")
    monkeypatch.setenv("DBT_DATABRICKS_HTTP_PATH", "/sql/1.0/warehouses/placeholder")
    monkeypatch.setenv("DBT_DATABRICKS_TOKEN", "placeholder-token")
    res = _dbt(
        "parse",
        "--target",
        "dev",
        "--target-path",
        str(tmp_path / "target"),
        "--log-path",
        str(tmp_path / "logs"),
    )
    assert res.success, res.exception
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    models = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    assert set(MARTS) <= models
    assert manifest["metadata"]["adapter_type"] == "databricks"


def test_dbt_docs_generate_works_locally(built, tmp_path, monkeypatch):
    monkeypatch.setenv("YTLAKE_DUCKDB_PATH", str(built.lakehouse))
    res = _dbt(
        "docs", "generate", "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")
    )
    assert res.success, res.exception
    catalog = json.loads((tmp_path / "target" / "catalog.json").read_text())
    assert any(k.endswith("gold_video_daily_summary") for k in catalog["nodes"])


def test_in_the_ideal_world_breakdowns_account_for_every_view(built):
    """Nothing is withheld by the exact emulator, so the coverage mart measures no shortfall
    (under Google's privacy threshold it does: tests/e2e/test_irregular.py)."""
    rows = built.sql(
        "SELECT breakdown, count(*), sum(withheld_views) FROM gold.gold_video_breakdown_coverage GROUP BY 1"
    )
    assert {b for b, *_ in rows} == {"traffic_source", "device", "country"}
    assert all(n > 0 and withheld == 0 for _, n, withheld in rows), rows


def _file_rows(built, report_type: str, day: date, tmp_path) -> list[dict[str, str]]:
    """The data lines of the file Silver read for ``report_type`` and ``day``, as the official
    client downloads it from the emulator the runs used (its jobs kept in the runs' state,
    copied so nothing here changes it; its clock at the second run's noon), parsed with
    Python's csv module: independent of Bronze and of the SQL parse."""
    from ytlake.emulator.server import running_emulator
    from ytlake.emulator.service import EmulatorConfig

    from ..emulator.test_reporting import _download, _reporting
    from ..two_runs import T2, _noon, world_config

    [(report_id,)] = built.sql(
        "SELECT report_id FROM silver.silver_bulk_report_files "
        f"WHERE report_type = '{report_type}' AND date = DATE '{day}'"
    )
    state = tmp_path / f"{report_type}.json"
    shutil.copy(built.lakehouse.parent / "emulator_state.json", state)
    noon = _noon(T2).timestamp()
    config = EmulatorConfig.exact(state_path=state)
    with running_emulator(world_config(built.seed, T2), config, clock=lambda: noon) as emu:
        api = _reporting(emu)
        [job] = [j for j in api.jobs().list().execute()["jobs"] if j["reportTypeId"] == report_type]
        reports = api.jobs().reports().list(jobId=job["id"], pageSize=500).execute()["reports"]
        [report] = [r for r in reports if r["id"] == report_id]
        text = _download(api, report["downloadUrl"]).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_audience_subscribed_live_playback_and_sharing_marts_equal_the_days_files(built, tmp_path):
    day = max(d for (d,) in built.sql("SELECT DISTINCT date FROM gold.gold_video_audience_daily"))
    activity = _file_rows(built, "channel_basic_a3", day, tmp_path)
    segment_views: dict[tuple, int] = defaultdict(int)
    subscribed: dict[tuple, int] = defaultdict(int)
    for r in activity:
        if r["video_id"]:
            key = (r["video_id"], r["live_or_on_demand"], r["subscribed_status"], r["country_code"])
            segment_views[key] += int(r["views"])
            subscribed[(r["video_id"], r["subscribed_status"])] += int(r["views"])
    estimated: dict[tuple, float] = defaultdict(float)
    for r in _file_rows(built, "channel_demographics_a1", day, tmp_path):
        key = (r["video_id"], r["live_or_on_demand"], r["subscribed_status"], r["country_code"])
        if r["video_id"] and key in segment_views:
            estimated[(r["video_id"], r["age_group"], r["gender"])] += (
                segment_views[key] * float(r["views_percentage"]) / 100
            )
    gold = {
        (v, a, g): (views, pct)
        for v, a, g, views, pct in built.sql(
            "SELECT video_id, age_group, gender, estimated_views, viewer_percentage "
            f"FROM gold.gold_video_audience_daily WHERE date = DATE '{day}'"
        )
    }
    assert gold.keys() == estimated.keys() and len(gold) > 20
    video_totals: dict[str, float] = defaultdict(float)
    for (video_id, _, _), views in estimated.items():
        video_totals[video_id] += views
    for key, views in estimated.items():
        assert gold[key][0] == pytest.approx(views, abs=1e-6), key
        assert gold[key][1] == pytest.approx(100 * views / video_totals[key[0]], abs=1e-6), key
    gold_subscribed = dict(
        ((v, s), n)
        for v, s, n in built.sql(
            "SELECT video_id, subscribed_status, views FROM gold.gold_video_subscribed_status_daily "
            f"WHERE date = DATE '{day}'"
        )
    )
    assert gold_subscribed == dict(subscribed)
    live: dict[tuple, tuple[int, int]] = {}
    for r in activity:
        if r["video_id"]:
            key = (r["video_id"], r["live_or_on_demand"])
            views, shares = live.get(key, (0, 0))
            live[key] = (views + int(r["views"]), shares + int(r["shares"]))
    gold_live = {
        (v, kind): (n, shares)
        for v, kind, n, shares in built.sql(
            "SELECT video_id, live_or_on_demand, views, shares FROM gold.gold_video_live_on_demand_daily "
            f"WHERE date = DATE '{day}'"
        )
    }
    assert gold_live == live and len(live) > 5
    playback: dict[tuple, int] = defaultdict(int)
    for r in _file_rows(built, "channel_playback_location_a3", day, tmp_path):
        if r["video_id"]:
            playback[(r["video_id"], r["playback_location_type"], r["playback_location_detail"])] += int(
                r["views"]
            )
    gold_playback = {
        (v, code, detail): (n, name)
        for v, code, detail, n, name in built.sql(
            "SELECT video_id, playback_location_code, playback_location_detail, views, playback_location_name "
            f"FROM gold.gold_video_playback_location_daily WHERE date = DATE '{day}'"
        )
    }
    assert {k: n for k, (n, _) in gold_playback.items()} == dict(playback)
    assert not any(name.startswith("Unknown") for _, name in gold_playback.values())  # every code named
    shares: dict[tuple, int] = defaultdict(int)
    # shares are rare: the latest day Gold has any (the file of that day must hold the same)
    [(day,)] = built.sql("SELECT max(date) FROM gold.gold_video_sharing_service_daily")
    for r in _file_rows(built, "channel_sharing_service_a1", day, tmp_path):
        if r["video_id"]:
            shares[(r["video_id"], r["sharing_service"])] += int(r["shares"])
    gold_sharing = {
        (v, code): (n, name)
        for v, code, n, name in built.sql(
            "SELECT video_id, sharing_service_code, shares, sharing_service_name "
            f"FROM gold.gold_video_sharing_service_daily WHERE date = DATE '{day}'"
        )
    }
    assert {k: n for k, (n, _) in gold_sharing.items()} == dict(shares) and shares
    assert not any(name.startswith("Unknown") for _, name in gold_sharing.values())  # every code named
