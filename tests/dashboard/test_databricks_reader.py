"""The Databricks App's SQL reader, run through databricks-sql-connector's own code, offline.

Nothing here mocks the connector: ``databricks.sql.connect``, its Session, Thrift client and
``Cursor.execute`` run as they do in the App, so every dashboard query goes through the
connector's native-parameter path (values -> ``TDbsqlParameter`` -> ``TSparkParameter``,
serialised with Thrift's binary protocol into an HTTP body). Only the network is replaced:
urllib3's connection pool answers in-process, and behind it a small SQL warehouse decodes the
Thrift calls with the connector's own generated ``TCLIService`` processor, parses each
statement as Databricks SQL (SQLGlot), binds the parameters as Databricks documents it
(named markers by name, ``?`` by position, never both in one statement), reads only the
tables the bundle grants the App, and runs the query on DuckDB. A socket guard makes sure
nothing else leaves the process.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import re
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
import sqlglot
import urllib3
from databricks.sql.thrift_api.TCLIService import TCLIService, ttypes
from sqlglot import exp
from thrift.protocol.TBinaryProtocol import TBinaryProtocol
from thrift.transport.TTransport import TMemoryBuffer

from ytlake.dashboard import data
from ytlake.job import load_bundle, resolve

HOST = "dbc-0000fake-0000.cloud.databricks.com"
TOKEN = "dapi-not-a-real-token"
WAREHOUSE_ID = "0123456789abcdef"
APP_KEY = "youtube_analytics_dashboard"
CHANNEL = "UCdatabricksreader000001"  # a channel id: UC and 22 characters
DAY0 = date(2026, 1, 1)
ODD_VIDEO = "v?'2"  # a `?` and a quote in a value: values are bound, never written into the SQL


# -- the App as the bundle deploys it ----------------------------------------------------
def deployed_app(target: str, user: str = "jane-doe") -> dict[str, Any]:
    """The App resource of ``target`` with the target's overrides and variables applied, as
    the CLI resolves it for a deployer whose ``domain_friendly_name`` is ``user``."""
    bundle = load_bundle()
    variables, dynamic = target_context(target, user)
    app = copy.deepcopy(bundle.resources("apps")[APP_KEY])
    targets = bundle.config.get("targets") or {}
    override = (((targets[target] or {}).get("resources") or {}).get("apps") or {}).get(APP_KEY) or {}
    _merge(app, override)
    return resolve(app, variables, dynamic, f"resources.apps.{APP_KEY}")


def target_context(target: str, user: str = "jane-doe") -> tuple[dict[str, Any], dict[str, str]]:
    """The variables of ``target`` (resolved) and the values the CLI knows at deploy time."""
    bundle = load_bundle()
    variables = dict(bundle.variables)
    variables.update(((bundle.config.get("targets") or {})[target] or {}).get("variables") or {})
    dynamic = {
        "bundle.target": target,
        "bundle.name": bundle.config["bundle"]["name"],
        "workspace.current_user.domain_friendly_name": user,
        "workspace.current_user.short_name": user.replace("-", "_"),
        "workspace.current_user.userName": f"{user}@example.com",
    }
    if variables.get("warehouse_id") in (None, ""):  # looked up by name at deploy time
        variables["warehouse_id"] = WAREHOUSE_ID
    if variables.get("operators_group") is None:  # required for prod: --var operators_group=...
        variables["operators_group"] = "youtube-analytics-operators"
    variables = {k: v for k, v in variables.items() if v is not None}
    for _ in range(3):  # a variable's value may hold references (the dev catalog names the user)
        variables = {k: resolve(v, variables, dynamic, f"variables.{k}") for k, v in variables.items()}
    return variables, dynamic


def _merge(into: dict[str, Any], new: dict[str, Any]) -> None:
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = copy.deepcopy(value)


def app_env(app: dict[str, Any]) -> dict[str, str]:
    """The App's environment as the platform sets it (``value_from`` a resource: the
    warehouse's id)."""
    env = {}
    for var in app["config"]["env"]:
        if "value_from" in var:
            assert var["value_from"] == "sql-warehouse", var
            env[var["name"]] = WAREHOUSE_ID
        else:
            env[var["name"]] = str(var["value"])
    return env


