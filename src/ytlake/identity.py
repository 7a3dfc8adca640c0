"""One identity per lakehouse: its source (Google, or one demo world) and its channel(s).

The first run records them in ``bronze.lakehouse_identity``; a later run from another source
or demo world is refused before it writes anything (mixing them would make one Gold of two
worlds). Each channel is recorded at its first run; a single-channel token
(``YT_REFRESH_TOKEN``) of a channel not recorded here is refused, while a channel added
with ``ytlake channels add`` (or the demo world's) was asked for and joins.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from ytlake.lakehouse.base import Engine

IDENTITY_TABLE = "bronze.lakehouse_identity"
SCHEMA = pa.schema(
    [
        pa.field("kind", pa.string(), nullable=False),
        pa.field("value", pa.string(), nullable=False),
        pa.field("registered_ts_utc", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
    ]
)


class IdentityError(RuntimeError):
    """The run's source or channel is not this lakehouse's; the message says what to do."""


def source_of(source: str, api_root: str | None, demo_world: dict[str, Any]) -> str:
    """What a run pulls from: ``google``, ``emulator`` (any emulator at ``--api-root``) or the
    in-process demo world ``demo:seed=…,videos=…,history_days=…``."""
    if source == "demo" and not api_root:
        return "demo:" + ",".join(f"{k}={v}" for k, v in demo_world.items())
    return "emulator" if api_root and source == "demo" else "google"


def registered(engine: Engine, kind: str) -> list[str]:
    if not engine.table_exists(IDENTITY_TABLE):
        return []
    rows = engine.query(
        f"SELECT value FROM {engine.qualify(IDENTITY_TABLE)} WHERE kind = '{kind}' ORDER BY registered_ts_utc"
    )
    return [str(v) for v in rows.column("value").to_pylist()]


def _describe(source: str) -> str:
    if source.startswith("demo:"):
        return f"the demo world {source.removeprefix('demo:')}"
    return {"google": "Google (a real channel)", "emulator": "an emulator at --api-root"}.get(source, source)


def check_source(engine: Engine, source: str, where: str) -> None:
    """Refuse a run whose source is not the one this lakehouse recorded."""
    known = registered(engine, "source")
    if known and source not in known:
        raise IdentityError(
            f"{where} holds data from {_describe(known[0])}; this run is from {_describe(source)}: "
            "use another --lakehouse for it (one source per lakehouse, so Gold never mixes worlds)"
        )


def rows(kind: str, value: str, run_id: str) -> pa.Table:
    return pa.Table.from_pylist(
        [{"kind": kind, "value": value, "registered_ts_utc": datetime.now(UTC), "run_id": run_id}],
        schema=SCHEMA,
    )


def register(engine: Engine, kind: str, value: str, run_id: str) -> None:
    """Record one more ``value`` of ``kind`` (a channel added to the lakehouse)."""
    if value not in registered(engine, kind):
        engine.append(IDENTITY_TABLE, rows(kind, value, run_id))


def register_if_new(engine: Engine, kind: str, value: str, run_id: str) -> bool:
    """Record ``value`` when nothing of ``kind`` is recorded yet (the first run)."""
    if registered(engine, kind):
        return False
    engine.append(IDENTITY_TABLE, rows(kind, value, run_id))
    return True
