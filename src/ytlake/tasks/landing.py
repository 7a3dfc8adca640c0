"""Landing answers in Bronze: each batch once or not at all, malformed answers quarantined.

- A batch is taken out of the pending rows *before* it is written, and written in one
  transaction (DuckDB) with SIGINT/SIGTERM held back meanwhile: an interrupt, an error or a
  second flush can never append it twice. A batch that did not commit is simply not in
  Bronze: its requests have no answer there, so the next run asks for them (coverage).
- An answer that is not what its endpoint returns (``ytlake.youtube.shapes``) lands in
  ``bronze.quarantine`` with the table it was meant for and the reason, never in the table
  Silver and the ingestion state read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ytlake.interrupts import shielded
from ytlake.lakehouse.base import Engine
from ytlake.lakehouse.bronze import QUARANTINE_TABLE, BronzeBatch
from ytlake.tasks.common import log, sql_string
from ytlake.tasks.run_state import RunInfo
from ytlake.youtube import shapes


class Landing:
    """Collects one task's answers per Bronze table and appends them in batches."""

    def __init__(self, engine: Engine | None, run: RunInfo, flush_every: int | None = None) -> None:
        self.engine, self.run, self.flush_every = engine, run, flush_every
        self.pending: dict[str, BronzeBatch] = {}
        self.size = 0
        self.written: dict[str, int] = {}
        self.quarantined: dict[str, int] = {}

    def _batch(self, table: str) -> BronzeBatch:
        batch = self.pending.get(table)
        if batch is None:
            batch = self.pending[table] = BronzeBatch(
                table, self.run.run_id, self.run.snapshot_date, self.run.source_system
            )
        return batch

    def add(self, table: str, endpoint: str, params: Mapping[str, Any], status: int, text: str) -> bool:
        """Keep one answer for ``table``; False when it went to the quarantine instead."""
        reason = shapes.problem(endpoint, status, text)
        if reason is None:
            self._batch(table).add(endpoint, params, status, text)
        else:
            self._batch(QUARANTINE_TABLE).add(
                endpoint, params, status, text, target_table=table, reason=reason
            )
            self.quarantined[table] = self.quarantined.get(table, 0) + 1
            log.warning(
                "quarantined an answer meant for %s: %s (%s %s)", table, reason, endpoint, dict(params)
            )
        self.size += 1
        if self.flush_every and self.size >= self.flush_every:
            self.flush()
        return reason is None

    def flush(self, replace_run_rows_of: Iterable[str] = (), engine: Engine | None = None) -> dict[str, int]:
        """Append the pending batches in one transaction; ``replace_run_rows_of``: tables whose
        rows of this run are deleted first, in the same transaction (a task rerun replaces).
        ``engine``: where to write, when the writer was made without one."""
        self.engine = engine or self.engine
        assert self.engine is not None, "Landing.flush needs an engine"
        batches, self.pending, self.size = self.pending, {}, 0  # taken out first: never twice
        replace = list(replace_run_rows_of)
        if not batches and not replace:
            return {}
        written: dict[str, int] = {}
        with shielded(), self.engine.atomic():
            this_run = f"run_id = {sql_string(self.run.run_id)}"
            for table in replace:
                self.engine.delete(table, this_run)
            if replace and self.engine.table_exists(QUARANTINE_TABLE):
                meant_for = ", ".join(sql_string(t) for t in replace)
                self.engine.delete(QUARANTINE_TABLE, f"{this_run} AND target_table IN ({meant_for})")
            for table, batch in batches.items():
                written[table] = self.engine.append(table, batch.to_arrow())
        for table, n in written.items():
            if table != QUARANTINE_TABLE:
                self.written[table] = self.written.get(table, 0) + n
        return written