def granted_tables(app: dict[str, Any]) -> set[str]:
    """The tables the App's service principal may SELECT: the job's ``dbt_test`` publishes
    every Gold mart and grants it to the principals its ``gold_readers`` names (this App's)."""
    from ytlake.job import load_bundle
    from ytlake.tasks.dbt import gold_models

    job = load_bundle().resources("jobs")["youtube_analytics_job"]
    [audit] = [t for t in job["tasks"] if t["task_key"] == "dbt_test"]
    readers = str(audit["python_wheel_task"]["named_parameters"].get("gold_readers", ""))
    if "${resources.apps.youtube_analytics_dashboard.service_principal_client_id}" not in readers:
        return set()
    catalog = app_env(app)["YTLAKE_CATALOG"]
    return {f"{catalog}.gold.{m}" for m in gold_models()}


# -- a SQL warehouse that speaks the connector's Thrift protocol ---------------------------
class WarehouseError(Exception):
    """An error the warehouse reports for a statement (Databricks' ``[ERROR_CLASS] ...``)."""


@dataclass
class Received:
    statement: str
    parameters: list[ttypes.TSparkParameter]


@dataclass
class FakeWarehouse:
    """Runs what the connector sends on DuckDB's ``gold`` schema of ``lakehouse``, as tables
    of ``catalog``; only ``granted`` tables (full names) may be read."""

    lakehouse: Path
    catalog: str
    granted: set[str]
    received: list[Received] = field(default_factory=list)
    authorizations: set[str] = field(default_factory=set)
    sessions_open: int = 0

    # TCLIService, as far as the connector's execute path uses it
    def OpenSession(self, req: ttypes.TOpenSessionReq) -> ttypes.TOpenSessionResp:
        self.sessions_open += 1
        return ttypes.TOpenSessionResp(
            status=_ok(),
            serverProtocolVersion=ttypes.TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8,
            sessionHandle=ttypes.TSessionHandle(sessionId=_handle()),
            canUseMultipleCatalogs=True,
        )

    def CloseSession(self, req: ttypes.TCloseSessionReq) -> ttypes.TCloseSessionResp:
        self.sessions_open -= 1
        return ttypes.TCloseSessionResp(status=_ok())

    def CloseOperation(self, req: ttypes.TCloseOperationReq) -> ttypes.TCloseOperationResp:
        return ttypes.TCloseOperationResp(status=_ok())

    def ExecuteStatement(self, req: ttypes.TExecuteStatementReq) -> ttypes.TExecuteStatementResp:
        self.received.append(Received(req.statement, list(req.parameters or [])))
        handle = ttypes.TOperationHandle(
            operationId=_handle(), operationType=ttypes.TOperationType.EXECUTE_STATEMENT, hasResultSet=True
        )
        try:
            table = self.run(req.statement, list(req.parameters or []))
        except WarehouseError as err:
            status = ttypes.TGetOperationStatusResp(
                status=_ok(),
                operationState=ttypes.TOperationState.ERROR_STATE,
                errorMessage=str(err),
                displayMessage=str(err),
            )
            return ttypes.TExecuteStatementResp(
                status=_ok(),
                operationHandle=handle,
                directResults=ttypes.TSparkDirectResults(operationStatus=status),
            )
        return ttypes.TExecuteStatementResp(
            status=_ok(), operationHandle=handle, directResults=_direct_results(table)
        )

    # what a warehouse does with a statement and its parameters
    def run(self, statement: str, parameters: list[ttypes.TSparkParameter]) -> pa.Table:
        try:
            tree = sqlglot.parse_one(statement, read="databricks")
        except sqlglot.errors.ParseError as err:
            raise WarehouseError(f"[PARSE_SYNTAX_ERROR] Syntax error: {err}") from None
        bind(tree, parameters)
        for table in tree.find_all(exp.Table):
            name = ".".join(p for p in (table.catalog, table.db, table.name) if p)
            if table.catalog != self.catalog or table.db != "gold":
                raise WarehouseError(f"[TABLE_OR_VIEW_NOT_FOUND] The table or view `{name}` cannot be found.")
            if name not in self.granted:
                raise WarehouseError(
                    f"[INSUFFICIENT_PERMISSIONS] User does not have SELECT on Table '{name}'."
                )
            table.set("catalog", None)
        con = duckdb.connect(str(self.lakehouse), read_only=True)
        try:
            result = con.sql(tree.sql(dialect="duckdb")).to_arrow_table()
        except duckdb.CatalogException as err:
            raise WarehouseError(f"[TABLE_OR_VIEW_NOT_FOUND] {err}") from None
        finally:
            con.close()
        return _as_databricks_types(result)


