"""Run dbt in-process (``dbtRunner``) with the target and vars of the environment."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ytlake import paths
from ytlake.jobcontext import databricks_dbutils, on_databricks
from ytlake.tasks import common

#: Where the job's dbt builds and audits Gold before publishing it to ``gold``.
GOLD_STAGING = "gold_staging"
GOLD = "gold"


def gold_models() -> list[str]:
    """The marts the dbt project builds (one model a file under models/gold)."""
    return sorted(p.stem for p in (paths.dbt_project_dir() / "models" / "gold").glob("*.sql"))


def publish_gold(
    engine: Any,
    models: list[str],
    staging: str = GOLD_STAGING,
    target: str = GOLD,
    readers: list[str] | tuple[str, ...] = (),
) -> list[str]:
    """Publish the audited build: every mart of ``staging`` replaces its ``target`` table, in one
    transaction on DuckDB (readers see the old Gold or the new, never a mix); on Databricks each
    table's replace is one Delta commit, from the audited tables.

    On Unity Catalog, ``readers`` (principals: the dashboard App's service principal) are then
    granted SELECT on each published mart, USE SCHEMA on it and USE CATALOG: the job owns the
    marts it publishes, so the grants exist from the first run on (an App resource naming the
    tables would need them to exist before the App is first deployed). A grant the job's
    identity may not give is a warning naming who must give it. Returns the warnings."""
    with engine.atomic():
        for model in models:
            engine.replace_table(f"{target}.{model}", f"SELECT * FROM {engine.qualify(f'{staging}.{model}')}")
    readers = [r.strip() for r in readers if r.strip() and not r.startswith("local:")]
    if not readers or common.is_local(engine):
        return []
    warnings = []
    for reader in readers:
        principal = "`" + reader.replace("`", "``") + "`"
        statements = [
            f"GRANT USE CATALOG ON CATALOG {engine.catalog} TO {principal}",
            f"GRANT USE SCHEMA ON SCHEMA {engine.catalog}.{target} TO {principal}",
            *(f"GRANT SELECT ON TABLE {engine.qualify(f'{target}.{m}')} TO {principal}" for m in models),
        ]
        for statement in statements:
            try:
                engine.execute(statement)
            except Exception as err:
                first = str(err).splitlines()[0] if str(err) else type(err).__name__
                warnings.append(f"{statement} failed ({first}): an owner of it must grant it once")
                common.log.warning("publish_gold: %s", warnings[-1])
    return warnings


@dataclass
class DbtOutcome:
    success: bool
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None


def add_dbt_args(p: argparse.ArgumentParser) -> None:
    common.add(p, "target", default="local", help="dbt target: local, dev, prod")
    common.add(p, "silver_schema", default="silver")
    common.add(p, "secret_scope", type=common.optional_str, default=None)
    common.add(
        p,
        "gold_readers",
        default="",
        help="comma-separated principals granted SELECT on the published Gold (Unity Catalog)",
    )


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the block, then put back what was there."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextmanager
def _without_dotenv() -> Iterator[None]:
    """dbt loads the working folder's .env (or a parent's) into os.environ when imported and
    on every invoke; keep what it adds out of this process, which reads its settings itself."""
    before = set(os.environ)
    try:
        yield
    finally:
        for key in set(os.environ) - before:
            os.environ.pop(key, None)


def databricks_dbt_env(args: argparse.Namespace) -> dict[str, str]:
    """On Databricks, the secret scope's dbt_host / dbt_http_path / dbt_token become the
    DBT_DATABRICKS_* variables profiles.yml reads (values never logged)."""
    if not args.secret_scope or not on_databricks():
        return {}
    dbutils = databricks_dbutils()

    keys = {
        "dbt_host": "DBT_DATABRICKS_HOST",
        "dbt_http_path": "DBT_DATABRICKS_HTTP_PATH",
        "dbt_token": "DBT_DATABRICKS_TOKEN",
    }
    return {env: dbutils.secrets.get(scope=args.secret_scope, key=key) for key, env in keys.items()}


def _release_duckdb() -> None:
    """dbt-duckdb keeps its DuckDB connection for the life of the process; close it, so the
    lakehouse file is free for readers (the dashboard) as soon as the dbt task ends."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # pragma: no cover - dbt-duckdb not installed (Databricks)
        return
    env = DuckDBConnectionManager._ENV
    DuckDBConnectionManager.close_all_connections()
    if env is not None:
        env.close()


def dbt_safe_path(lakehouse: Path, work: Path) -> Path:
    """A path to the lakehouse dbt-duckdb can use. dbt-duckdb names the database after the
    file and puts that name, unescaped, in SQL string literals: a quote in the file name (e.g.
    ``yt's.duckdb``) breaks every dbt run. Such a file is reached through a hard link with a
    plain name in dbt's work folder (DuckDB names a symlinked file after its target); the whole
    dbt task opens it by that path (one DuckDB instance), and a write-ahead log a killed dbt
    task left beside the link is removed first (it holds only the Gold staging build, rebuilt
    by this task, and must never be replayed later)."""
    if not any(c in lakehouse.stem for c in "'\"`"):
        return lakehouse
    if Path(f"{lakehouse}.wal").exists():  # replayed and checkpointed under the real name first
        from ytlake.lakehouse import DuckDBEngine

        DuckDBEngine(lakehouse).close()
    work.mkdir(parents=True, exist_ok=True)
    link = work / "lakehouse.duckdb"
    for stale in (link, Path(f"{link}.wal")):
        if stale.is_symlink() or stale.exists():
            stale.unlink()
    link.hardlink_to(lakehouse)
    return link


