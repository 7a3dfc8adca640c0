"""What the runbook scripts do on Databricks, through databricks-sdk.

Every function takes a ``WorkspaceClient`` (tests pass ``create_autospec(WorkspaceClient)``)
and never prints or logs a secret value.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from ytlake.checks import SqlRunner
from ytlake.lakehouse.bootstrap import bootstrap_statements
from ytlake.settings import SECRET_SCOPE_KEYS

#: The secret-scope keys the job needs.
REQUIRED_SECRETS = tuple(SECRET_SCOPE_KEYS)


def workspace_client(profile: str | None = None) -> Any:
    """A WorkspaceClient for a CLI profile (or the environment), failing fast when unreachable."""
    from databricks.sdk import WorkspaceClient

    return (
        WorkspaceClient(profile=profile, retry_timeout_seconds=30)
        if profile
        else WorkspaceClient(retry_timeout_seconds=30)
    )


def put_secrets(ws: Any, scope: str, values: Mapping[str, str]) -> list[str]:
    """Create ``scope`` if missing and put each key; returns the keys written (never values)."""
    existing = {s.name for s in ws.secrets.list_scopes()}
    if scope not in existing:
        ws.secrets.create_scope(scope=scope)
    written = []
    for key, value in values.items():
        if key not in REQUIRED_SECRETS:
            raise ValueError(f"unknown secret key {key!r}; expected one of {', '.join(REQUIRED_SECRETS)}")
        if not value:
            raise ValueError(f"secret {key} is empty")
        ws.secrets.put_secret(scope=scope, key=key, string_value=value)
        written.append(key)
    return written


def missing_secrets(ws: Any, scope: str) -> list[str]:
    """Keys the job needs that the scope does not hold."""
    present = {s.key for s in ws.secrets.list_secrets(scope=scope)}
    return [k for k in REQUIRED_SECRETS if k not in present]


def warehouse_runner(ws: Any, warehouse_id: str, timeout_s: float = 300) -> SqlRunner:
    """A SqlRunner on a SQL warehouse (Statement Execution API, results inline)."""
    from databricks.sdk.service.sql import StatementState

    def run(sql: str) -> list[dict[str, Any]]:
        resp = ws.statement_execution.execute_statement(
            statement=sql, warehouse_id=warehouse_id, wait_timeout="30s"
        )
        deadline = time.monotonic() + timeout_s
        while resp.status and resp.status.state in (StatementState.PENDING, StatementState.RUNNING):
            if time.monotonic() > deadline:
                raise TimeoutError(f"statement did not finish in {timeout_s:.0f} s")
            time.sleep(1)
            resp = ws.statement_execution.get_statement(resp.statement_id)
        if resp.status and resp.status.state != StatementState.SUCCEEDED:
            message = resp.status.error.message if resp.status.error else resp.status.state
            raise RuntimeError(f"SQL failed: {message}")
        names = [
            c.name for c in (resp.manifest.schema.columns if resp.manifest and resp.manifest.schema else [])
        ]
        rows = resp.result.data_array if resp.result and resp.result.data_array else []
        return [dict(zip(names, row, strict=False)) for row in rows]

    return run


def bootstrap_unity_catalog(run: SqlRunner, catalog: str) -> list[str]:
    """Run the bootstrap SQL (the one Bronze DDL) statement by statement; returns them."""
    done = []
    for statement in bootstrap_statements(catalog):
        run(statement)
        done.append(statement.split("(")[0].strip())
    return done
