"""What the tasks share: parameters, the engine, the run, credentials, Bronze writes."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import date
from pathlib import Path
from typing import Any

from ytlake.channels import DEMO_CREDENTIALS, SECRET_PREFIX, ChannelAccess, local_accesses, scope_accesses
from ytlake.jobcontext import JobContext, current, databricks_dbutils, on_databricks
from ytlake.lakehouse import DEFAULT_LAKEHOUSE, ENGINES, Engine, open_engine
from ytlake.settings import Secrets, SettingsError, parse_date, require_youtube_credentials
from ytlake.youtube.endpoints import ApiRoot

log = logging.getLogger("ytlake.tasks")

INIT_TASK = "init_run_context"


def add(parser: argparse.ArgumentParser, name: str, **kwargs: Any) -> None:
    """Add ``--name-with-dashes`` that also answers to ``--name_with_underscores``."""
    flags = [f"--{name.replace('_', '-')}"]
    if "_" in name:
        flags.append(f"--{name}")
    parser.add_argument(*flags, dest=name, **kwargs)


def boolean(value: str) -> bool:
    """A task parameter's true/false (Databricks passes every named parameter as a string)."""
    text = str(value).strip().lower()
    if text not in ("1", "true", "yes", "0", "false", "no", ""):
        raise argparse.ArgumentTypeError(f"expected true or false, got {value!r}")
    return text in ("1", "true", "yes")


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


#: The job's parameters (``parameters:`` of the job in the bundle). Databricks pushes every job
#: parameter down to every python_wheel_task as a named parameter, so every task accepts them
#: all; a task uses the ones it needs.
JOB_PARAMETERS = ("today", "start_date", "end_date", "lookback_days", "latency_days")


def add_job_parameters(p: argparse.ArgumentParser) -> None:
    add(
        p,
        "job_run_id",
        default=None,
        help="the job run this task belongs to (on Databricks {{job.run_id}})",
    )
    add(p, "task_run_id", default=None, help="this task's run (on Databricks {{task.run_id}})")
    add(
        p, "today", type=optional_date, default=None, help="the pipeline's today (Pacific time); default: now"
    )
    add(p, "start_date", type=optional_date, default=None, help="first Pacific day of a first run")
    add(p, "end_date", type=optional_date, default=None, help="last Pacific day (default: today - latency)")
    add(p, "lookback_days", type=non_negative_int, default=7)
    add(p, "latency_days", type=non_negative_int, default=2)


def parser(task_key: str, description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=task_key, description=description)
    add(p, "catalog", default="youtube_analytics")
    add(p, "engine", choices=ENGINES, default="duckdb")
    add(p, "lakehouse", default=str(DEFAULT_LAKEHOUSE), help="DuckDB file (local engines)")
    add_job_parameters(p)
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
        help="send every Google call (/token, /youtube/v3, /v2/reports, /v1) to this base URL",
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


def channel_accesses(args: argparse.Namespace, ctx: JobContext | None = None) -> list[ChannelAccess]:
    """Every channel the run pulls, each with its owner's refresh token (``ytlake.channels``):
    explicit (demo), the secret scope's, or the credentials file's and ``YT_REFRESH_TOKEN``'s."""
    ctx = ctx or current()
    if ctx.channels:
        return list(ctx.channels)
    if getattr(args, "secret_scope", None) and on_databricks():
        dbutils = databricks_dbutils()
        scope = args.secret_scope

        def secret(key: str) -> str:
            return dbutils.secrets.get(scope=scope, key=key)

        keys = [m.key for m in dbutils.secrets.list(scope)]
        accesses = scope_accesses(secret, keys, secret("yt_client_id"), secret("yt_client_secret"))
        if not accesses:
            raise SettingsError(
                f"secret scope {scope} has no refresh token: put one in yt_refresh_token, or one per "
                f"channel in {SECRET_PREFIX}<channel id>"
            )
        return accesses
    env = Secrets()
    client_id = env.yt_client_id or ""
    client_secret = env.yt_client_secret.get_secret_value() if env.yt_client_secret else ""
    if getattr(args, "api_root", None) and not (client_id or client_secret):  # an emulator
        client_id, client_secret = DEMO_CREDENTIALS.client_id, DEMO_CREDENTIALS.client_secret
        env = env.model_copy(update={"yt_client_id": client_id, "yt_client_secret": client_secret})
    token = env.yt_refresh_token.get_secret_value() if env.yt_refresh_token else None
    accesses = local_accesses(client_id, client_secret, token)
    require_youtube_credentials(env, "or run `ytlake run --source demo`", stored_channels=len(accesses))
    return accesses


def api_root(args: argparse.Namespace) -> ApiRoot:
    return ApiRoot.under(args.api_root) if args.api_root else ApiRoot()


def _quote(value: str) -> str:
    return value.replace("'", "''")


def sql_string(value: str) -> str:
    return "'" + _quote(value) + "'"


def emit_summary(task_key: str, summary: dict[str, Any]) -> None:
    """One structured JSON line on stdout, for logs and for people."""
    print(json.dumps({"task": task_key, **summary}, sort_keys=True, default=str), flush=True)
