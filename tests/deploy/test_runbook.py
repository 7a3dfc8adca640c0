"""The runbook scripts and ``ytlake.databricks_ops`` against a real ``WorkspaceClient``.

Every client here is built for real from the locked databricks-sdk (a fake host and PAT,
no profile); only the HTTP beneath it is mocked, with ``responses`` (an unmatched request
raises, so nothing reaches the network). A change in the SDK's signatures or wire calls
therefore fails these tests. Time is a fake clock: no test sleeps or reads the wall clock.
Also here: the tasks' secrets on Databricks through a small fake dbutils, and the
contract/smoke logic on a real local lakehouse.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import responses
from databricks.sdk import WorkspaceClient
from databricks.sdk.clock import Clock

from ytlake import databricks_ops as ops
from ytlake.lakehouse.bootstrap import bootstrap_statements

ROOT = Path(__file__).resolve().parents[2]
HOST = "https://dbc-fake.cloud.databricks.com"
TOKEN = "dapi-fake-token-0123456789"
WORKSPACE_ID = "1234567890123456"


def _script(name):
    sys.path.insert(0, str(ROOT / "scripts"))
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FakeClock(Clock):
    """Time that moves only when something sleeps."""

    def __init__(self):
        self.now = 1_000_000.0
        self.slept = []

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def _error(status, code, message):
    return (
        status,
        {"Content-Type": "application/json"},
        json.dumps({"error_code": code, "message": message}),
    )


def _ok(body):
    return (200, {"Content-Type": "application/json"}, json.dumps(body))


class FakeWorkspace:
    """Databricks' REST API as far as the runbook uses it, served on a ``responses`` mock.

    Secrets live in ``scopes``; SQL statements are answered by the first rule whose pattern
    matches (default: SUCCEEDED, no rows) and recorded in ``statements``.
    """

    def __init__(self, rsps):
        self.rsps = rsps
        self.scopes: dict[str, dict[str, str]] = {}
        self.statements: list[str] = []
        self.rules: list[tuple[re.Pattern, dict]] = []
        self.polls: dict[str, list[dict]] = {}
        self.cancelled: list[str] = []
        self.warehouses = {"wh-1"}
        self.fail_put: tuple | None = None
        self.job_runs: dict[int, dict] = {}
        self._n = 0
        rsps.add(
            responses.GET,
            f"{HOST}/.well-known/databricks-config",
            json={"oidc_endpoint": f"{HOST}/oidc", "workspace_id": WORKSPACE_ID, "cloud": "aws"},
        )
        api = f"{HOST}/api/2.0"
        rsps.add_callback(responses.GET, f"{api}/secrets/scopes/list", self._list_scopes)
        rsps.add_callback(responses.POST, f"{api}/secrets/scopes/create", self._create_scope)
        rsps.add_callback(responses.POST, f"{api}/secrets/put", self._put_secret)
        rsps.add_callback(responses.GET, f"{api}/secrets/list", self._list_secrets)
        rsps.add_callback(responses.POST, f"{api}/secrets/delete", self._delete_secret)
        rsps.add_callback(responses.POST, f"{api}/sql/statements", self._execute)
        rsps.add_callback(responses.POST, re.compile(rf"{api}/sql/statements/[^/]+/cancel"), self._cancel)
        rsps.add_callback(responses.GET, re.compile(rf"{api}/sql/statements/[^/]+$"), self._get_statement)
        rsps.add_callback(responses.GET, re.compile(rf"{api}/sql/warehouses/[^/]+$"), self._get_warehouse)
        rsps.add_callback(responses.GET, f"{HOST}/api/2.2/jobs/runs/get", self._get_run)

    # -- what tests declare --------------------------------------------------------------

    def answer(self, pattern, columns=(), rows=(), *, pending=0):
        """Statements matching ``pattern`` succeed with these rows (after ``pending`` polls)."""
        self.rules.append(
            (re.compile(pattern, re.IGNORECASE), {"columns": columns, "rows": rows, "pending": pending})
        )

    def refuse(self, pattern, message, code="BAD_REQUEST"):
        """Statements matching ``pattern`` end FAILED with this error."""
        self.rules.append((re.compile(pattern, re.IGNORECASE), {"error": (code, message)}))

    def hang(self, pattern):
        """Statements matching ``pattern`` stay RUNNING."""
        self.rules.append((re.compile(pattern, re.IGNORECASE), {"hang": True}))

    # -- what tests read -----------------------------------------------------------------

    def requests_to(self, path):
        return [c.request for c in self.rsps.calls if c.request.url.split("?")[0].endswith(path)]

    def api_requests(self):
        return [c.request for c in self.rsps.calls if "/api/" in c.request.url]

    # -- the routes ----------------------------------------------------------------------

    def _list_scopes(self, request):
        return _ok({"scopes": [{"name": s, "backend_type": "DATABRICKS"} for s in self.scopes]})

    def _create_scope(self, request):
        scope = json.loads(request.body)["scope"]
        if scope in self.scopes:
            return _error(400, "RESOURCE_ALREADY_EXISTS", f"Scope {scope} already exists!")
        self.scopes[scope] = {}
        return _ok({})

    def _put_secret(self, request):
        body = json.loads(request.body)
        if self.fail_put:
            return _error(*self.fail_put)
        if body["scope"] not in self.scopes:
            return _error(404, "RESOURCE_DOES_NOT_EXIST", f"Scope {body['scope']} does not exist!")
        self.scopes[body["scope"]][body["key"]] = body["string_value"]
        return _ok({})

    def _delete_secret(self, request):
        body = json.loads(request.body)
        if body["key"] not in self.scopes.get(body["scope"], {}):
            return _error(404, "RESOURCE_DOES_NOT_EXIST", f"Secret {body['key']} does not exist!")
        del self.scopes[body["scope"]][body["key"]]
        return _ok({})

    def _list_secrets(self, request):
        scope = request.params["scope"]
        if scope not in self.scopes:
            return _error(404, "RESOURCE_DOES_NOT_EXIST", f"Scope {scope} does not exist!")
        return _ok({"secrets": [{"key": k, "last_updated_timestamp": 1} for k in self.scopes[scope]]})

    def _statement(self, sid, rule):
        if "error" in rule:
            code, message = rule["error"]
            return {
                "statement_id": sid,
                "status": {"state": "FAILED", "error": {"error_code": code, "message": message}},
            }
        columns, rows = rule.get("columns", ()), rule.get("rows", ())
        return {
            "statement_id": sid,
            "status": {"state": "SUCCEEDED"},
            "manifest": {
                "format": "JSON_ARRAY",
                "schema": {
                    "column_count": len(columns),
                    "columns": [
                        {"name": c, "position": i, "type_name": "STRING"} for i, c in enumerate(columns)
                    ],
                },
                "total_row_count": len(rows),
            },
            "result": {
                "chunk_index": 0,
                "row_offset": 0,
                "row_count": len(rows),
                "data_array": [[None if v is None else str(v) for v in r] for r in rows],
            },
        }

    def _execute(self, request):
        body = json.loads(request.body)
        if body["warehouse_id"] not in self.warehouses:
            return _error(404, "RESOURCE_DOES_NOT_EXIST", f"Warehouse {body['warehouse_id']} does not exist.")
        sql = body["statement"]
        self.statements.append(sql)
        self._n += 1
        sid = f"01ef-{self._n:04d}"
        rule = next((r for p, r in self.rules if p.search(sql)), {})
        if rule.get("hang"):
            self.polls[sid] = [{"statement_id": sid, "status": {"state": "RUNNING"}}] * 10_000
            return _ok({"statement_id": sid, "status": {"state": "PENDING"}})
        if rule.get("pending"):
            states = ["PENDING"] + ["RUNNING"] * (rule["pending"] - 1)
            self.polls[sid] = [{"statement_id": sid, "status": {"state": s}} for s in states[1:]]
            self.polls[sid].append(self._statement(sid, rule))
            return _ok({"statement_id": sid, "status": {"state": states[0]}})
        return _ok(self._statement(sid, rule))

    def _get_statement(self, request):
        sid = request.url.rsplit("/", 1)[1]
        return _ok(self.polls[sid].pop(0))

    def _cancel(self, request):
        self.cancelled.append(request.url.split("/")[-2])
        return _ok({})

    def _get_warehouse(self, request):
        wid = request.url.rsplit("/", 1)[1]
        if wid not in self.warehouses:
            return _error(404, "RESOURCE_DOES_NOT_EXIST", f"Warehouse {wid} does not exist.")
        return _ok({"id": wid, "name": "Serverless Starter Warehouse", "state": "RUNNING"})

    def _get_run(self, request):
        run = self.job_runs.get(int(request.params["run_id"]))
        return _ok(run) if run else _error(404, "RESOURCE_DOES_NOT_EXIST", "Run does not exist.")


@pytest.fixture
def databricks_env(monkeypatch, tmp_path):
    """A profile-less environment: DATABRICKS_HOST/TOKEN only, no ~/.databrickscfg, no .env."""
    for name in list(os.environ):
        if name.startswith(("DATABRICKS_", "ARM_", "YT_", "DBT_DATABRICKS_", "ACTIONS_ID_TOKEN_")):
            monkeypatch.delenv(name)
    monkeypatch.delenv("GOOGLE_CREDENTIALS", raising=False)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "absent.databrickscfg"))
    monkeypatch.setenv("DATABRICKS_HOST", HOST)
    monkeypatch.setenv("DATABRICKS_TOKEN", TOKEN)
    monkeypatch.setenv("DATABRICKS_AUTH_TYPE", "pat")
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def api(databricks_env, clock, monkeypatch):
    """The fake workspace; the scripts' ``workspace_client()`` runs for real on the fake clock."""
    monkeypatch.setattr(ops, "workspace_client", functools.partial(ops.workspace_client, clock=clock))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield FakeWorkspace(rsps)


