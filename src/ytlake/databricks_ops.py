"""What the runbook scripts do on Databricks, through databricks-sdk.

Every function takes a real ``WorkspaceClient`` (the tests build one for a fake host and
mock only the HTTP beneath it) and never prints or logs a secret value. Failures the
runbook should report are :class:`RunbookError`: one line naming the problem and the fix;
:func:`explain` turns any other exception into such a line.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any

from ytlake.checks import SqlRunner
from ytlake.lakehouse.bootstrap import bootstrap_statements
from ytlake.lakehouse.identifiers import validate_identifier
from ytlake.settings import SECRET_SCOPE_KEYS

#: The secret-scope keys the job needs.
REQUIRED_SECRETS = tuple(SECRET_SCOPE_KEYS)

#: The SDK retries a failed call (connection refused, DNS, timeouts, 429/503) for this long
#: before giving up; its own default is 300 s, which makes an unreachable host look hung.
RETRY_TIMEOUT_SECONDS = 30
#: One HTTP request's timeout. It must exceed STATEMENT_WAIT_TIMEOUT, for which the
#: Statement Execution API holds the request open.
HTTP_TIMEOUT_SECONDS = 20
#: How long ``execute_statement`` waits before answering PENDING/RUNNING (then we poll).
STATEMENT_WAIT_TIMEOUT = "10s"

CREDENTIALS_FIX = (
    "set DATABRICKS_HOST and DATABRICKS_TOKEN (or DATABRICKS_CLIENT_ID/DATABRICKS_CLIENT_SECRET), "
    "or pass --profile NAME of ~/.databrickscfg (databricks auth login --profile NAME)"
)
CATALOG_GRANTS = "USE CATALOG, CREATE SCHEMA"


class RunbookError(RuntimeError):
    """A failure the runbook reports as one line: the problem, then the fix."""


class HostUnreachableError(RunbookError):
    """The workspace host did not answer within the retry budget."""


class StatementFailedError(RunbookError):
    """A SQL statement ended FAILED, CANCELED or CLOSED on the warehouse."""

    def __init__(self, message: str, reason: str, error_code: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.error_code = error_code


def _first_line(text: object, limit: int = 200) -> str:
    line = " ".join(str(text).strip().splitlines()[0].split()) if str(text).strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _causes(err: BaseException) -> list[BaseException]:
    chain, seen = [], set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _unreachable(err: BaseException) -> bool:
    import requests

    return any(isinstance(e, requests.ConnectionError | requests.Timeout) for e in _causes(err))


@contextmanager
def _bounded_host_metadata(
    retry_timeout_seconds: int, http_timeout_seconds: float, clock: Any
) -> Iterator[list[BaseException]]:
    """Make ``Config``'s host-metadata lookup obey our retry budget; yields its connection errors.

    databricks-sdk 0.117 fetches ``{host}/.well-known/databricks-config`` while building a
    ``Config``, through a shared client whose retry budget is fixed at 300 s whatever
    ``retry_timeout_seconds`` says: an unreachable host blocks there for 5 minutes. While
    the config is built, the lookup goes through a client bounded like the API client
    (same budget, HTTP timeout and clock); the yielded list collects the errors that mean
    the host never answered. (Subclassing ``Config`` is no way round: its attribute
    discovery reads only the class's own ``__dict__``.)
    """
    from databricks.sdk import config as sdk_config

    fetch = getattr(sdk_config, "get_host_metadata", None)
    unreachable: list[BaseException] = []
    if fetch is None:  # an SDK without the lookup: nothing to bound
        yield unreachable
        return
    from databricks.sdk._base_client import _BaseClient

    client = _BaseClient(
        retry_timeout_seconds=retry_timeout_seconds, http_timeout_seconds=http_timeout_seconds, clock=clock
    )

    def bounded(host: str, *_: Any, **__: Any) -> Any:
        try:
            return fetch(host, client=client)
        except Exception as err:
            if _unreachable(err):
                unreachable.append(err)
            raise

    sdk_config.get_host_metadata = bounded
    try:
        yield unreachable
    finally:
        sdk_config.get_host_metadata = fetch


def workspace_client(
    profile: str | None = None,
    *,
    retry_timeout_seconds: int = RETRY_TIMEOUT_SECONDS,
    http_timeout_seconds: float = HTTP_TIMEOUT_SECONDS,
    clock: Any = None,
    **config: Any,
) -> Any:
    """A real ``WorkspaceClient`` for a CLI profile (or the environment), failing fast.

    In databricks-sdk 0.117 the retry budget is a ``Config`` attribute, not a
    ``WorkspaceClient`` argument: build ``Config(retry_timeout_seconds=...)`` and pass it as
    ``WorkspaceClient(config=...)``. An unreachable host raises
    :class:`HostUnreachableError` after ``retry_timeout_seconds``. ``clock`` (a
    ``databricks.sdk.clock.Clock``) lets tests run the SDK's retries without waiting;
    ``config`` passes other ``Config`` attributes (host, token, auth_type, ...).
    """
    from importlib.metadata import PackageNotFoundError, version

    from databricks.sdk import WorkspaceClient
    from databricks.sdk.clock import RealClock
    from databricks.sdk.config import Config

    try:
        product_version = version("ytlake")
    except PackageNotFoundError:
        product_version = "0.0.0"
    clock = clock or RealClock()
    try:
        with _bounded_host_metadata(retry_timeout_seconds, http_timeout_seconds, clock) as unreachable:
            cfg = Config(
                profile=profile,
                retry_timeout_seconds=retry_timeout_seconds,
                http_timeout_seconds=http_timeout_seconds,
                clock=clock,
                product="ytlake",
                product_version=product_version,
                **config,
            )
    except ValueError as err:
        where = f"profile {profile}" if profile else "the environment"
        reason = _first_line(str(err).split(". Config:")[0], 160)
        raise RunbookError(
            f"no usable Databricks credentials in {where} ({reason}): {CREDENTIALS_FIX}"
        ) from err
    if unreachable:
        raise HostUnreachableError(
            f"cannot reach the Databricks workspace {cfg.host} within {retry_timeout_seconds} s: "
            "check the host (DATABRICKS_HOST or the profile's host), your network or VPN"
        ) from unreachable[0]
    return WorkspaceClient(config=cfg)


def explain(err: BaseException) -> str:
    """One line naming the problem and the fix, for any failure of a runbook step."""
    from databricks.sdk.errors import DatabricksError, NotFound, PermissionDenied, Unauthenticated

    from ytlake.lakehouse.identifiers import InvalidIdentifierError

    if isinstance(err, RunbookError | InvalidIdentifierError):
        return _first_line(err, 1000)  # our own words: reason and fix, already bounded
    first = _first_line(str(err).split(". Config:")[0]) or type(err).__name__
    if _unreachable(err) or isinstance(err, TimeoutError):
        return (
            f"cannot reach the Databricks workspace ({first}): check DATABRICKS_HOST or --profile, "
            "and your network or VPN"
        )
    if isinstance(err, Unauthenticated):
        return f"Databricks rejected the credentials ({first}): {CREDENTIALS_FIX}"
    if isinstance(err, PermissionDenied):
        return f"permission denied ({first}): ask a workspace admin for the permission it names"
    if isinstance(err, NotFound):
        return f"not found ({first}): check the id or name given"
    if isinstance(err, DatabricksError):
        return f"Databricks API error ({first})"
    return f"{type(err).__name__}: {first}"


# --- secrets ---------------------------------------------------------------------------


def put_secrets(ws: Any, scope: str, values: Mapping[str, str]) -> list[str]:
    """Create ``scope`` if missing and put each key; returns the keys written (never values)."""
    from databricks.sdk.errors import ResourceAlreadyExists

    for key, value in values.items():
        if key not in REQUIRED_SECRETS:
            raise RunbookError(f"unknown secret key {key!r}: expected one of {', '.join(REQUIRED_SECRETS)}")
        if not value:
            raise RunbookError(
                f"secret {key} is empty: set {SECRET_SCOPE_KEYS[key]} in the environment or .env"
            )
    existing = {s.name for s in ws.secrets.list_scopes()}
    if scope not in existing:
        # created meanwhile, or not listed to us: putting the keys says whether we may write
        with suppress(ResourceAlreadyExists):
            ws.secrets.create_scope(scope=scope)
    written = []
    for key, value in values.items():
        ws.secrets.put_secret(scope=scope, key=key, string_value=value)
        written.append(key)
    return written


def put_channel_token(ws: Any, scope: str, channel_id: str, refresh_token: str) -> str:
    """One channel's refresh token in the scope (created if missing), keyed by its channel id;
    returns the key (never the value)."""
    from databricks.sdk.errors import ResourceAlreadyExists

    from ytlake.channels import SECRET_PREFIX

    if scope not in {s.name for s in ws.secrets.list_scopes()}:
        with suppress(ResourceAlreadyExists):
            ws.secrets.create_scope(scope=scope)
    key = SECRET_PREFIX + channel_id
    ws.secrets.put_secret(scope=scope, key=key, string_value=refresh_token)
    return key


def channel_secret_keys(ws: Any, scope: str) -> list[str]:
    """The scope's refresh-token keys: one per channel, and the single-channel one."""
    from ytlake.channels import SECRET_PREFIX

    keys = sorted(m.key for m in ws.secrets.list_secrets(scope=scope))
    return [k for k in keys if k.startswith(SECRET_PREFIX) or k == "yt_refresh_token"]


def delete_channel_token(ws: Any, scope: str, channel_id: str) -> bool:
    """Remove a channel's token from the scope; False when it had none."""
    from ytlake.channels import SECRET_PREFIX

    key = SECRET_PREFIX + channel_id
    if key not in channel_secret_keys(ws, scope):
        return False
    ws.secrets.delete_secret(scope=scope, key=key)
    return True


def missing_secrets(ws: Any, scope: str) -> list[str]:
    """Keys the job needs that the scope does not hold."""
    from databricks.sdk.errors import NotFound

    try:
        present = {s.key for s in ws.secrets.list_secrets(scope=scope)}
    except NotFound as err:
        raise RunbookError(
            f"secret scope {scope} does not exist: create it with "
            f"scripts/bootstrap_youtube_secrets.py --scope {scope}"
        ) from err
    return [k for k in REQUIRED_SECRETS if k not in present]


# --- SQL on a warehouse ------------------------------------------------------------------


def _statement_head(sql: str, limit: int = 90) -> str:
    head = " ".join(sql.split())
    head = re.split(r" COMMENT | USING |\(", head, maxsplit=1)[0].strip()
    return head if len(head) <= limit else head[: limit - 1] + "…"


def warehouse_runner(
    ws: Any,
    warehouse_id: str,
    timeout_s: float = 300,
    *,
    poll_s: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], float] = time.monotonic,
) -> SqlRunner:
    """A SqlRunner on a SQL warehouse (Statement Execution API, results inline).

    A statement still PENDING/RUNNING after the API's wait is polled (every ``poll_s``,
    backing off to 5 s) until ``timeout_s``, then cancelled. ``sleep``/``now`` are
    injectable so tests poll without waiting.
    """
    from databricks.sdk.service.sql import ExecuteStatementRequestOnWaitTimeout, StatementState

    def run(sql: str) -> list[dict[str, Any]]:
        api = ws.statement_execution
        resp = api.execute_statement(
            statement=sql,
            warehouse_id=warehouse_id,
            wait_timeout=STATEMENT_WAIT_TIMEOUT,
            on_wait_timeout=ExecuteStatementRequestOnWaitTimeout.CONTINUE,
        )
        deadline = now() + timeout_s
        delay = poll_s
        while resp.status and resp.status.state in (StatementState.PENDING, StatementState.RUNNING):
            if now() >= deadline:
                with suppress(Exception):  # the timeout is the news; a failed cancel adds nothing
                    api.cancel_execution(resp.statement_id)
                raise RunbookError(
                    f"`{_statement_head(sql)}` did not finish in {timeout_s:.0f} s on warehouse "
                    f"{warehouse_id}: start the warehouse (or pick a larger one) and run again"
                )
            sleep(delay)
            delay = min(delay * 2, 5.0)
            resp = api.get_statement(resp.statement_id)
        state = resp.status.state if resp.status else None
        if state != StatementState.SUCCEEDED:
            error = resp.status.error if resp.status else None
            reason = _first_line(error.message if error and error.message else f"statement {state}")
            code = error.error_code.value if error and error.error_code else None
            raise StatementFailedError(
                f"SQL failed on warehouse {warehouse_id}: `{_statement_head(sql)}`: {reason}", reason, code
            )
        names = [
            c.name for c in (resp.manifest.schema.columns if resp.manifest and resp.manifest.schema else [])
        ]
        rows = list(resp.result.data_array or []) if resp.result else []
        chunk = resp.result
        while chunk is not None and chunk.next_chunk_index is not None:
            chunk = api.get_statement_result_chunk_n(resp.statement_id, chunk.next_chunk_index)
            rows.extend(chunk.data_array or [])
        return [dict(zip(names, row, strict=False)) for row in rows]

    return run


