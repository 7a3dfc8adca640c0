"""Run state lives in the lakehouse, not in task values: a FAILED run fails finalize_run_log
(so the Databricks job fails and alerts), a task run on its own finds what it needs, and a
repair of a failed run reopens it and closes it again (whole local runs, real tasks)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from ytlake.cli import EXIT_CODES
from ytlake.job import default_task_runner
from ytlake.runlocal import RunOptions, run_local

from ..conftest import TODAY

pytestmark = pytest.mark.slow


def _row(path: Path, run_id: str) -> dict:
    con = duckdb.connect(str(path), read_only=True)
    try:
        cur = con.execute("SELECT * FROM bronze.run_context_log WHERE run_id = ?", [run_id])
        names = [d[0] for d in cur.description]
        return dict(zip(names, cur.fetchall()[0], strict=True))
    finally:
        con.close()


def _gold_rows(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.sql("SELECT count(*) FROM gold.gold_video_daily_summary").fetchall()[0][0]
    finally:
        con.close()


@pytest.fixture(scope="module")
def failed(tmp_path_factory):
    """A demo run whose dbt_run_gold fails (Google and Silver are fine)."""
    path = tmp_path_factory.mktemp("state") / "yt.duckdb"
    options = RunOptions(source="demo", lakehouse=path, today=TODAY, demo_videos=4, demo_history_days=20)

    def runner(spec, argv):
        if spec.task_key == "dbt_run_gold":
            raise RuntimeError("the warehouse is gone")
        default_task_runner(spec, argv)

    return options, run_local(options, runner=runner)


def test_a_failed_task_makes_finalize_fail_after_recording_failed(failed):
    options, result = failed
    final = result.run.results["finalize_run_log"]
    assert final.state == "FAILED"  # so the Databricks job's result is FAILED and on_failure fires
    assert "FAILED (recorded in bronze.run_context_log): dbt_run_gold failed" in final.error
    row = _row(options.lakehouse, result.run.run_id)
    assert row["run_status"] == "FAILED" and row["finalized_ts_utc"] is not None
    assert json.loads(row["summary"])["failed_tasks"] == ["dbt_run_gold"]
    assert EXIT_CODES[result.run_status] == 1


def test_a_task_run_on_its_own_finds_its_state_in_the_lakehouse(failed):
    """As `bundle run --only dbt_run_gold,dbt_test`: a new run with no init_run_context; its
    first task opens it (the pipeline's today from the job parameter), dbt reads Silver."""
    options, _ = failed
    result = run_local(options, only=["dbt_run_gold", "dbt_test"])
    states = {k: r.state for k, r in result.run.results.items()}
    assert states["dbt_run_gold"] == states["dbt_test"] == states["finalize_run_log"] == "SUCCESS"
    assert states["init_run_context"] == "EXCLUDED"
    row = _row(options.lakehouse, result.run.run_id)
    assert row["run_status"] == "SUCCEEDED"
    params = json.loads(row["params"])
    assert params["opened_by"] == "dbt_run_gold" and params["today"] == TODAY.isoformat()
    assert _gold_rows(options.lakehouse) > 0


def test_a_repair_reopens_the_failed_run_and_closes_it_again(failed):
    options, first = failed
    before = _row(options.lakehouse, first.run.run_id)
    result = run_local(options, only=["dbt_run_gold", "dbt_test", "optimize_tables"], repair=first.run.run_id)
    assert result.run.run_id == first.run.run_id
    row = _row(options.lakehouse, first.run.run_id)
    assert row["run_status"] == "SUCCEEDED"
    assert row["started_ts_utc"] == before["started_ts_utc"]  # the same run, not a new one
    summary = json.loads(row["summary"])
    assert [r["was"] for r in summary["reopened"]] == ["FAILED"]
    [attempt] = summary["attempts"]  # the first attempt's outcome stays on record
    assert attempt["run_status"] == "FAILED" and attempt["failed_tasks"] == ["dbt_run_gold"]
    # what the first attempt's ingest tasks recorded is still the run's
    assert summary["analytics_requests"] > 0 and summary["bronze_rows"]["analytics_video_daily_raw"] > 0