def _one_error_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


# --- workspace_client ----------------------------------------------------------------


def test_workspace_client_builds_a_real_client_from_the_environment(api):
    ws = ops.workspace_client()
    assert type(ws) is WorkspaceClient
    cfg = ws.config
    assert (cfg.host, cfg.auth_type) == (HOST, "pat")
    assert (cfg.retry_timeout_seconds, cfg.http_timeout_seconds) == (
        ops.RETRY_TIMEOUT_SECONDS,
        ops.HTTP_TIMEOUT_SECONDS,
    )
    assert cfg.workspace_id == WORKSPACE_ID  # from the host's metadata, fetched while building
    assert ws.warehouses.get("wh-1").name == "Serverless Starter Warehouse"
    (request,) = api.api_requests()
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "ytlake/" in request.headers["User-Agent"]


def test_one_secret_per_channel_is_put_listed_and_removed_through_the_sdk(api):
    """`ytlake channels add|list|remove --secret-scope`: the real WorkspaceClient against the
    fake workspace's secrets API; the scope is created when missing; values never returned."""
    ws = ops.workspace_client()
    key = ops.put_channel_token(ws, "yt", "UCaaaaaaaaaaaaaaaaaaaaaa", "token-a")
    assert key == "yt_refresh_token_UCaaaaaaaaaaaaaaaaaaaaaa" and api.scopes["yt"][key] == "token-a"
    ops.put_channel_token(ws, "yt", "UCbbbbbbbbbbbbbbbbbbbbbb", "token-b")
    api.scopes["yt"]["yt_client_id"] = "cid"  # not a channel's
    assert ops.channel_secret_keys(ws, "yt") == [key, "yt_refresh_token_UCbbbbbbbbbbbbbbbbbbbbbb"]
    assert ops.delete_channel_token(ws, "yt", "UCaaaaaaaaaaaaaaaaaaaaaa")
    assert not ops.delete_channel_token(ws, "yt", "UCaaaaaaaaaaaaaaaaaaaaaa")
    assert ops.channel_secret_keys(ws, "yt") == ["yt_refresh_token_UCbbbbbbbbbbbbbbbbbbbbbb"]