# --- Unity Catalog ------------------------------------------------------------------------

#: A cloud storage URL for MANAGED LOCATION: scheme, bucket/container, path; no quotes,
#: spaces or backslashes, so it is safe inside a SQL string literal.
_LOCATION = re.compile(r"^(abfss|s3|gs|r2)://[A-Za-z0-9][A-Za-z0-9@._-]*(/[A-Za-z0-9._~=+%@-]*)*$")
_CREATE_CATALOG = re.compile(r"^\s*CREATE\s+CATALOG\b", re.IGNORECASE)
_PRIVILEGE = re.compile(
    r"PERMISSION_DENIED|permission|privilege|not authori[sz]ed|does not have|forbidden|access denied",
    re.IGNORECASE,
)
_STORAGE = re.compile(
    r"storage root|storage location|managed location|metastore storage|root storage|"
    r"storage credential|external location|INVALID_STORAGE|no storage",
    re.IGNORECASE,
)


def validate_managed_location(path: str) -> str:
    """Return ``path`` if it is a cloud storage URL fit for ``MANAGED LOCATION``, else raise."""
    if not isinstance(path, str) or not _LOCATION.match(path):
        raise RunbookError(
            f"invalid --managed-location {path!r}: give a cloud storage URL such as "
            "abfss://<container>@<account>.dfs.core.windows.net/<path>, s3://<bucket>/<path> "
            "or gs://<bucket>/<path> (no quotes or spaces)"
        )
    return path