def bind(tree: exp.Expression, parameters: list[ttypes.TSparkParameter]) -> None:
    """Bind parameter markers as Databricks does: named markers take the parameter of their
    name, unnamed ``?`` take the positional parameters in order; one statement cannot mix
    them, and a marker without a value is an error (``UNBOUND_SQL_PARAMETER``)."""
    markers = list(tree.find_all(exp.Placeholder, bfs=False))
    named = [m for m in markers if m.name]
    unnamed = [m for m in markers if not m.name]
    if named and unnamed:
        raise WarehouseError("[UNBOUND_SQL_PARAMETER] Named and unnamed parameter markers cannot be mixed.")
    if named:
        by_name = {p.name: p for p in parameters if p.name and not p.ordinal}
        for marker in named:
            if marker.name not in by_name:
                raise WarehouseError(f"[UNBOUND_SQL_PARAMETER] Found the unbound parameter: {marker.name}.")
            marker.replace(_literal(by_name[marker.name]))
    else:
        positional = [p for p in parameters if p.ordinal]
        if len(positional) < len(unnamed):
            raise WarehouseError("[UNBOUND_SQL_PARAMETER] Found an unbound positional parameter.")
        for marker, param in zip(unnamed, positional, strict=False):
            marker.replace(_literal(param))


def _literal(param: ttypes.TSparkParameter) -> exp.Expression:
    value = param.value.stringValue if param.value is not None else None
    if value is None:
        return exp.Null()
    return exp.cast(exp.Literal.string(value), param.type or "STRING")


def _ok() -> ttypes.TStatus:
    return ttypes.TStatus(statusCode=ttypes.TStatusCode.SUCCESS_STATUS)


def _handle() -> ttypes.THandleIdentifier:
    return ttypes.THandleIdentifier(guid=uuid.uuid4().bytes, secret=uuid.uuid4().bytes)


_TYPE_IDS = {
    pa.int64(): ttypes.TTypeId.BIGINT_TYPE,
    pa.int32(): ttypes.TTypeId.INT_TYPE,
    pa.float64(): ttypes.TTypeId.DOUBLE_TYPE,
    pa.string(): ttypes.TTypeId.STRING_TYPE,
    pa.date32(): ttypes.TTypeId.DATE_TYPE,
    pa.bool_(): ttypes.TTypeId.BOOLEAN_TYPE,
}


def _as_databricks_types(table: pa.Table) -> pa.Table:
    """DuckDB's SUM of BIGINT is a 128-bit integer; Databricks' is a BIGINT."""
    fields = []
    for f in table.schema:
        if pa.types.is_decimal(f.type) and f.type.scale == 0:
            fields.append(pa.field(f.name, pa.int64()))
        elif pa.types.is_large_string(f.type):
            fields.append(pa.field(f.name, pa.string()))
        else:
            fields.append(f)
    return table.cast(pa.schema(fields))


def _direct_results(table: pa.Table) -> ttypes.TSparkDirectResults:
    columns = [
        ttypes.TColumnDesc(
            columnName=f.name,
            typeDesc=ttypes.TTypeDesc(
                types=[ttypes.TTypeEntry(primitiveEntry=ttypes.TPrimitiveTypeEntry(type=_TYPE_IDS[f.type]))]
            ),
            position=i + 1,
        )
        for i, f in enumerate(table.schema)
    ]
    batches = [
        ttypes.TSparkArrowBatch(batch=b.serialize().to_pybytes(), rowCount=b.num_rows)
        for b in table.to_batches()
    ]
    return ttypes.TSparkDirectResults(
        operationStatus=ttypes.TGetOperationStatusResp(
            status=_ok(), operationState=ttypes.TOperationState.FINISHED_STATE
        ),
        resultSetMetadata=ttypes.TGetResultSetMetadataResp(
            status=_ok(),
            schema=ttypes.TTableSchema(columns=columns),
            resultFormat=ttypes.TSparkRowSetType.ARROW_BASED_SET,
            lz4Compressed=False,
            arrowSchema=table.schema.serialize().to_pybytes(),
        ),
        resultSet=ttypes.TFetchResultsResp(
            status=_ok(),
            hasMoreRows=False,
            results=ttypes.TRowSet(startRowOffset=0, rows=[], arrowBatches=batches),
        ),
        closeOperation=ttypes.TCloseOperationResp(status=_ok()),
    )


