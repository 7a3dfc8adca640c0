"""The fault suite: each scenario ends with a check against a clean run of the same world —
0 rows lost, 0 rows duplicated. Figures for the README table are printed with -s."""

from __future__ import annotations

import pytest

from ytlake.emulator.server import running_emulator
from ytlake.emulator.service import EmulatorConfig

from .helpers import (
    NEXT_DAY,
    TODAY,
    bronze_duplicates,
    gold,
    grain_duplicates,
    lost_rows,
    run,
    run_summary,
    sql,
    world,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """Clean runs of the world on TODAY and on the next day, and their Gold."""
    lake = tmp_path_factory.mktemp("clean") / "yt.duckdb"
    with running_emulator(world(TODAY)) as emu:
        assert run(emu.base_url, lake, TODAY).run_status == "SUCCEEDED"
    first = gold(lake)
    import shutil

    today_lake = lake.parent / "today.duckdb"
    sql(lake, "CHECKPOINT")
    shutil.copy(lake, today_lake)
    with running_emulator(world(NEXT_DAY)) as emu:
        assert run(emu.base_url, lake, NEXT_DAY).run_status == "SUCCEEDED"
    return {"today": first, "next_day": gold(lake), "lakehouse": lake, "today_lakehouse": today_lake}


def _report(scenario, injected, lost, duplicated, outcome):
    print(f"| {scenario} | {injected} | {lost} | {duplicated} | {outcome} |")


def test_transient_errors_slow_answers_resets_and_truncation_change_nothing(clean, tmp_path, monkeypatch):
    monkeypatch.setenv("YTLAKE_HTTP_TIMEOUT_S", "1")
    lake = tmp_path / "yt.duckdb"
    config = EmulatorConfig(
        fault_rate=0.1, truncate_rate=0.03, slow_rate=0.01, slow_ms=2500, reset_rate=0.03, seed=11
    )
    with running_emulator(world(TODAY), config) as emu:
        result = run(emu.base_url, lake, TODAY)
        faults = dict(emu.emulator.stats.faults)
    assert result.run_status == "SUCCEEDED"
    assert {"truncated", "reset", "slow"} <= set(faults) and sum(faults.values()) > 20
    got = gold(lake)
    assert got == clean["today"]
    assert bronze_duplicates(lake) == 0 and grain_duplicates(lake) == 0
    _report(
        "10 % 500/503/429/403 + 3 % truncated + 3 % resets + 1 % slow",
        faults,
        lost_rows(clean["today"], got),
        0,
        "SUCCEEDED, Gold identical",
    )


@pytest.mark.parametrize(
    "quota", [{"data_api_quota": 2}, {"analytics_quota": 120}], ids=["data_api", "analytics"]
)
def test_quota_exceeded_half_way_then_the_next_day_completes(clean, tmp_path, quota):
    lake = tmp_path / "yt.duckdb"
    with running_emulator(world(TODAY), EmulatorConfig(**quota)) as emu:
        first = run(emu.base_url, lake, TODAY)
    assert first.run_status == "PARTIAL"
    with running_emulator(world(NEXT_DAY)) as emu:
        second = run(emu.base_url, lake, NEXT_DAY)
    assert second.run_status == "SUCCEEDED"
    got = gold(lake)
    assert got == clean["next_day"]
    assert bronze_duplicates(lake) == 0 and grain_duplicates(lake) == 0
    _report(
        f"quotaExceeded half-way ({next(iter(quota))})",
        quota,
        lost_rows(clean["next_day"], got),
        0,
        "PARTIAL, next day SUCCEEDED, Gold = clean",
    )


def test_a_revoked_refresh_token_fails_the_run_and_leaves_gold_as_it_was(clean, tmp_path):
    import shutil

    lake = tmp_path / "yt.duckdb"
    shutil.copy(clean["lakehouse"], lake)
    before = gold(lake)
    with running_emulator(world(NEXT_DAY), EmulatorConfig(revoke_after=3, token_ttl=1)) as emu:
        result = run(emu.base_url, lake, NEXT_DAY)
    assert result.run_status == "FAILED"
    failed = [
        r for r in result.run.results.values() if r.state == "FAILED" and r.task_key != "finalize_run_log"
    ]
    assert len(failed) == 1 and "\n" not in failed[0].error and "invalid_grant" in failed[0].error
    assert result.run.results["finalize_run_log"].state == "FAILED"  # after recording FAILED
    assert gold(lake) == before
    _report("refresh token revoked at request 3", "revoke_after=3", 0, 0, "FAILED (one line), Gold unchanged")


def test_malformed_answers_and_schema_drift_are_kept_raw_dropped_or_counted(clean, tmp_path):
    lake = tmp_path / "yt.duckdb"
    with running_emulator(world(TODAY), EmulatorConfig(malformed_rate=0.3, seed=3)) as emu:
        result = run(emu.base_url, lake, TODAY)
        faults = dict(emu.emulator.stats.faults)
    assert result.run_status == "SUCCEEDED"  # no failure: warnings instead
    assert {k for k in faults if k.startswith("malformed:")} >= {"malformed:new_traffic_source"}
    summary = run_summary(lake)
    assert summary["warnings"], summary
    assert "dbt warn: warn_unknown_traffic_source_ids" in summary["warnings"]
    # raw kept: the answers with the new source id and the unknown fields are in Bronze as sent
    assert (
        sql(
            lake,
            "SELECT count(*) FROM bronze.analytics_video_traffic_source_daily_raw "
            "WHERE payload LIKE '%FUTURE_TRAFFIC_SOURCE%'",
        )[0][0]
        > 0
    )
    # counted: the event log has the new ids (kept, warn) and any dropped items
    counted = dict(
        sql(
            lake,
            "SELECT expectation, sum(failed_records) FROM bronze.lakeflow_event_log "
            "WHERE event_type = 'expectation' GROUP BY 1",
        )
    )
    assert counted["source_id_known"] > 0
    if "malformed:missing_id" in faults:
        assert counted["video_id_well_formed"] > 0
    # the rest is correct: every metric row of the clean run is there with the same numbers
    assert _gold_metrics(lake) == _gold_metrics(clean["today_lakehouse"])
    _report(
        "malformed answers + schema drift (30 % of questions)",
        faults,
        0,
        0,
        "SUCCEEDED with warnings; raw kept, bad items dropped and counted",
    )


def _gold_metrics(lake) -> dict:
    """Numbers by grain, without titles and names (a dropped video item loses its title only)."""
    out = {}
    for mart, cols in (
        ("gold_channel_daily_summary", "channel_id, date, views, likes, net_subscribers"),
        ("gold_video_daily_summary", "video_id, date, views, likes, estimated_minutes_watched"),
        ("gold_video_country_daily_summary", "video_id, date, country_code, views"),
        ("gold_video_device_daily_summary", "video_id, date, device_type, views"),
        ("gold_video_traffic_source_daily_summary", "video_id, date, sum(views)"),
    ):
        group = " GROUP BY video_id, date" if "sum(" in cols else ""
        out[mart] = sorted(sql(lake, f"SELECT {cols} FROM gold.{mart}{group}"), key=repr)
    return out


def test_a_day_the_quota_refused_below_the_cursor_is_asked_again(clean, tmp_path):
    """Requests run concurrently: when the quota runs out a later day can land while an
    earlier one is refused. No answer in Bronze covers the refused days, so the next run asks
    for them again even though later days landed (coverage, not a high-water mark). Here: the earliest country
    day of the run, and one video's daily answer (its only one: a range is one request)."""
    import json
    import shutil

    from ytlake.emulator.errors import quota_exceeded
    from ytlake.lakehouse.bronze import envelope

    lake = tmp_path / "yt.duckdb"
    shutil.copy(clean["today_lakehouse"], lake)
    status, body = quota_exceeded()
    refused = {}
    for table in ("analytics_video_country_daily_raw", "analytics_video_daily_raw"):
        # the earliest answer of one video: far below its cursor minus the lookback
        request_id, payload = sql(
            lake,
            f"SELECT request_id, payload FROM bronze.{table} ORDER BY payload ->> '$.request.params.startDate', "
            "payload ->> '$.request.params.filters' LIMIT 1",
        )[0]
        request = json.loads(payload)["request"]
        refused[table] = request["params"]
        sql(
            lake,
            f"UPDATE bronze.{table} SET payload = "
            f"'{envelope(request['endpoint'], request['params'], status, json.dumps(body))}' "
            f"WHERE request_id = '{request_id}'",
        )
    from ytlake.plan import plan_next_run
    from ytlake.youtube.reports import REPORTS

    plans = [
        plan_next_run(path, "youtube_analytics", NEXT_DAY, None, None, 7, 2).analytics_requests
        for path in (clean["today_lakehouse"], lake)
    ]
    extra = {  # revenue is not planned: the demo token may not read it
        r.table.removeprefix("bronze."): plans[1][r.name] - plans[0][r.name]
        for r in REPORTS
        if not r.monetary
    }
    # `ytlake plan` counts them: the refused country day is one more request; the video's daily
    # report stays one request (a range: it just starts at the refused day again)
    assert extra["analytics_video_country_daily_raw"] >= 1 and extra["analytics_video_daily_raw"] == 0, extra
    # the other single-day report (demographics) follows the days the daily report re-pulls, as
    # the country report does: it may ask that video's days again, never fewer
    follows = {r.table.removeprefix("bronze.") for r in REPORTS if r.days_from == "video_daily"} - set(
        refused
    )
    assert all(extra[t] >= 0 for t in follows), extra
    assert all(n == 0 for t, n in extra.items() if t not in refused and t not in follows), extra
    with running_emulator(world(NEXT_DAY)) as emu:
        assert run(emu.base_url, lake, NEXT_DAY).run_status == "SUCCEEDED"
    last_run = sql(lake, "SELECT run_id FROM bronze.run_context_log ORDER BY started_ts_utc DESC LIMIT 1")[0][
        0
    ]
    for table, params in refused.items():
        # coverage: a 200 answer of the new run covers the refused days again
        covering = sql(
            lake,
            f"SELECT count(*) FROM bronze.{table} WHERE run_id = '{last_run}' "
            "AND payload ->> '$.status' = '200' "
            f"AND payload ->> '$.request.params.filters' = '{params['filters']}' "
            f"AND payload ->> '$.request.params.startDate' <= '{params['startDate']}' "
            f"AND payload ->> '$.request.params.endDate' >= '{params['endDate']}'",
        )[0][0]
        assert covering == 1, (table, params)
    assert gold(lake) == clean["next_day"]
    _report(
        "quota refused a day below the cursor",
        "1 country day + 1 video's daily answer",
        0,
        0,
        "asked again, Gold = clean",
    )