def _sql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def catalog_exists(run: SqlRunner, catalog: str) -> bool:
    """Whether ``catalog`` is visible to us (``SHOW CATALOGS LIKE``; names are case-insensitive)."""
    validate_identifier(catalog, "catalog")
    rows = run(f"SHOW CATALOGS LIKE '{catalog}'")
    names = {str(r.get("catalog", next(iter(r.values()), ""))).lower() for r in rows if r}
    return catalog.lower() in names


def _reason(err: BaseException) -> str:
    return _first_line(getattr(err, "reason", None) or err, 140)


def _catalog_creation_failed(catalog: str, err: BaseException, managed_location: str | None) -> str:
    reason = _reason(err)
    text = f"{reason} {getattr(err, 'error_code', '') or ''}"
    ask_admin = f"ask an admin to create catalog {catalog} and grant you {CATALOG_GRANTS} on it"
    if managed_location and _STORAGE.search(text):
        fix = (
            f"give a --managed-location inside an external location you may use (CREATE MANAGED "
            f"STORAGE), or {ask_admin}"
        )
    elif _STORAGE.search(text) and not _PRIVILEGE.search(text):
        fix = (
            "the metastore has no storage for it: give --managed-location abfss://…|s3://…|gs://… "
            f"(an external location you may use), or {ask_admin}"
        )
    elif _PRIVILEGE.search(text):
        fix = f"you may not create catalogs: {ask_admin}"
    else:
        fix = f"give --managed-location abfss://…|s3://…|gs://…, or {ask_admin}"
    return f"catalog {catalog} does not exist and cannot be created ({reason}): {fix}"