def test_workspace_client_reads_a_cli_profile(databricks_env, monkeypatch, tmp_path, clock):
    monkeypatch.delenv("DATABRICKS_HOST")
    monkeypatch.delenv("DATABRICKS_TOKEN")
    monkeypatch.delenv("DATABRICKS_AUTH_TYPE")
    cfg_file = tmp_path / "absent.databrickscfg"
    cfg_file.write_text(f"[dev]\nhost = {HOST}\ntoken = {TOKEN}\n")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        FakeWorkspace(rsps)
        ws = ops.workspace_client("dev", clock=clock)
        assert (ws.config.host, ws.config.profile, ws.config.auth_type) == (HOST, "dev", "pat")
        with pytest.raises(
            ops.RunbookError, match=r"no usable Databricks credentials in profile prod .*--profile"
        ):
            ops.workspace_client("prod", clock=clock)


def test_workspace_client_without_credentials_says_what_to_set(databricks_env, monkeypatch, clock):
    monkeypatch.delenv("DATABRICKS_HOST")
    monkeypatch.delenv("DATABRICKS_TOKEN")
    monkeypatch.delenv("DATABRICKS_AUTH_TYPE")
    with responses.RequestsMock(assert_all_requests_are_fired=False), pytest.raises(ops.RunbookError) as err:
        ops.workspace_client(clock=clock)
    assert "set DATABRICKS_HOST and DATABRICKS_TOKEN" in str(err.value)


