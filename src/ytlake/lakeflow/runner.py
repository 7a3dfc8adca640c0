"""Run the pipeline's datasets on a local engine, in dependency order, with expectations.

Open-source Spark has no expectations, so the runner applies them on both engines:
``WARN`` keeps the rows and counts the violations, ``DROP ROW`` drops them, ``FAIL UPDATE``
stops the pipeline naming the expectation. A row violates an expectation when its
condition is not true (false or NULL). On DuckDB the whole refresh is one transaction.
"""

from __future__ import annotations

import contextlib
import glob
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


@dataclass
class DatasetResult:
    name: str
    rows: int
    seconds: float
    expectations: dict[str, dict[str, int | str]] = field(default_factory=dict)


@dataclass
class PipelineResult:
    datasets: list[DatasetResult] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            d.name: {"rows": d.rows, "seconds": round(d.seconds, 3), "expectations": d.expectations}
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
                    "message": f"{d.name} refreshed: {d.rows} rows",
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


def run_pipeline(engine: Engine, datasets: list[Dataset], schema: str = "silver") -> PipelineResult:
    """Refresh every dataset into ``schema`` on ``engine``."""
    validate_identifier(schema, "schema")
    names = {d.name for d in datasets}
    result = PipelineResult()
    ordered = order_datasets(datasets)
    txn = engine.transaction() if hasattr(engine, "transaction") else contextlib.nullcontext()
    try:
        with txn:
            _native(engine, f"CREATE SCHEMA IF NOT EXISTS {schema}")
            for ds in ordered:
                result.datasets.append(_refresh(engine, ds, names, schema))
    except ExpectationFailedError as err:
        err.result = result
        raise
    return result


def _refresh(engine: Engine, ds: Dataset, names: set[str], schema: str) -> DatasetResult:
    started = time.monotonic()
    for clause in ds.skipped_clauses:
        log.info("lakeflow: %s: %s ignored locally", ds.name, clause)
    if ds.properties:
        log.info("lakeflow: %s: TBLPROPERTIES %s ignored locally", ds.name, ds.properties)
    query = query_sql(ds, engine.name, names, schema)
    target = f"{schema}.{ds.name}"
    if engine.name == "duckdb":
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
    if engine.name == "duckdb":
        if dropping:
            _native(engine, f"DELETE FROM {target} WHERE NOT ({' AND '.join(keep)})")
        if ds.comment:
            _native(engine, f"COMMENT ON TABLE {target} IS {_sql_string(ds.comment)}")
    else:
        _native(engine, f"DROP TABLE IF EXISTS {target}")
        _native(engine, f"CREATE TABLE {target} USING parquet AS SELECT * FROM {stage}{where}")
        engine.spark.catalog.dropTempView(stage)  # type: ignore[attr-defined]
    rows = int(_scalar_row(engine, f"SELECT count(*) FROM {target}")[0] or 0)
    seconds = time.monotonic() - started
    log.info("lakeflow: %s refreshed: %d rows in %.2fs", ds.name, rows, seconds)
    return DatasetResult(ds.name, rows, seconds, counts)