def bootstrap_unity_catalog(run: SqlRunner, catalog: str, managed_location: str | None = None) -> list[str]:
    """Make sure ``catalog`` exists, then run the Bronze DDL statement by statement.

    An existing catalog is used as it is (never recreated, its location untouched). A
    missing one is created, with ``MANAGED LOCATION`` when given. The bootstrap SQL's own
    ``CREATE CATALOG`` is skipped: the catalog is handled here. Returns one line per step
    (for the runbook to print).
    """
    validate_identifier(catalog, "catalog")
    if managed_location is not None:
        validate_managed_location(managed_location)
    done = []
    if catalog_exists(run, catalog):
        note = " (--managed-location ignored)" if managed_location else ""
        done.append(f"catalog {catalog} exists: used as it is{note}")
    else:
        create = f"CREATE CATALOG IF NOT EXISTS {catalog}"
        if managed_location:
            create += f" MANAGED LOCATION {_sql_string(managed_location)}"
        try:
            run(create)
        except Exception as err:
            raise RunbookError(_catalog_creation_failed(catalog, err, managed_location)) from err
        where = f" in {managed_location}" if managed_location else " in the metastore's storage"
        done.append(f"catalog {catalog} created{where}")
    for statement in bootstrap_statements(catalog):
        if _CREATE_CATALOG.match(statement):
            continue
        try:
            run(statement)
        except Exception as err:
            head, reason = _statement_head(statement), _reason(err)
            if _PRIVILEGE.search(f"{reason} {getattr(err, 'error_code', '') or ''}"):
                raise RunbookError(
                    f"`{head}` was refused ({reason}): ask the owner of catalog {catalog} to grant you "
                    f"{CATALOG_GRANTS} on it (and USE SCHEMA, CREATE TABLE on its schemas)"
                ) from err
            raise RunbookError(f"`{head}` failed ({reason})") from err
        done.append(f"ran: {_statement_head(statement)}")
    return done