def test_an_unreachable_host_fails_within_the_retry_budget(databricks_env, clock):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:  # nothing answers
        with pytest.raises(ops.HostUnreachableError) as err:
            ops.workspace_client(clock=clock)
        assert len(rsps.calls) >= 2  # the SDK retried, on our budget, not its 300 s
    assert clock.now - 1_000_000.0 <= ops.RETRY_TIMEOUT_SECONDS + 11
    assert HOST in str(err.value) and "DATABRICKS_HOST" in str(err.value)


def test_a_host_that_stops_answering_fails_calls_within_the_retry_budget(databricks_env, clock):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(responses.GET, f"{HOST}/.well-known/databricks-config", status=404)
        ws = ops.workspace_client(clock=clock)
        start = clock.now
        with pytest.raises(TimeoutError) as err:
            ws.warehouses.get("wh-1")
    assert clock.now - start <= ops.RETRY_TIMEOUT_SECONDS + 11
    assert ops.explain(err.value).startswith("cannot reach the Databricks workspace")


def test_a_script_on_an_unreachable_host_prints_one_line(databricks_env, clock, monkeypatch, capsys):
    monkeypatch.setattr(ops, "workspace_client", functools.partial(ops.workspace_client, clock=clock))
    with responses.RequestsMock(assert_all_requests_are_fired=False):
        code = _script("unity_catalog_setup").main(["--warehouse-id", "wh-1"])
    assert code == 1
    line = _one_error_line(capsys.readouterr().err)
    assert f"cannot reach the Databricks workspace {HOST}" in line


def test_rejected_credentials_are_one_line_naming_the_fix(secrets_env, capsys):
    secrets_env.rsps.replace(
        responses.GET,
        f"{HOST}/api/2.0/secrets/scopes/list",
        status=401,
        json={"error_code": "UNAUTHENTICATED", "message": "Invalid access token."},
    )
    assert _script("bootstrap_youtube_secrets").main([]) == 1
    line = _one_error_line(capsys.readouterr().err)
    assert "Databricks rejected the credentials (Invalid access token" in line and "DATABRICKS_TOKEN" in line
    assert TOKEN not in line


# --- secrets ---------------------------------------------------------------------------

SECRETS = {
    "YT_CLIENT_ID": "cid-123",
    "YT_CLIENT_SECRET": "very-secret-1",
    "YT_REFRESH_TOKEN": "refresh-2",
    "DBT_DATABRICKS_HOST": "adb.example.net",
    "DBT_DATABRICKS_HTTP_PATH": "/sql/1.0/warehouses/w1",
    "DBT_DATABRICKS_TOKEN": "dapi-3",
}


@pytest.fixture
def secrets_env(api, monkeypatch):
    for k, v in SECRETS.items():
        monkeypatch.setenv(k, v)
    return api


def test_bootstrap_secrets_creates_the_scope_and_never_prints_a_value(secrets_env, capsys):
    api = secrets_env
    api.scopes["other"] = {}
    assert _script("bootstrap_youtube_secrets").main(["--scope", "yt-scope"]) == 0
    assert len(api.requests_to("/secrets/scopes/create")) == 1
    assert api.scopes["yt-scope"] == {
        "yt_client_id": "cid-123",
        "yt_client_secret": "very-secret-1",
        "yt_refresh_token": "refresh-2",
        "dbt_host": "adb.example.net",
        "dbt_http_path": "/sql/1.0/warehouses/w1",
        "dbt_token": "dapi-3",
    }
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in api.api_requests())
    out = capsys.readouterr()
    assert "secret scope yt-scope: put yt_client_id" in out.out
    for value in SECRETS.values():
        assert value not in out.out + out.err


def test_bootstrap_secrets_uses_an_existing_scope(secrets_env, capsys):
    api = secrets_env
    api.scopes["youtube-analytics"] = {"yt_client_id": "old"}
    assert _script("bootstrap_youtube_secrets").main([]) == 0
    assert api.requests_to("/secrets/scopes/create") == []
    assert api.scopes["youtube-analytics"]["yt_client_id"] == "cid-123"


