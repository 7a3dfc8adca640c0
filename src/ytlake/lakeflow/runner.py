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
  same DuckDB transaction as the rows (on Spark, see ``_Progress``). The table is recomputed
  from the whole source when it is new, when ``full_refresh`` is asked, when an earlier
  update did not finish, or when its definition (query, expectations, columns) changed:
  Lakeflow would keep the old rows and need a full refresh asked for, so the runner warns;
- a temporary view is a view for the update's session, never materialized (Lakeflow's
  ``CREATE TEMPORARY VIEW``: private to the pipeline, not in the catalog).
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import logging
import time
import uuid
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
#: Source rows a streaming table reads per batch (Bronze file parts: a few MB each)
STREAM_BATCH_ROWS = 100


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
                    "output_records": d.added if d.added is not None else d.rows,
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
    # a table or view of the same name in the schema is an earlier version's dataset
    _drop(engine, f"{schema}.{ds.name}")
    temp = "TEMP" if engine.name == "duckdb" else "TEMPORARY"
    _native(engine, f"CREATE OR REPLACE {temp} VIEW {ds.name} AS {query}")
    seconds = time.monotonic() - started
    log.info("lakeflow: %s defined (temporary view)", ds.name)
    return DatasetResult(ds.name, None, seconds)


def _drop(engine: Engine, name: str) -> None:
    """Drop the table or view ``name`` (schema.name) if there is one."""
    schema, table = name.split(".")
    if engine.name == "duckdb":
        found = engine.query_native(  # type: ignore[attr-defined]
            "SELECT table_type FROM information_schema.tables "
            f"WHERE table_schema = {_sql_string(schema)} AND table_name = {_sql_string(table)}"
        ).to_pylist()
        kind = found[0]["table_type"] if found else None
    else:
        catalog = engine.spark.catalog  # type: ignore[attr-defined]
        kind = catalog.getTable(name).tableType if catalog.tableExists(name) else None
    if kind:
        _native(engine, f"DROP {'VIEW' if kind == 'VIEW' else 'TABLE'} {name}")


class _Progress:
    """The source rows a streaming table has read, by ``request_id``, per source and update.

    Rows ``(update_id, source, request_id, definition)``; an update that finished adds a row
    with ``source = ''`` and ``request_id`` = its update id. On DuckDB an update's rows here
    and in the table are one transaction. Spark has none: an update's source rows are
    recorded before its table rows and the update marked finished after, and an update not
    marked finished makes the next one read its sources whole, so a crash in between neither
    loses nor doubles a row.
    """

    def __init__(
        self, engine: Engine, ds: Dataset, schema: str, names: set[str], views: frozenset[str]
    ) -> None:
        self.engine, self.ds = engine, ds
        self.table = f"{PROGRESS_SCHEMA}.{schema}__{ds.name}"
        # the definition: the query, the expectations and the declared columns (a change in any
        # of them changes what the rows already read would have become)
        declared = [c for c in ds.skipped_clauses if c.startswith("column definition")]
        rules = [(e.name, e.condition, e.action) for e in ds.expectations]
        self.digest = hashlib.sha256(repr((ds.query, rules, declared)).encode()).hexdigest()[:16]
        self.update = ""
        # a source that is a dataset of this pipeline is read from its schema
        self.sources = {s: f"{schema}.{s}" if s in names - views else s for s in ds.streams()}
        if not self.sources:
            raise LakeflowParseError(f"{ds.name}: a STREAMING TABLE reads its source as STREAM(<table>)")
        self.staged: dict[str, str] = {}

    def resumable(self) -> str | None:
        """None when the recorded rows can be built on, else why not."""
        if not self.engine.table_exists(self.table):
            return "nothing read yet"
        definitions, definition = _scalar_row(
            self.engine, f"SELECT count(DISTINCT definition), max(definition) FROM {self.table}"
        )
        if definitions != 1 or definition != self.digest:
            return "its definition changed"
        unfinished = _scalar_row(
            self.engine,
            f"SELECT count(*) FROM (SELECT DISTINCT update_id FROM {self.table} WHERE source <> '') AS u "
            f"WHERE NOT EXISTS (SELECT 1 FROM {self.table} AS d "
            "WHERE d.source = '' AND d.request_id = u.update_id)",
        )[0]
        return "an earlier update did not finish" if unfinished else None

    def stage(self, incremental: bool, limit: int) -> int:
        """Stage what each ``STREAM(source)`` reads: up to ``limit`` of its unread rows
        (incremental), or of all its rows, first by ``request_id``; how many were staged
        (at most, over the sources). On DuckDB a view (the transaction reads one snapshot);
        on Spark a checkpointed copy."""
        self.update = uuid.uuid4().hex
        most = 0
        for i, (source, read) in enumerate(self.sources.items()):
            stage = f"_ytlake_stream_{self.ds.name}_{i}"
            unread = (
                f"NOT EXISTS (SELECT 1 FROM {self.table} AS p "
                f"WHERE p.source = {_sql_string(source)} AND p.request_id = s.request_id)"
                if incremental
                else "TRUE"
            )
            rows = (
                f"SELECT s.* FROM {read} AS s WHERE {unread} AND s.request_id IN "
                f"(SELECT s.request_id FROM {read} AS s WHERE {unread} "
                f"ORDER BY s.request_id LIMIT {int(limit)})"
            )
            if self.engine.name == "duckdb":
                _native(self.engine, f"CREATE OR REPLACE TEMP VIEW {stage} AS {rows}")
            else:
                self.engine.spark.sql(rows).localCheckpoint().createOrReplaceTempView(stage)  # type: ignore[attr-defined]
            self.staged[source] = stage
            most = max(most, int(_scalar_row(self.engine, f"SELECT count(*) FROM {stage}")[0] or 0))
        return most

    def begin(self, incremental: bool) -> None:
        """Before the table's new rows (Spark): record what this update read."""
        if self.engine.name != "duckdb":
            self._record(incremental)

    def finish(self, incremental: bool) -> None:
        """After the table's new rows: record what this update read (DuckDB: in the same
        transaction), mark the update finished, drop the staged reads."""
        if self.engine.name == "duckdb":
            self._record(incremental)
        _native(
            self.engine,
            f"INSERT INTO {self.table} VALUES ({_sql_string(self.update)}, '', "
            f"{_sql_string(self.update)}, {_sql_string(self.digest)})",
        )
        for stage in self.staged.values():
            if self.engine.name == "duckdb":
                _native(self.engine, f"DROP VIEW {stage}")
            else:
                self.engine.spark.catalog.dropTempView(stage)  # type: ignore[attr-defined]

    def _record(self, incremental: bool) -> None:
        read = " UNION ALL ".join(
            f"SELECT {_sql_string(self.update)} AS update_id, {_sql_string(source)} AS source, "
            f"request_id, {_sql_string(self.digest)} AS definition FROM {stage}"
            for source, stage in self.staged.items()
        )
        _native(self.engine, f"CREATE SCHEMA IF NOT EXISTS {PROGRESS_SCHEMA}")
        if incremental:
            _native(self.engine, f"INSERT INTO {self.table} {read}")
        else:
            _native(self.engine, f"DROP TABLE IF EXISTS {self.table}")
            using = "" if self.engine.name == "duckdb" else " USING parquet"
            _native(self.engine, f"CREATE TABLE {self.table}{using} AS {read}")