def lakehouse_engine(args: argparse.Namespace) -> Any:
    """The engine where dbt builds: the DuckDB file (target ``local``), else Spark (the local
    session, or Databricks)."""
    from ytlake.lakehouse import open_engine

    return open_engine("duckdb" if args.target == "local" else "spark", args.lakehouse, args.catalog)


def profiles_dir(work: Path) -> Path:
    """A copy of the project's profiles.yml in dbt's work folder: dbt writes its ``.user.yml``
    beside the profiles it reads, which must never be the installed package (read-only on
    Databricks, shared by every run)."""
    work.mkdir(parents=True, exist_ok=True)
    target = work / "profiles.yml"
    source = (paths.dbt_project_dir() / "profiles.yml").read_text(encoding="utf-8")
    if not target.exists() or target.read_text(encoding="utf-8") != source:
        target.write_text(source, encoding="utf-8")
    return work


#: The project as dbt last parsed it in this process, by what the parse depends on: the local
#: job's dbt_test reuses dbt_run_gold's parse, and a long-lived process (a test session, a
#: notebook) parses once. dbt documents this reuse (``dbtRunner(manifest=...)``).
_PARSED: dict[tuple[str, ...], Any] = {}


def project_fingerprint(project: Path) -> str:
    """A hash of every file of the dbt project (its build output excluded): a parse is reused
    only for the very files it read."""
    digest = hashlib.sha256()
    for path in sorted(project.rglob("*")):
        relative = path.relative_to(project)
        if path.is_file() and not {"target", "logs", "dbt_packages"} & set(relative.parts):
            digest.update(f"{relative.as_posix()}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def parsed_project(key: tuple[str, ...], flags: list[str]) -> Any:
    """dbt's manifest of the project for ``key``, parsed now (with ``flags``: the command's
    own) unless this process parsed it already; None if the parse fails (the command then
    parses again and reports the error itself)."""
    if key not in _PARSED:
        from dbt.cli.main import dbtRunner

        res = dbtRunner().invoke(["parse", *flags])
        if not res.success or res.result is None:
            return None
        _PARSED.clear()  # one project in memory: a few megabytes
        _PARSED[key] = res.result
    return _PARSED[key]


def run_dbt(
    command: str, args: argparse.Namespace, extra: list[str] | None = None, today: Any = None
) -> DbtOutcome:
    with _without_dotenv():  # importing dbt.cli.main loads .env too
        from dbt.cli.main import dbtRunner

    project = paths.dbt_project_dir()
    # no usage events to dbt Labs (nothing here phones out), and so no .user.yml cookie at all
    env: dict[str, str] = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    if today:  # the freshness test measures against the run's Pacific day (an env var, not a
        env["YTLAKE_TODAY"] = str(today)  # var: a var that changes daily makes dbt parse anew)
    database = args.catalog
    if args.target == "local":
        lakehouse = Path(args.lakehouse).resolve()
        work = lakehouse.parent / "dbt"
        lakehouse = dbt_safe_path(lakehouse, work)
        env["YTLAKE_DUCKDB_PATH"] = str(lakehouse)
        database = lakehouse.stem  # dbt-duckdb's name of the database, in every parsed node
    else:
        work = Path(tempfile.gettempdir()) / "ytlake-dbt"
    variables: dict[str, Any] = {
        "catalog": args.catalog,
        "silver_schema": args.silver_schema,
        "gold_schema": GOLD_STAGING,  # write-audit-publish: built and tested here, then published
    }
    if args.target != "local":
        env.update(databricks_dbt_env(args))
    flags = [
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(profiles_dir(work)),
        "--target",
        args.target,
        "--vars",
        json.dumps(variables),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
        "--no-use-colors",
        "--quiet",
    ]
    key = (
        str(project),
        project_fingerprint(project),
        args.target,
        json.dumps(variables, sort_keys=True),
        database,
    )
    holder = None
    if args.target == "local":
        # Hold the file (waiting for readers such as the dashboard to let go) while dbt runs:
        # dbt-duckdb then shares this process's DuckDB instance instead of racing for the lock.
        from ytlake.lakehouse import DuckDBEngine

        holder = DuckDBEngine(lakehouse, args.catalog)  # the same path as dbt's: one DuckDB instance
    with environment(env), _without_dotenv():
        try:
            manifest = parsed_project(key, flags)
            res = dbtRunner(manifest=manifest).invoke([command, *flags, *(extra or [])])
        finally:
            if holder is not None:
                _release_duckdb()
                holder.close()
    outcome = DbtOutcome(success=bool(res.success))
    if res.exception is not None:
        outcome.error = f"{type(res.exception).__name__}: {res.exception}".splitlines()[0]
    results: Any = getattr(res.result, "results", None) or []
    for r in results:
        status = str(getattr(r.status, "value", r.status))
        outcome.counts[status] = outcome.counts.get(status, 0) + 1
        name = getattr(r.node, "name", "?")
        if status in ("fail", "error"):
            outcome.failures.append(f"{name}: {(r.message or status)}".splitlines()[0])
        elif status == "warn":
            outcome.warnings.append(name)
    return outcome