def test_bootstrap_secrets_names_what_is_missing(api, capsys):
    assert _script("bootstrap_youtube_secrets").main([]) == 1
    line = _one_error_line(capsys.readouterr().err)
    assert "missing YT_CLIENT_ID" in line and ".env" in line
    assert api.api_requests() == []


def test_bootstrap_secrets_failure_is_one_line_without_values(secrets_env, capsys):
    api = secrets_env
    api.fail_put = (403, "PERMISSION_DENIED", "User cannot WRITE to scope; value very-secret-1 refused")
    assert _script("bootstrap_youtube_secrets").main(["--scope", "yt-scope"]) == 1
    out = capsys.readouterr()
    line = _one_error_line(out.err)
    assert line.startswith("error: permission denied") and "***" in line
    for value in SECRETS.values():
        assert value not in out.out + out.err


def test_missing_secrets_reads_the_scope_and_names_a_missing_scope(api):
    ws = ops.workspace_client()
    api.scopes["yt"] = {"yt_client_id": "x", "dbt_token": "y"}
    assert ops.missing_secrets(ws, "yt") == [
        "yt_client_secret",
        "yt_refresh_token",
        "dbt_host",
        "dbt_http_path",
    ]
    with pytest.raises(
        ops.RunbookError,
        match=re.escape(
            "secret scope nope does not exist: create it with scripts/bootstrap_youtube_secrets.py --scope nope"
        ),
    ):
        ops.missing_secrets(ws, "nope")


# --- statements on a warehouse -----------------------------------------------------------


def test_warehouse_runner_polls_a_pending_statement_until_it_succeeds(api, clock):
    api.answer(r"FROM big", ("n", "d"), [(42, "2026-11-01"), (7, None)], pending=3)
    run = ops.warehouse_runner(ops.workspace_client(), "wh-1", sleep=clock.sleep, now=clock.time)
    assert run("SELECT n, d FROM big") == [{"n": "42", "d": "2026-11-01"}, {"n": "7", "d": None}]
    (execute,) = api.requests_to("/sql/statements")
    body = json.loads(execute.body)
    assert (body["warehouse_id"], body["wait_timeout"], body["on_wait_timeout"]) == (
        "wh-1",
        "10s",
        "CONTINUE",
    )
    assert len(api.requests_to("/sql/statements/01ef-0001")) == 3
    assert clock.slept == [1.0, 2.0, 4.0]


def test_warehouse_runner_reports_a_failed_statement(api, clock):
    api.refuse(r"nope", "[TABLE_OR_VIEW_NOT_FOUND] The table or view `nope` cannot be found.", "BAD_REQUEST")
    run = ops.warehouse_runner(ops.workspace_client(), "wh-1", sleep=clock.sleep, now=clock.time)
    with pytest.raises(ops.StatementFailedError) as err:
        run("SELECT * FROM nope")
    assert "SQL failed on warehouse wh-1: `SELECT * FROM nope`: [TABLE_OR_VIEW_NOT_FOUND]" in str(err.value)
    assert err.value.error_code == "BAD_REQUEST"


def test_warehouse_runner_cancels_a_statement_past_its_timeout(api, clock):
    api.hang(r"slow")
    run = ops.warehouse_runner(
        ops.workspace_client(), "wh-1", timeout_s=30, sleep=clock.sleep, now=clock.time
    )
    with pytest.raises(
        ops.RunbookError, match=r"did not finish in 30 s on warehouse wh-1: start the warehouse"
    ):
        run("SELECT slow()")
    assert api.cancelled == ["01ef-0001"]
    assert sum(clock.slept) <= 35


# --- Unity Catalog -----------------------------------------------------------------------

CATALOG_COLUMNS = ("catalog",)


def _ddl_after_catalog(catalog):
    return [s for s in bootstrap_statements(catalog) if not re.match(r"CREATE CATALOG", s, re.IGNORECASE)]


def _bootstrap_yt_dev(managed_location):
    argv = ["--warehouse-id", "wh-1", "--catalog", "yt_dev", "--action", "bootstrap"]
    return _script("unity_catalog_setup").main([*argv, "--managed-location", managed_location])


