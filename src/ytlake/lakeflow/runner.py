"""Run the pipeline's datasets on a local engine, in dependency order, with expectations.

Open-source Spark has no expectations, so the runner applies them on both engines:
``WARN`` keeps the rows and counts the violations, ``DROP ROW`` drops them, ``FAIL UPDATE``
stops the pipeline naming the expectation. A row violates an expectation when its
condition is not true (false or NULL). On DuckDB the whole refresh is one transaction.

The three kinds of dataset:

- a materialized view is recomputed whole on every update;
- a streaming table reads each row of its ``STREAM(source)`` once: an update appends what
  the query makes of the source rows it has not read yet (expectations apply to those
  rows). Lakeflow keeps a checkpoint; here the source rows read are recorded by their
  ``request_id`` (every Bronze table has one) in ``_lakeflow.<schema>__<dataset>``, in the
  same DuckDB transaction as the rows. The table is recomputed from the whole source when it
  is new, when ``full_refresh`` is asked, or when its definition changed (Lakeflow would keep
  the old rows and need a full refresh asked for; locally the runner does it itself);
- a temporary view is a view for the update's session, never materialized (Lakeflow's
  ``CREATE TEMPORARY VIEW``: private to the pipeline, not in the catalog).
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ytlake.lakeflow.parse import Dataset, LakeflowParseError, parse_file
from ytlake.lakeflow.translate import condition_sql, query_sql
from ytlake.lakehouse.base import Engine
from ytlake.lakehouse.identifiers import validate_identifier

log = logging.getLogger(__name__)


class ExpectationFailedError(RuntimeError):
    """A ``FAIL UPDATE`` expectation saw violating rows."""

    def __init__(self, message: str, dataset: str, expectation: str, failed: int) -> None:
        super().__init__(message)
        self.dataset, self.expectation, self.failed = dataset, expectation, failed
        self.result: PipelineResult | None = None


PROGRESS_SCHEMA = "_lakeflow"


@dataclass
class DatasetResult:
    name: str
    rows: int | None  # None for a temporary view (not materialized)
    seconds: float
    expectations: dict[str, dict[str, int | str]] = field(default_factory=dict)
    added: int | None = None  # a streaming table's rows appended by this update

    @property
    def message(self) -> str:
        if self.rows is None:
            return f"{self.name} defined: a temporary view, not materialized"
        if self.added is not None:
            return f"{self.name} refreshed: {self.rows} rows, {self.added} appended"
        return f"{self.name} refreshed: {self.rows} rows"


@dataclass
class PipelineResult:
    datasets: list[DatasetResult] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            d.name: {
                "rows": d.rows,
                "seconds": round(d.seconds, 3),
                "expectations": d.expectations,
                **({"added": d.added} if d.added is not None else {}),
            }
            for d in self.datasets
        }

    def events(
        self, run_id: str, pipeline: str, failure: ExpectationFailedError | None = None
    ) -> list[dict[str, object]]:
        """Event-log rows: one flow_progress per dataset, one per expectation, the failure."""
        now = datetime.now(UTC)
        out: list[dict[str, object]] = []
        base = {"run_id": run_id, "pipeline": pipeline, "event_ts_utc": now}
        empty = {
            "expectation": None,
            "action": None,
            "passed_records": None,
            "failed_records": None,
            "output_records": None,
            "seconds": None,
        }
        for d in self.datasets:
            out.append(
                {
                    **base,
                    **empty,
                    "dataset": d.name,
                    "event_type": "flow_progress",
                    "output_records": d.rows,
                    "seconds": round(d.seconds, 3),
                    "message": d.message,
                }
            )
            for name, e in d.expectations.items():
                dropped = " and were dropped" if e["action"] == "DROP ROW" and e["failed"] else ""
                out.append(
                    {
                        **base,
                        **empty,
                        "dataset": d.name,
                        "event_type": "expectation",
                        "expectation": name,
                        "action": e["action"],
                        "passed_records": e["passed"],
                        "failed_records": e["failed"],
                        "message": f"{e['failed']} row(s) failed {name}{dropped}",
                    }
                )
        if failure is not None:
            out.append(
                {
                    **base,
                    **empty,
                    "dataset": failure.dataset,
                    "event_type": "failure",
                    "expectation": failure.expectation,
                    "action": "FAIL UPDATE",
                    "failed_records": failure.failed,
                    "message": str(failure),
                }
            )
        return out


def discover(include: str | list[str]) -> list[Dataset]:
    """Parse every ``.sql`` file the glob(s) match (one dataset per file, named as the file)."""
    patterns = [include] if isinstance(include, str) else include
    files: list[Path] = []
    for pattern in patterns:
        files.extend(Path(p) for p in sorted(glob.glob(pattern, recursive=True)) if p.endswith(".sql"))
    datasets = []
    for path in files:
        ds = parse_file(path)
        if ds.name != path.stem:
            raise LakeflowParseError(f"{path.name}: defines {ds.name!r}; name the file after its dataset")
        datasets.append(ds)
    return datasets


def order_datasets(datasets: list[Dataset]) -> list[Dataset]:
    """Datasets ordered so that each comes after the datasets it reads."""
    by_name = {d.name: d for d in datasets}
    deps = {d.name: {r for r in d.references() if r in by_name and r != d.name} for d in datasets}
    ordered: list[Dataset] = []
    done: set[str] = set()
    while len(ordered) < len(datasets):
        ready = sorted(n for n in by_name if n not in done and deps[n] <= done)
        if not ready:
            cycle = sorted(n for n in by_name if n not in done)
            raise LakeflowParseError(f"datasets read each other in a cycle: {', '.join(cycle)}")
        for name in ready:
            ordered.append(by_name[name])
            done.add(name)
    return ordered


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _native(engine: Engine, sql: str) -> None:
    if engine.name == "duckdb":
        engine.execute_native(sql)  # type: ignore[attr-defined]
    else:
        engine.spark.sql(sql).collect()  # type: ignore[attr-defined]


def _scalar_row(engine: Engine, sql: str) -> list[object]:
    if engine.name == "duckdb":
        table = engine.query_native(sql)  # type: ignore[attr-defined]
        return [table.column(i)[0].as_py() for i in range(table.num_columns)]
    return list(engine.spark.sql(sql).collect()[0])  # type: ignore[attr-defined]


def run_pipeline(
    engine: Engine, datasets: list[Dataset], schema: str = "silver", full_refresh: bool = False
) -> PipelineResult:
    """Refresh every dataset into ``schema`` on ``engine`` (``full_refresh``: streaming tables
    re-read their sources whole)."""
    validate_identifier(schema, "schema")
    names = {d.name for d in datasets}
    views = frozenset(d.name for d in datasets if d.kind == "TEMPORARY VIEW")
    result = PipelineResult()
    ordered = order_datasets(datasets)
    txn = engine.transaction() if hasattr(engine, "transaction") else contextlib.nullcontext()
    try:
        with txn:
            _native(engine, f"CREATE SCHEMA IF NOT EXISTS {schema}")
            for ds in ordered:
                if ds.kind == "TEMPORARY VIEW":
                    result.datasets.append(_define_view(engine, ds, names, views, schema))
                else:
                    result.datasets.append(_refresh(engine, ds, names, views, schema, full_refresh))
    except ExpectationFailedError as err:
        err.result = result
        raise
    return result


def _define_view(
    engine: Engine, ds: Dataset, names: set[str], views: frozenset[str], schema: str
) -> DatasetResult:
    started = time.monotonic()
    query = query_sql(ds, engine.name, names, schema, views)
    # a table of the same name in the schema is an earlier version's materialized dataset
    _native(engine, f"DROP TABLE IF EXISTS {schema}.{ds.name}")
    temp = "TEMP" if engine.name == "duckdb" else "TEMPORARY"
    _native(engine, f"CREATE OR REPLACE {temp} VIEW {ds.name} AS {query}")
    seconds = time.monotonic() - started
    log.info("lakeflow: %s defined (temporary view)", ds.name)
    return DatasetResult(ds.name, None, seconds)


class _Progress:
    """The source rows a streaming table has read, by ``request_id``, per source."""

    def __init__(self, engine: Engine, ds: Dataset, schema: str) -> None:
        self.engine, self.ds = engine, ds
        self.table = f"{PROGRESS_SCHEMA}.{schema}__{ds.name}"
        self.digest = hashlib.sha256(ds.query.encode()).hexdigest()[:16]
        self.staged: dict[str, str] = {}

    def definition(self) -> str | None:
        """The definition the recorded rows were read with (None: nothing recorded)."""
        if not self.engine.table_exists(self.table):
            return None
        return _scalar_row(self.engine, f"SELECT max(definition) FROM {self.table}")[0]  # type: ignore[return-value]

    def stage(self, incremental: bool) -> dict[str, str]:
        """What each ``STREAM(source)`` reads: its unread rows (incremental), or all of it."""
        for i, source in enumerate(self.ds.streams()):
            if not incremental:
                self.staged[source] = source
                continue
            stage = f"_ytlake_stream_{self.ds.name}_{i}"
            unread = (
                f"SELECT s.* FROM {source} AS s WHERE NOT EXISTS (SELECT 1 FROM {self.table} AS p "
                f"WHERE p.source = {_sql_string(source)} AND p.request_id = s.request_id)"
            )
            if self.engine.name == "duckdb":
                _native(self.engine, f"CREATE OR REPLACE TEMP TABLE {stage} AS {unread}")
            else:
                self.engine.spark.sql(unread).localCheckpoint().createOrReplaceTempView(stage)  # type: ignore[attr-defined]
            self.staged[source] = stage
        return self.staged

    def commit(self, incremental: bool) -> None:
        """Record the staged source rows as read."""
        read = " UNION ALL ".join(
            f"SELECT {_sql_string(source)} AS source, request_id, {_sql_string(self.digest)} AS definition "
            f"FROM {stage}"
            for source, stage in self.staged.items()
        )
        _native(self.engine, f"CREATE SCHEMA IF NOT EXISTS {PROGRESS_SCHEMA}")
        if incremental:
            _native(self.engine, f"INSERT INTO {self.table} {read}")
        else:
            _native(self.engine, f"DROP TABLE IF EXISTS {self.table}")
            using = "" if self.engine.name == "duckdb" else " USING parquet"
            _native(self.engine, f"CREATE TABLE {self.table}{using} AS {read}")
        for source, stage in self.staged.items():
            if stage == source:
                continue
            if self.engine.name == "duckdb":
                _native(self.engine, f"DROP TABLE {stage}")
            else:
                self.engine.spark.catalog.dropTempView(stage)  # type: ignore[attr-defined]


def _refresh(
    engine: Engine, ds: Dataset, names: set[str], views: frozenset[str], schema: str, full_refresh: bool
) -> DatasetResult:
    started = time.monotonic()
    for clause in ds.skipped_clauses:
        log.info("lakeflow: %s: %s ignored locally", ds.name, clause)
    if ds.properties:
        log.info("lakeflow: %s: TBLPROPERTIES %s ignored locally", ds.name, ds.properties)
    target = f"{schema}.{ds.name}"
    progress = _Progress(engine, ds, schema) if ds.kind == "STREAMING TABLE" else None
    incremental = bool(
        progress
        and not full_refresh
        and engine.table_exists(target)
        and progress.definition() == progress.digest
    )
    reads = progress.stage(incremental) if progress else {}
    before = int(_scalar_row(engine, f"SELECT count(*) FROM {target}")[0] or 0) if incremental else 0
    query = query_sql(ds, engine.name, names, schema, views, reads)
    if engine.name == "duckdb" and incremental:
        stage = f"_ytlake_stage_{ds.name}"
        _native(engine, f"CREATE OR REPLACE TEMP TABLE {stage} AS {query}")
    elif engine.name == "duckdb":
        # written once, straight into the table: the refresh is one transaction, so a failed
        # expectation rolls it back, and rows a DROP ROW expectation rejects are deleted below
        stage = target
        _native(engine, f"CREATE OR REPLACE TABLE {target} AS {query}")
    else:
        stage = f"_ytlake_stage_{ds.name}"
        engine.spark.sql(query).localCheckpoint().createOrReplaceTempView(stage)  # type: ignore[attr-defined]
    counts: dict[str, dict[str, int | str]] = {}
    keep = []
    total = int(_scalar_row(engine, f"SELECT count(*) FROM {stage}")[0] or 0)
    if ds.expectations:
        exprs = [condition_sql(e.condition, engine.name) for e in ds.expectations]
        select = ", ".join(f"sum(CASE WHEN ({c}) IS NOT TRUE THEN 1 ELSE 0 END)" for c in exprs)
        failing = _scalar_row(engine, f"SELECT {select} FROM {stage}")
        for e, c, n in zip(ds.expectations, exprs, failing, strict=True):
            violations = int(n or 0)
            counts[e.name] = {"action": e.action, "passed": total - violations, "failed": violations}
            if violations and e.action == "FAIL UPDATE":
                raise ExpectationFailedError(
                    f"expectation {e.name!r} on {ds.name} failed for {violations} row(s): {e.condition}",
                    ds.name,
                    e.name,
                    violations,
                )
            if e.action == "DROP ROW":
                keep.append(f"({c}) IS TRUE")
            if violations:
                log.warning(
                    "lakeflow: %s: expectation %s: %d row(s) %s",
                    ds.name,
                    e.name,
                    violations,
                    "dropped" if e.action == "DROP ROW" else "kept (warn)",
                )
    where = f" WHERE {' AND '.join(keep)}" if keep else ""
    dropping = any(c["action"] == "DROP ROW" and c["failed"] for c in counts.values())
    if incremental:
        _native(engine, f"INSERT INTO {target} SELECT * FROM {stage}{where}")
        if engine.name == "duckdb":
            _native(engine, f"DROP TABLE {stage}")
    elif engine.name == "duckdb":
        if dropping:
            _native(engine, f"DELETE FROM {target} WHERE NOT ({' AND '.join(keep)})")
        if ds.comment:
            _native(engine, f"COMMENT ON TABLE {target} IS {_sql_string(ds.comment)}")
    else:
        _native(engine, f"DROP TABLE IF EXISTS {target}")
        _native(engine, f"CREATE TABLE {target} USING parquet AS SELECT * FROM {stage}{where}")
    if engine.name != "duckdb":
        engine.spark.catalog.dropTempView(stage)  # type: ignore[attr-defined]
    if progress:
        # after the rows: on Spark (no transaction) a crash in between reads those rows again
        progress.commit(incremental)
    rows = int(_scalar_row(engine, f"SELECT count(*) FROM {target}")[0] or 0)
    result = DatasetResult(
        ds.name, rows, time.monotonic() - started, counts, rows - before if progress else None
    )
    log.info("lakeflow: %s in %.2fs", result.message, result.seconds)
    return result