def _columns(engine: Engine, relation: str) -> list[str]:
    if engine.name == "duckdb":
        return list(engine.query_native(f"SELECT * FROM {relation} LIMIT 0").column_names)  # type: ignore[attr-defined]
    return list(engine.spark.table(relation).columns)  # type: ignore[attr-defined]


def _write(
    engine: Engine,
    ds: Dataset,
    names: set[str],
    views: frozenset[str],
    schema: str,
    target: str,
    progress: _Progress | None,
    incremental: bool,
) -> dict[str, dict[str, int | str]]:
    """Compute the dataset (a streaming table: over the staged source rows), apply the
    expectations, and replace the table or append to it; the expectations' counts."""
    reads = progress.staged if progress else {}
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
    # the rows and each expectation's violations in one scan (on Spark, one job)
    exprs = [condition_sql(e.condition, engine.name) for e in ds.expectations]
    violating = "".join(f", sum(CASE WHEN ({c}) IS NOT TRUE THEN 1 ELSE 0 END)" for c in exprs)
    rows, *failing = _scalar_row(engine, f"SELECT count(*){violating} FROM {stage}")
    total = int(rows or 0)
    if ds.expectations:
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
    if progress:
        progress.begin(incremental)
    if incremental:
        # by name: the table's columns in the order the query makes them
        columns = ", ".join(_columns(engine, stage))
        _native(engine, f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {stage}{where}")
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
        progress.finish(incremental)
    return counts


def _refresh(
    engine: Engine, ds: Dataset, names: set[str], views: frozenset[str], schema: str, full_refresh: bool
) -> DatasetResult:
    started = time.monotonic()
    for clause in ds.skipped_clauses:
        log.info("lakeflow: %s: %s ignored locally", ds.name, clause)
    if ds.properties:
        log.info("lakeflow: %s: TBLPROPERTIES %s ignored locally", ds.name, ds.properties)
    target = f"{schema}.{ds.name}"
    progress = _Progress(engine, ds, schema, names, views) if ds.kind == "STREAMING TABLE" else None
    incremental = False
    if progress and not full_refresh and engine.table_exists(target):
        why = progress.resumable()
        incremental = why is None
        if why:
            log.warning(
                "lakeflow: %s: %s: its sources are read whole (on Databricks, a changed streaming "
                "table needs a full refresh asked for: it keeps the rows it has)",
                ds.name,
                why,
            )
    before = int(_scalar_row(engine, f"SELECT count(*) FROM {target}")[0] or 0) if incremental else 0
    if progress is None:
        counts = _write(engine, ds, names, views, schema, target, None, False)
    else:
        # the unread source rows in batches (by request_id): memory does not grow with a
        # backlog, a first read of a year of files included
        counts = {}
        while True:
            read = progress.stage(incremental, STREAM_BATCH_ROWS)
            for name, c in _write(engine, ds, names, views, schema, target, progress, incremental).items():
                was = counts.get(name, {"action": c["action"], "passed": 0, "failed": 0})
                counts[name] = {
                    **was,
                    "passed": was["passed"] + c["passed"],
                    "failed": was["failed"] + c["failed"],
                }
            incremental = True  # the next batches append
            if read < STREAM_BATCH_ROWS:
                break
    rows = int(_scalar_row(engine, f"SELECT count(*) FROM {target}")[0] or 0)
    result = DatasetResult(
        ds.name, rows, time.monotonic() - started, counts, rows - before if progress else None
    )
    log.info("lakeflow: %s in %.2fs", result.message, result.seconds)
    return result