def test_uc_setup_creates_a_missing_catalog_in_its_managed_location(api, capsys):
    code = _bootstrap_yt_dev("s3://my-bucket/uc/yt_dev")
    assert code == 0, capsys.readouterr().err
    assert api.statements == [
        "SHOW CATALOGS LIKE 'yt_dev'",
        "CREATE CATALOG IF NOT EXISTS yt_dev MANAGED LOCATION 's3://my-bucket/uc/yt_dev'",
        *_ddl_after_catalog("yt_dev"),
    ]
    out = capsys.readouterr().out
    assert "catalog yt_dev created in s3://my-bucket/uc/yt_dev" in out
    assert "ran: CREATE TABLE IF NOT EXISTS yt_dev.bronze.videos_raw" in out


def test_uc_setup_uses_an_existing_catalog_as_it_is(api, capsys):
    api.answer(r"^SHOW CATALOGS", CATALOG_COLUMNS, [("yt_dev",)])
    code = _bootstrap_yt_dev("abfss://uc@acct.dfs.core.windows.net/yt")
    assert code == 0
    assert not any(s.upper().startswith("CREATE CATALOG") for s in api.statements)
    assert api.statements[1:] == _ddl_after_catalog("yt_dev")
    assert "catalog yt_dev exists: used as it is (--managed-location ignored)" in capsys.readouterr().out


def test_uc_setup_without_location_creates_the_catalog_in_metastore_storage(api):
    api.answer(r"^SHOW CATALOGS", CATALOG_COLUMNS, [("yt_dev_other",)])  # LIKE is a pattern: match exactly
    assert (
        _script("unity_catalog_setup").main(
            ["--warehouse-id", "wh-1", "--catalog", "yt_dev", "--action", "bootstrap"]
        )
        == 0
    )
    assert api.statements[1] == "CREATE CATALOG IF NOT EXISTS yt_dev"


@pytest.mark.parametrize(
    ("argv", "code", "message", "expected"),
    [
        (
            [],
            "INVALID_PARAMETER_VALUE",
            "Metastore storage root URL does not exist. Please provide a storage location for the catalog "
            "(for example 'CREATE CATALOG myCatalog MANAGED LOCATION '<location-path>').",
            "the metastore has no storage for it: give --managed-location abfss://…|s3://…|gs://…",
        ),
        (
            [],
            "PERMISSION_DENIED",
            "User does not have CREATE CATALOG on Metastore 'main_metastore'.",
            "you may not create catalogs: ask an admin to create catalog yt_dev and grant you USE CATALOG, CREATE SCHEMA on it",
        ),
        (
            ["--managed-location", "s3://elsewhere/x"],
            "INVALID_PARAMETER_VALUE",
            "Input path s3://elsewhere/x is not contained in any external location.",
            "give a --managed-location inside an external location you may use",
        ),
    ],
)
def test_uc_setup_names_the_fix_when_the_catalog_cannot_be_created(
    api, capsys, argv, code, message, expected
):
    api.refuse(r"^CREATE CATALOG", message, code)
    argv = ["--warehouse-id", "wh-1", "--catalog", "yt_dev", *argv]
    assert _script("unity_catalog_setup").main(argv) == 1
    line = _one_error_line(capsys.readouterr().err)
    assert line.startswith("error: catalog yt_dev does not exist and cannot be created (")
    assert expected in line
    assert "ask an admin to create catalog yt_dev and grant you USE CATALOG, CREATE SCHEMA on it" in line
    assert not any("SCHEMA" in s for s in api.statements)


def test_uc_setup_names_the_grant_when_a_schema_is_refused(api, capsys):
    api.answer(r"^SHOW CATALOGS", CATALOG_COLUMNS, [("yt_dev",)])
    api.refuse(
        r"^CREATE SCHEMA", "User does not have CREATE SCHEMA on Catalog 'yt_dev'.", "PERMISSION_DENIED"
    )
    assert _script("unity_catalog_setup").main(["--warehouse-id", "wh-1", "--catalog", "yt_dev"]) == 1
    line = _one_error_line(capsys.readouterr().err)
    assert "`CREATE SCHEMA IF NOT EXISTS yt_dev.bronze` was refused" in line
    assert "grant you USE CATALOG, CREATE SCHEMA on it" in line


@pytest.mark.parametrize(
    "location",
    [
        "s3://bucket/it's",
        "hdfs://namenode/x",
        "s3://bucket/a b",
        "abfss://c@a.dfs.core.windows.net/x';DROP CATALOG y;--",
        "",
    ],
)
def test_uc_setup_refuses_a_bad_managed_location_before_any_call(api, capsys, location):
    argv = ["--warehouse-id", "wh-1", "--managed-location", location]
    assert _script("unity_catalog_setup").main(argv) == 1
    assert "invalid --managed-location" in _one_error_line(capsys.readouterr().err)
    assert api.statements == []