# -- the network: urllib3 answers in-process, sockets are refused -------------------------
def _http_response(
    status: int, body: bytes, content_type: str, preload_content: bool
) -> urllib3.HTTPResponse:
    return urllib3.HTTPResponse(
        body=io.BytesIO(body),
        headers={"Content-Type": content_type, "Content-Length": str(len(body))},
        status=status,
        reason="OK" if status == 200 else "Not Found",
        preload_content=preload_content,
        decode_content=False,
    )


@contextlib.contextmanager
def fake_workspace(
    monkeypatch: pytest.MonkeyPatch, warehouse: FakeWarehouse, env: dict[str, str]
) -> Iterator[None]:
    """The App's process: its environment, the workspace's credentials, and a workspace
    whose SQL warehouse is ``warehouse``."""
    unexpected: list[str] = []

    def urlopen(pool, method, url, body=None, headers=None, **kw):
        preload = kw.get("preload_content", True)
        path = url.split("?")[0]
        if pool.host != HOST:
            unexpected.append(f"{method} {pool.host}{url}")
            raise AssertionError(f"request to {pool.host}{url}")
        if method == "POST" and path == f"/sql/1.0/warehouses/{WAREHOUSE_ID}":
            warehouse.authorizations.add(dict(headers or {}).get("Authorization", ""))
            payload = body if isinstance(body, bytes) else b"".join(body)
            out = TMemoryBuffer()
            TCLIService.Processor(warehouse).process(
                TBinaryProtocol(TMemoryBuffer(payload)), TBinaryProtocol(out)
            )
            return _http_response(200, out.getvalue(), "application/x-thrift", preload)
        if path.startswith("/api/2.0/connector-service/feature-flags/"):
            return _http_response(
                200, json.dumps({"flags": [], "ttl_seconds": 900}).encode(), "application/json", preload
            )
        if path == "/.well-known/databricks-config":  # the SDK looks for host metadata
            return _http_response(404, b"{}", "application/json", preload)
        unexpected.append(f"{method} {pool.host}{url}")
        return _http_response(404, b"{}", "application/json", preload)

    def no_socket(self, address):
        raise OSError(f"the test reached for the network: {address!r}")

    for name in list(os.environ):
        if name.startswith("DATABRICKS_") or name.startswith("YTLAKE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DATABRICKS_HOST", f"https://{HOST}")
    monkeypatch.setenv("DATABRICKS_TOKEN", TOKEN)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(warehouse.lakehouse.with_name("no.databrickscfg")))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(urllib3.connectionpool.HTTPConnectionPool, "urlopen", urlopen)
    monkeypatch.setattr(socket.socket, "connect", no_socket)
    data._sdk_config.cache_clear()
    try:
        yield
    finally:
        data._sdk_config.cache_clear()
    assert not unexpected, unexpected
    assert warehouse.sessions_open == 0, "a session was left open"


