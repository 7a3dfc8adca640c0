"""The Databricks-calling code against create_autospec(WorkspaceClient), the Databricks-side
paths of the tasks with a small fake dbutils, and the contract/smoke logic locally."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from unittest.mock import create_autospec

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.service.jobs import Run, RunResultState, RunState, RunTask
from databricks.sdk.service.sql import (
    ColumnInfo,
    ResultData,
    ResultManifest,
    ResultSchema,
    StatementResponse,
    StatementState,
    StatementStatus,
)
from databricks.sdk.service.workspace import SecretMetadata, SecretScope

from ytlake.lakehouse.bootstrap import bootstrap_statements

ROOT = Path(__file__).resolve().parents[2]


def _script(name):
    sys.path.insert(0, str(ROOT / "scripts"))
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _answer(columns=(), rows=()):
    return StatementResponse(
        statement_id="s1",
        status=StatementStatus(state=StatementState.SUCCEEDED),
        manifest=ResultManifest(schema=ResultSchema(columns=[ColumnInfo(name=c) for c in columns])),
        result=ResultData(data_array=[list(r) for r in rows]),
    )


SECRETS = {
    "YT_CLIENT_ID": "cid-123",
    "YT_CLIENT_SECRET": "very-secret-1",
    "YT_REFRESH_TOKEN": "refresh-2",
    "DBT_DATABRICKS_HOST": "adb.example.net",
    "DBT_DATABRICKS_HTTP_PATH": "/sql/1.0/warehouses/w1",
    "DBT_DATABRICKS_TOKEN": "dapi-3",
}


def test_bootstrap_secrets_creates_the_scope_and_never_prints_a_value(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    for k, v in SECRETS.items():
        monkeypatch.setenv(k, v)
    ws = create_autospec(WorkspaceClient)
    ws.secrets.list_scopes.return_value = [SecretScope(name="other")]
    assert _script("bootstrap_youtube_secrets").main(["--scope", "yt-scope"], ws=ws) == 0
    ws.secrets.create_scope.assert_called_once_with(scope="yt-scope")
    put = {c.kwargs["key"]: c.kwargs["string_value"] for c in ws.secrets.put_secret.call_args_list}
    assert put == {
        "yt_client_id": "cid-123",
        "yt_client_secret": "very-secret-1",
        "yt_refresh_token": "refresh-2",
        "dbt_host": "adb.example.net",
        "dbt_http_path": "/sql/1.0/warehouses/w1",
        "dbt_token": "dapi-3",
    }
    out = capsys.readouterr()
    for value in SECRETS.values():
        assert value not in out.out + out.err


def test_bootstrap_secrets_names_what_is_missing(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    for k in SECRETS:
        monkeypatch.delenv(k, raising=False)
    ws = create_autospec(WorkspaceClient)
    assert _script("bootstrap_youtube_secrets").main([], ws=ws) == 1
    assert "missing YT_CLIENT_ID" in capsys.readouterr().err
    ws.secrets.put_secret.assert_not_called()


def test_unity_catalog_setup_runs_the_bootstrap_sql_on_the_warehouse():
    ws = create_autospec(WorkspaceClient)
    ws.statement_execution.execute_statement.return_value = _answer()
    module = _script("unity_catalog_setup")
    assert module.main(["--warehouse-id", "wh-1", "--catalog", "yt_dev", "--action", "bootstrap"], ws=ws) == 0
    calls = ws.statement_execution.execute_statement.call_args_list
    assert [c.kwargs["statement"] for c in calls] == bootstrap_statements("yt_dev")
    assert {c.kwargs["warehouse_id"] for c in calls} == {"wh-1"}


def test_unity_catalog_validate_fails_with_a_clear_message_when_run_id_is_missing(capsys):
    from ytlake.lakehouse.bootstrap import bronze_table_columns

    rows = []
    for table, columns in bronze_table_columns().items():
        for name, _, not_null in columns:
            if table == "videos_raw" and name == "run_id":
                continue
            rows.append((table, name, "NO" if not_null else "YES", "STRING"))
    ws = create_autospec(WorkspaceClient)
    ws.statement_execution.execute_statement.return_value = _answer(
        ("table_name", "column_name", "is_nullable", "data_type"), rows
    )
    assert _script("unity_catalog_setup").main(["--warehouse-id", "wh", "--action", "validate"], ws=ws) == 1
    out = capsys.readouterr()
    assert "bronze.videos_raw.run_id: column missing from the Bronze contract" in out.out
    assert "the Bronze contract does not hold" in out.err
    sql = ws.statement_execution.execute_statement.call_args.kwargs["statement"]
    assert "youtube_analytics.information_schema.columns" in sql


def test_precheck_reports_missing_secrets():
    ws = create_autospec(WorkspaceClient)
    ws.secrets.list_secrets.return_value = [SecretMetadata(key="yt_client_id")]
    ws.statement_execution.execute_statement.return_value = _answer()
    code = _script("post_deploy_smoke_checks").main(["--warehouse-id", "wh", "--precheck"], ws=ws)
    assert code == 1
    ws.warehouses.get.assert_called_once_with("wh")


def test_finalize_reads_the_job_runs_task_states_from_the_jobs_api():
    from ytlake.tasks.finalize_run_log import databricks_task_states, terminal_status

    ws = create_autospec(WorkspaceClient)
    ws.jobs.get_run.return_value = Run(
        tasks=[
            RunTask(
                task_key="init_run_context",
                state=RunState(result_state=RunResultState.SUCCESS),
                execution_duration=1200,
            ),
            RunTask(
                task_key="dbt_test",
                state=RunState(result_state=RunResultState.FAILED, state_message="dbt test failed"),
            ),
            RunTask(task_key="optimize_tables", state=RunState(result_state=RunResultState.UPSTREAM_FAILED)),
        ]
    )
    states = databricks_task_states("987654", ws)
    ws.jobs.get_run.assert_called_once_with(987654)
    assert [(s.task_key, s.state) for s in states] == [
        ("init_run_context", "SUCCESS"),
        ("dbt_test", "FAILED"),
        ("optimize_tables", "UPSTREAM_FAILED"),
    ]
    assert states[0].seconds == 1.2 and states[1].error == "dbt test failed"
    assert terminal_status(states, partial=False) == "FAILED"


class FakeDbutils:
    """The two parts of dbutils the tasks use: task values and secrets."""

    def __init__(self, secrets):
        outer = self
        self.values, self._secrets = {}, secrets

        class TaskValues:
            def set(self, key, value):
                outer.values[("current", key)] = value

            def get(self, taskKey, key, default=None, debugValue=None):
                return outer.values.get((taskKey, key), default)

        class Jobs:
            taskValues = TaskValues()

        class Secrets:
            def get(self, scope, key):
                return outer._secrets[(scope, key)]

        self.jobs, self.secrets = Jobs(), Secrets()


def test_tasks_on_databricks_read_secrets_and_task_values_through_dbutils(monkeypatch):
    import argparse

    from ytlake import taskvalues
    from ytlake.tasks import common
    from ytlake.tasks.dbt import databricks_dbt_env

    fake = FakeDbutils(
        {
            ("yt", "yt_client_id"): "cid",
            ("yt", "yt_client_secret"): "cs",
            ("yt", "yt_refresh_token"): "rt",
            ("yt", "dbt_host"): "h",
            ("yt", "dbt_http_path"): "/p",
            ("yt", "dbt_token"): "t",
        }
    )
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "16.4")
    monkeypatch.setattr(taskvalues, "databricks_dbutils", lambda: fake)
    monkeypatch.setattr(common, "databricks_dbutils", lambda: fake)
    token = taskvalues._current.set(None)  # outside the local runner: as in a Databricks task
    try:
        ctx = taskvalues.current()
    finally:
        taskvalues._current.reset(token)
    assert isinstance(ctx.task_values, taskvalues.DatabricksTaskValues)
    ctx.task_values.set("run_id", "42")
    assert fake.values[("current", "run_id")] == "42"
    fake.values[("init_run_context", "run_id")] = "42"
    assert ctx.task_values.get("init_run_context", "run_id") == "42"
    creds = common.credentials(argparse.Namespace(secret_scope="yt"), ctx)
    assert (creds.client_id, creds.client_secret, creds.refresh_token) == ("cid", "cs", "rt")
    monkeypatch.setattr("ytlake.tasks.dbt.databricks_dbutils", lambda: fake)
    env = databricks_dbt_env(argparse.Namespace(secret_scope="yt"))
    assert env == {"DBT_DATABRICKS_HOST": "h", "DBT_DATABRICKS_HTTP_PATH": "/p", "DBT_DATABRICKS_TOKEN": "t"}


@pytest.mark.slow
def test_contract_and_smoke_on_a_real_local_lakehouse(built, tmp_path, capsys):
    import shutil

    import duckdb

    from ytlake.checks import duckdb_runner, smoke, validate_contract
    from ytlake.cli import main

    assert validate_contract(duckdb_runner(built.lakehouse)).ok
    report = smoke(duckdb_runner(built.lakehouse), None, built.world().today, max_gold_lag_days=5)
    assert report.ok, report.failed
    stale = smoke(
        duckdb_runner(built.lakehouse), None, built.world().today.replace(year=2027), max_gold_lag_days=5
    )
    assert not stale.ok and any("Gold lag" in f for f in stale.failed)
    copy = tmp_path / "broken.duckdb"
    con = duckdb.connect(str(built.lakehouse))
    con.execute("CHECKPOINT")
    con.close()
    shutil.copy(built.lakehouse, copy)
    con = duckdb.connect(str(copy))
    con.execute("ALTER TABLE bronze.videos_raw DROP COLUMN run_id")
    con.close()
    assert main(["validate-contract", "--lakehouse", str(copy)]) == 1
    assert "bronze.videos_raw.run_id: column missing from the Bronze contract" in capsys.readouterr().out