def test_uc_setup_refuses_a_bad_catalog_name(api, capsys):
    assert _script("unity_catalog_setup").main(["--warehouse-id", "wh-1", "--catalog", "yt-dev"]) == 1
    assert "invalid catalog 'yt-dev'" in _one_error_line(capsys.readouterr().err)
    assert api.api_requests() == []


def test_uc_setup_requires_a_warehouse(api, capsys):
    assert _script("unity_catalog_setup").main([]) == 1
    assert "--warehouse-id is required" in _one_error_line(capsys.readouterr().err)


def _contract_rows(drop=()):
    from ytlake.lakehouse.bootstrap import bronze_table_columns

    rows = []
    for table, columns in bronze_table_columns().items():
        for name, _, not_null in columns:
            if (table, name) not in drop:
                rows.append((table, name, "NO" if not_null else "YES", "STRING"))
    return rows


CONTRACT_COLUMNS = ("table_name", "column_name", "is_nullable", "data_type")


def test_uc_setup_all_bootstraps_then_validates(api, capsys):
    api.answer(r"information_schema\.columns", CONTRACT_COLUMNS, _contract_rows())
    assert (
        _script("unity_catalog_setup").main(
            ["--warehouse-id", "wh-1", "--catalog", "yt_dev", "--action", "all"]
        )
        == 0
    )
    assert "yt_dev.information_schema.columns" in api.statements[-1]
    assert "Bronze contract holds in yt_dev" in capsys.readouterr().out


def test_uc_validate_fails_with_a_clear_message_when_run_id_is_missing(api, capsys):
    api.answer(
        r"information_schema\.columns", CONTRACT_COLUMNS, _contract_rows(drop={("videos_raw", "run_id")})
    )
    assert _script("unity_catalog_setup").main(["--warehouse-id", "wh-1", "--action", "validate"]) == 1
    out = capsys.readouterr()
    assert "bronze.videos_raw.run_id: column missing from the Bronze contract" in out.out
    assert "the Bronze contract does not hold" in _one_error_line(out.err)
    assert (
        api.statements == [api.statements[0]]
        and "youtube_analytics.information_schema.columns" in api.statements[0]
    )


def test_uc_setup_on_an_unknown_warehouse_is_one_line(api, capsys):
    assert _script("unity_catalog_setup").main(["--warehouse-id", "wh-404"]) == 1
    line = _one_error_line(capsys.readouterr().err)
    assert "Warehouse wh-404 does not exist" in line


# --- smoke checks ------------------------------------------------------------------------


def _healthy(api, status="SUCCEEDED"):
    from ytlake.checks import default_today

    api.answer(r"count\(\*\)", ("n",), [(12,)])
    api.answer(r"max\(date\)", ("d",), [(default_today().isoformat(),)])
    api.answer(r"run_context_log", ("run_id", "run_status"), [("987", status)])


def test_smoke_checks_pass_on_a_healthy_deployment(api, capsys):
    _healthy(api)
    assert _script("post_deploy_smoke_checks").main(["--warehouse-id", "wh-1", "--catalog", "yt_dev"]) == 0
    out = capsys.readouterr().out
    assert "ok     gold.gold_channel_daily_summary has rows" in out
    assert "ok     latest run 987 SUCCEEDED" in out
    assert all(s.count("yt_dev.") >= 1 for s in api.statements)


def test_smoke_checks_fail_when_the_latest_run_failed(api, capsys):
    _healthy(api, status="FAILED")
    assert _script("post_deploy_smoke_checks").main(["--warehouse-id", "wh-1"]) == 1
    out = capsys.readouterr()
    assert "FAILED latest run 987 SUCCEEDED: latest run is FAILED" in out.out
    assert "smoke checks failed in youtube_analytics: 1 problem(s)" in _one_error_line(out.err)


def test_smoke_checks_on_a_missing_catalog_fail_in_one_error_line(api, capsys):
    api.refuse(r".", "[NO_SUCH_CATALOG_EXCEPTION] Catalog 'yt_dev' was not found.", "BAD_REQUEST")
    assert _script("post_deploy_smoke_checks").main(["--warehouse-id", "wh-1", "--catalog", "yt_dev"]) == 1
    line = _one_error_line(capsys.readouterr().err)
    assert "NO_SUCH_CATALOG_EXCEPTION" in line