# -- a small Gold ------------------------------------------------------------------------
def make_gold(path: Path, with_gold: bool = True) -> Path:
    con = duckdb.connect(str(path))
    try:
        if not with_gold:
            return path
        con.execute("CREATE SCHEMA gold")
        days = [DAY0 + timedelta(days=i) for i in range(10)]
        videos = [("v1", "First video"), (ODD_VIDEO, "It's a question?"), ("v3", None)]
        con.execute(
            "CREATE TABLE gold.gold_channel_daily_summary (channel_id VARCHAR, date DATE, views BIGINT, "
            "estimated_minutes_watched BIGINT, net_subscribers BIGINT, likes BIGINT, comments BIGINT)"
        )
        con.executemany(
            "INSERT INTO gold.gold_channel_daily_summary VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(CHANNEL, d, 100 + i, 50 + i, i % 3 - 1, i, i // 2) for i, d in enumerate(days)],
        )
        con.execute(
            "CREATE TABLE gold.gold_video_daily_summary (date DATE, video_id VARCHAR, video_title VARCHAR, "
            "published_date DATE, views BIGINT, estimated_minutes_watched BIGINT, likes BIGINT, comments BIGINT, "
            "shares BIGINT, videos_added_to_playlists BIGINT, videos_removed_from_playlists BIGINT, "
            "engaged_views BIGINT, subscribers_gained BIGINT, subscribers_lost BIGINT)"
        )
        con.executemany(
            "INSERT INTO gold.gold_video_daily_summary VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (d, vid, title, DAY0, 10 * (j + 1) + i, 5 * (j + 1), j, i % 2, 1, j, 0, 5 + i, 2, i % 2)
                for i, d in enumerate(days)
                for j, (vid, title) in enumerate(videos)
            ],
        )
        con.execute(
            "CREATE TABLE gold.gold_channels AS SELECT ? AS channel_id, 'Odd channel' AS channel_title, "
            "321 AS subscriber_count, 3 AS video_count",
            [CHANNEL],
        )
        con.execute(
            "CREATE TABLE gold.gold_videos (video_id VARCHAR, channel_id VARCHAR, content_type VARCHAR, "
            "content_type_basis VARCHAR, duration_seconds INTEGER)"
        )
        con.executemany(
            "INSERT INTO gold.gold_videos VALUES (?, ?, ?, 'duration', ?)",
            [
                (vid, CHANNEL, "Short" if j == 0 else "Long-form", 30 + 300 * j)
                for j, (vid, _) in enumerate(videos)
            ],
        )
        con.execute(
            "CREATE TABLE gold.gold_video_retention AS SELECT v AS video_id, DATE '2026-03-08' AS as_of_date, "
            "r / 100 AS elapsed_video_time_ratio, 1 - r / 200 AS audience_watch_ratio, "
            "CAST(0.5 AS DOUBLE) AS relative_retention_performance FROM (VALUES ('v1'), ('v3')) t(v), range(1, 101) u(r)"
        )
        for table, key, label, values in (
            (
                "traffic_source",
                "source_id",
                "source_name",
                [("YT_SEARCH", "YouTube search"), ("EXT_URL", None)],
            ),
            ("country", "country_code", "country_name", [("NL", "Netherlands"), ("JP", "Japan")]),
            ("device", "device_type", "device_name", [("MOBILE", "Mobile"), ("TV", "TV")]),
        ):
            con.execute(
                f"CREATE TABLE gold.gold_video_{table}_daily_summary (date DATE, video_id VARCHAR, "
                f"{key} VARCHAR, {label} VARCHAR, views BIGINT, estimated_minutes_watched BIGINT)"
            )
            con.executemany(
                f"INSERT INTO gold.gold_video_{table}_daily_summary VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (d, vid, k, name, 3 * (j + 1) + i + 7 * n, 2 + n)
                    for i, d in enumerate(days)
                    for j, (vid, _) in enumerate(videos)
                    for n, (k, name) in enumerate(values)
                ],
            )
    finally:
        con.close()
    return path


@pytest.fixture(scope="module")
def dev_app() -> dict[str, Any]:
    return deployed_app("dev")


