"""What the tasks share: parameters, the engine, the run, credentials, Bronze writes."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ytlake.lakehouse import DEFAULT_LAKEHOUSE, ENGINES, Engine, open_engine
from ytlake.settings import Secrets, parse_date, require_youtube_credentials
from ytlake.taskvalues import JobContext, current, databricks_dbutils, on_databricks
from ytlake.youtube.endpoints import ApiRoot
from ytlake.youtube.oauth import ClientCredentials

log = logging.getLogger("ytlake.tasks")

INIT_TASK = "init_run_context"


def add(parser: argparse.ArgumentParser, name: str, **kwargs: Any) -> None:
    """Add ``--name-with-dashes`` that also answers to ``--name_with_underscores``."""
    flags = [f"--{name.replace('_', '-')}"]
    if "_" in name:
        flags.append(f"--{name}")
    parser.add_argument(*flags, dest=name, **kwargs)


def optional_str(value: str) -> str | None:
    return value or None


def optional_date(value: str) -> date | None:
    return parse_date(value, "date") if value else None


def optional_rate(value: str) -> float | None:
    rate = float(value) if value else 0.0
    if rate < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return rate or None


def non_negative_int(value: str) -> int:
    n = int(value)
    if n < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return n


def positive_int(value: str) -> int:
    n = int(value)
    if n < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return n


def parser(task_key: str, description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=task_key, description=description)
    add(p, "catalog", default="youtube_analytics")
    add(p, "engine", choices=ENGINES, default="duckdb")
    add(p, "lakehouse", default=str(DEFAULT_LAKEHOUSE), help="DuckDB file (local engines)")
    return p


def add_google_args(p: argparse.ArgumentParser) -> None:
    add(
        p,
        "secret_scope",
        type=optional_str,
        default=None,
        help="Databricks secret scope with yt_client_id, yt_client_secret, yt_refresh_token",
    )
    add(
        p,
        "api_root",
        type=optional_str,
        default=None,
        help="send every Google call (/token, /youtube/v3, /v2/reports) to this base URL",
    )
    add(p, "concurrency", type=positive_int, default=8)
    add(p, "requests_per_second", type=optional_rate, default=None)


def setup_logging() -> None:
    # httpx logs every request at INFO: one line per API call (800,000 on a big backfill) and
    # a lock every thread queues on. Our own client logs retries and failures.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )


def engine_from(args: argparse.Namespace) -> Engine:
    return open_engine(args.engine, Path(args.lakehouse), args.catalog)


def is_local(engine: Engine) -> bool:
    return engine.name == "duckdb" or bool(getattr(engine, "local", False))


@dataclass
class RunInfo:
    run_id: str
    snapshot_date: date
    today: date
    source_system: str


def run_info(ctx: JobContext | None = None) -> RunInfo:
    """The run opened by ``init_run_context`` (through task values)."""
    ctx = ctx or current()
    tv = ctx.task_values
    run_id = tv.get(INIT_TASK, "run_id")
    if not run_id:
        raise RuntimeError("no run context: init_run_context must run first in this job run")
    return RunInfo(
        run_id=run_id,
        snapshot_date=date.fromisoformat(tv.get(INIT_TASK, "snapshot_date")),
        today=date.fromisoformat(tv.get(INIT_TASK, "today")),
        source_system=tv.get(INIT_TASK, "source_system", "google"),
    )


def credentials(args: argparse.Namespace, ctx: JobContext | None = None) -> ClientCredentials:
    """YouTube OAuth client credentials: explicit (demo), the secret scope, or env/.env."""
    ctx = ctx or current()
    if ctx.credentials is not None:
        return ctx.credentials
    if getattr(args, "secret_scope", None) and on_databricks():
        dbutils = databricks_dbutils()

        def secret(key: str) -> str:
            return dbutils.secrets.get(scope=args.secret_scope, key=key)

        return ClientCredentials(
            secret("yt_client_id"), secret("yt_client_secret"), secret("yt_refresh_token")
        )
    env = Secrets()
    require_youtube_credentials(env, "or run `ytlake run --source demo`")
    return ClientCredentials(
        env.yt_client_id or "",
        env.yt_client_secret.get_secret_value() if env.yt_client_secret else "",
        env.yt_refresh_token.get_secret_value() if env.yt_refresh_token else "",
    )


def api_root(args: argparse.Namespace) -> ApiRoot:
    return ApiRoot.under(args.api_root) if args.api_root else ApiRoot()


def _quote(value: str) -> str:
    return value.replace("'", "''")


def sql_string(value: str) -> str:
    return "'" + _quote(value) + "'"


def emit_summary(task_key: str, summary: dict[str, Any]) -> None:
    """One structured JSON line on stdout, for logs and for people."""
    print(json.dumps({"task": task_key, **summary}, sort_keys=True, default=str), flush=True)