def test_precheck_reports_missing_secrets_and_an_unknown_warehouse(api, capsys):
    api.scopes["youtube-analytics"] = {"yt_client_id": "x"}
    assert _script("post_deploy_smoke_checks").main(["--warehouse-id", "wh-9", "--precheck"]) == 1
    out = capsys.readouterr()
    assert "FAILED secret yt_client_secret missing from scope youtube-analytics" in out.out
    assert "FAILED warehouse wh-9 not usable: not found (Warehouse wh-9 does not exist.)" in out.out
    assert "FAILED catalog youtube_analytics not usable" in out.out
    assert "precheck failed: 7 problem(s)" in _one_error_line(out.err)
    assert len(api.requests_to("/sql/warehouses/wh-9")) == 1


def test_precheck_passes_and_names_a_missing_scope(api, capsys):
    api.scopes["youtube-analytics"] = {k: "v" for k in ops.REQUIRED_SECRETS}
    assert _script("post_deploy_smoke_checks").main(["--warehouse-id", "wh-1", "--precheck"]) == 0
    assert "precheck passed" in capsys.readouterr().out
    assert api.statements == ["SHOW SCHEMAS IN youtube_analytics"]
    assert (
        _script("post_deploy_smoke_checks").main(["--warehouse-id", "wh-1", "--precheck", "--scope", "nope"])
        == 1
    )
    assert "FAILED secrets: secret scope nope does not exist" in capsys.readouterr().out


# --- the Jobs API, as finalize_run_log reads it ------------------------------------------


def test_finalize_reads_the_job_runs_task_states_from_the_jobs_api(api):
    from ytlake.tasks.finalize_run_log import databricks_task_states, terminal_status

    api.job_runs[987654] = {
        "run_id": 987654,
        "tasks": [
            {
                "task_key": "init_run_context",
                "state": {"result_state": "SUCCESS"},
                "execution_duration": 1200,
            },
            {"task_key": "dbt_test", "state": {"result_state": "FAILED", "state_message": "dbt test failed"}},
            {"task_key": "optimize_tables", "state": {"result_state": "UPSTREAM_FAILED"}},
        ],
    }
    states = databricks_task_states("987654", ops.workspace_client())
    (request,) = api.requests_to("/jobs/runs/get")
    assert request.params["run_id"] == "987654"
    assert [(s.task_key, s.state) for s in states] == [
        ("init_run_context", "SUCCESS"),
        ("dbt_test", "FAILED"),
        ("optimize_tables", "UPSTREAM_FAILED"),
    ]
    assert states[0].seconds == 1.2 and states[1].error == "dbt test failed"
    assert terminal_status(states, partial=False) == "FAILED"


# --- the tasks' Databricks side, with a fake dbutils ---------------------------------------


class FakeDbutils:
    """The one part of dbutils the tasks use: secrets. Touching task values fails the test."""

    def __init__(self, secrets):
        outer = self
        self._secrets = secrets

        class Secrets:
            def get(self, scope, key):
                return outer._secrets[(scope, key)]

            def list(self, scope):
                return [SimpleNamespace(key=k) for (s, k) in outer._secrets if s == scope]

        self.secrets = Secrets()

    @property
    def jobs(self):
        raise AssertionError("no task may use dbutils.jobs (task values): state lives in the lakehouse")


def test_tasks_on_databricks_read_secrets_through_dbutils(monkeypatch):
    import argparse

    from ytlake.jobcontext import JobContext
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
    monkeypatch.setattr(common, "databricks_dbutils", lambda: fake)
    monkeypatch.setattr("ytlake.tasks.dbt.databricks_dbutils", lambda: fake)
    [access] = common.channel_accesses(argparse.Namespace(secret_scope="yt"), JobContext())
    creds = access.credentials
    assert (creds.client_id, creds.client_secret, creds.refresh_token) == ("cid", "cs", "rt")
    # one secret per channel, keyed by its id, beside (or instead of) the single-channel one
    fake._secrets[("yt", "yt_refresh_token_UCsecond")] = "rt2"
    accesses = common.channel_accesses(argparse.Namespace(secret_scope="yt"), JobContext())
    assert [(a.channel_id, a.credentials.refresh_token) for a in accesses] == [
        ("UCsecond", "rt2"),
        (None, "rt"),
    ]
    assert "rt2" not in repr(accesses)  # tokens never in a repr (logs, errors)
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