@pytest.fixture(scope="module")
def gold(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_gold(tmp_path_factory.mktemp("gold") / "lakehouse.duckdb")


@pytest.fixture
def warehouse(gold: Path, dev_app: dict[str, Any]) -> FakeWarehouse:
    env = app_env(dev_app)
    return FakeWarehouse(gold, env["YTLAKE_CATALOG"], granted_tables(dev_app))


@pytest.fixture
def app_process(monkeypatch, warehouse, dev_app) -> Iterator[FakeWarehouse]:
    with fake_workspace(monkeypatch, warehouse, app_env(dev_app)):
        yield warehouse


# -- every query the dashboard issues ----------------------------------------------------
FIRST, LAST = DAY0 + timedelta(days=2), DAY0 + timedelta(days=8)
QUERIES = {
    "date_bounds": lambda r: data.date_bounds(r),
    "channel_daily": lambda r: data.channel_daily(r, FIRST, LAST),
    "top_videos": lambda r: data.top_videos(r, FIRST, LAST),
    "top_videos_500": lambda r: data.top_videos(r, DAY0, LAST, limit=500),
    "video_daily": lambda r: data.video_daily(r, ODD_VIDEO, FIRST, LAST),
    **{
        f"breakdown_{kind}{'_video' if vid else ''}{'_by_day' if by_day else ''}": (
            lambda r, kind=kind, vid=vid, by_day=by_day: data.breakdown(r, kind, FIRST, LAST, vid, by_day)
        )
        for kind in ("traffic", "country", "device")
        for vid in (None, ODD_VIDEO)
        for by_day in (False, True)
    },
}


@pytest.mark.parametrize("name", QUERIES)
def test_every_dashboard_query_runs_through_the_connectors_native_parameters(app_process, gold, name):
    reader = data.reader_from_env()
    assert isinstance(reader, data.DatabricksReader)
    got = QUERIES[name](reader)
    # the same rows as the local reader finds in the same Gold
    assert got == QUERIES[name](data.DuckDBReader(gold))
    if name.startswith("date_bounds"):
        assert got == (DAY0, DAY0 + timedelta(days=9))
    else:
        assert got, "the query found no rows: the comparison would prove nothing"

    [sent] = app_process.received
    tree = sqlglot.parse_one(sent.statement, read="databricks")
    markers = [m.name for m in tree.find_all(exp.Placeholder)]
    assert all(markers), f"unnamed markers sent: {sent.statement}"
    assert sorted(markers) == sorted(p.name for p in sent.parameters)
    assert "%s" not in sent.statement
    for p in sent.parameters:  # named native parameters, typed from the Python values
        assert not p.ordinal and re.fullmatch(r"p\d+", p.name), p
        assert p.type in ("DATE", "STRING"), p
    assert {p.value.stringValue for p in sent.parameters if p.type == "DATE"} <= {
        FIRST.isoformat(),
        LAST.isoformat(),
        DAY0.isoformat(),
    }
    assert app_process.authorizations == {f"Bearer {TOKEN}"}


def test_the_old_percent_s_markers_never_reach_a_result(app_process):
    """What the reader used to send (``?`` replaced by ``%s``, positional values): the
    connector's native path passes ``%s`` through, and the warehouse cannot parse it."""
    from databricks import sql as dbsql
    from databricks.sql.exc import DatabaseError

    table = data.DatabricksReader(app_process.catalog, WAREHOUSE_ID).table("channel")
    sql = f"select date, views from {table} where date between ? and ? order by date"
    with (
        dbsql.connect(
            server_hostname=HOST, http_path=f"/sql/1.0/warehouses/{WAREHOUSE_ID}", access_token=TOKEN
        ) as con,
        con.cursor() as cur,
        pytest.raises(DatabaseError, match="PARSE_SYNTAX_ERROR"),
    ):
        cur.execute(sql.replace("?", "%s"), [FIRST, LAST])
    [sent] = app_process.received
    assert "%s" in sent.statement and [p.ordinal for p in sent.parameters] == [1, 1]


def test_a_question_mark_in_a_string_or_comment_is_no_marker():
    sql = "select '?' as q, \"a?\" from t -- what?\nwhere a = ? and b = ?"
    text, params = data.to_databricks(sql, ["x", 2])
    assert params == {"p1": "x", "p2": 2}
    tree = sqlglot.parse_one(text, read="databricks")
    assert [m.name for m in tree.find_all(exp.Placeholder)] == ["p1", "p2"]
    assert tree.selects[0].this == exp.Literal.string("?")
    with pytest.raises(data.QueryTranslationError, match="2 parameter markers but 1 values"):
        data.to_databricks(sql, ["x"])
    with pytest.raises(data.QueryTranslationError, match="other than"):
        data.to_databricks("select * from t where a = $1 and b = ?", ["x"])


def test_no_gold_in_the_catalog_is_said_in_one_sentence(monkeypatch, tmp_path, dev_app):
    catalog = app_env(dev_app)["YTLAKE_CATALOG"]
    empty = FakeWarehouse(
        make_gold(tmp_path / "empty.duckdb", with_gold=False), catalog, granted_tables(dev_app)
    )
    with (
        fake_workspace(monkeypatch, empty, app_env(dev_app)),
        pytest.raises(data.GoldMissingError, match=f"The catalog {catalog} has no Gold yet"),
    ):
        data.date_bounds(data.reader_from_env())


def test_a_mart_the_app_may_not_read_is_said_in_one_sentence(monkeypatch, gold, dev_app):
    catalog = app_env(dev_app)["YTLAKE_CATALOG"]
    granted = granted_tables(dev_app) - {f"{catalog}.gold.gold_channel_daily_summary"}
    with (
        fake_workspace(monkeypatch, FakeWarehouse(gold, catalog, granted), app_env(dev_app)),
        pytest.raises(data.Unavailable, match=f"may not read the Gold marts of {catalog}"),
    ):
        data.date_bounds(data.reader_from_env())


def test_every_page_of_the_app_reads_through_the_connector(app_process, gold, monkeypatch):
    """The Streamlit app itself, as a Databricks App runs it: every page and the video
    filter, against the same page over the local reader."""
    from streamlit.testing.v1 import AppTest

    app_file = str(Path(data.__file__).with_name("app.py"))

    def render(page: str, video: str | None = None) -> tuple[list, list]:
        at = AppTest.from_file(app_file, default_timeout=60)
        at.run()
        at.sidebar.radio[0].set_value(page).run()
        if video:
            at.sidebar.selectbox[0].set_value(video).run()
        assert not at.exception, at.exception
        return [(m.label, m.value) for m in at.metric], [h.value for h in at.header]

    pages = [
        (p, None)
        for p in ("Overview", "Content", "Audience", "Reach", "Engagement", "Geography", "Devices", "Revenue")
    ]
    pages += [("Devices", ODD_VIDEO), ("Content", ODD_VIDEO)]
    remote = {case: render(*case) for case in pages}
    assert len(app_process.received) > len(pages)
    monkeypatch.setenv("YTLAKE_DASHBOARD_SOURCE", "duckdb")
    monkeypatch.setenv("YTLAKE_LAKEHOUSE", str(gold))
    local = {case: render(*case) for case in pages}
    assert remote == local
    assert remote[("Overview", None)][0][0][0] == "Views"


# -- the App resource: catalog, grants, names --------------------------------------------
@pytest.mark.parametrize("target", ["dev", "prod"])
def test_the_app_reads_gold_of_its_targets_catalog_and_is_granted_each_mart(target, monkeypatch):
    catalog = target_context(target)[0]["catalog"]
    app = deployed_app(target)
    env = app_env(app)
    assert env["YTLAKE_CATALOG"] == catalog
    assert env["YTLAKE_DASHBOARD_SOURCE"] == "databricks"
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reader = data.reader_from_env()
    assert reader == data.DatabricksReader(catalog, WAREHOUSE_ID)
    # SELECT on every mart the pages read (granted by the job that publishes them)
    assert {reader.table(m) for m in data.MARTS} <= granted_tables(app)
    [warehouse] = [r for r in app["resources"] if "sql_warehouse" in r]
    assert warehouse["name"] == "sql-warehouse" and warehouse["sql_warehouse"]["permission"] == "CAN_USE"


APP_NAME = re.compile(r"^[a-z]([a-z0-9-]*[a-z0-9])?$")


def test_app_names_are_valid_and_differ_by_target_and_dev_user():
    # domain_friendly_name: the CLI lowercases the short user name and turns every other
    # character into a hyphen (libs/iamutil/user.go GetShortUserDomainFriendlyName)
    users = ["jane-doe", "j", "first-last-1", "a-twenty-two-char-name"]
    names = {("dev", u): deployed_app("dev", u)["name"] for u in users}
    names[("prod", "anyone")] = deployed_app("prod", "jane-doe")["name"]
    assert deployed_app("prod", "someone-else")["name"] == names[("prod", "anyone")]
    for key, name in names.items():
        assert APP_NAME.match(name) and len(name) <= 30, (key, name)
    assert len(set(names.values())) == len(names), names
