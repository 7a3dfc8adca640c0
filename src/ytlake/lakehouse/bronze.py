"""The Bronze contract: metadata columns, table names and the raw payload envelope.

Bronze is append-only raw JSON. One Bronze row is one API call: ``payload`` holds the
request (endpoint and parameters, never credentials), the HTTP status and the answer as
received (parsed JSON, or the raw text when it is not JSON). The table DDL itself lives in
``lakeflow/bootstrap_unity_catalog.sql``; a test checks this module against it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa

SCHEMA_VERSION = "1"

#: Metadata columns every ``*_raw`` table carries, in order, all NOT NULL.
CONTRACT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("snapshot_date", "DATE"),
    ("ingest_ts_utc", "TIMESTAMP"),
    ("source_system", "STRING"),
    ("request_id", "STRING"),
    ("schema_version", "STRING"),
    ("run_id", "STRING"),
    ("payload", "STRING"),
)

#: The raw tables, in the schema ``bronze``: the seed's eight, the Reporting API's files, the
#: audience retention curves, the token's granted scopes, the revenue reports, the per-day
#: demographics, then each video's content type.
RAW_TABLES: tuple[str, ...] = (
    "channels_raw",
    "playlist_items_raw",
    "videos_raw",
    "analytics_channel_daily_raw",
    "analytics_video_daily_raw",
    "analytics_video_traffic_source_daily_raw",
    "analytics_video_country_daily_raw",
    "analytics_video_device_daily_raw",
    "analytics_bulk_reports_raw",
    "analytics_video_retention_raw",
    "oauth_grants_raw",
    "analytics_channel_revenue_daily_raw",
    "analytics_video_revenue_daily_raw",
    "analytics_channel_ad_type_daily_raw",
    "analytics_video_ad_type_daily_raw",
    "analytics_video_demographics_daily_raw",
    "analytics_video_content_type_raw",
)

#: Answers that are not what their endpoint returns: the contract's columns, then the table
#: the answer was meant for and why it was kept out of it.
QUARANTINE_TABLE = "bronze.quarantine"
QUARANTINE_COLUMNS: tuple[tuple[str, str], ...] = (("target_table", "STRING"), ("reason", "STRING"))

#: Operational tables beside the seed's nine (declared in the bootstrap SQL too).
OPERATIONAL_TABLES: tuple[str, ...] = (
    "lakeflow_event_log",
    "quarantine",
    "lakehouse_identity",
    "run_task_log",
)

#: Names that must never appear in a stored request (they carry credentials).
_SECRET_PARAMS = frozenset(
    {"access_token", "key", "client_secret", "refresh_token", "oauth_token", "authorization"}
)

ARROW_SCHEMA = pa.schema(
    [
        pa.field("snapshot_date", pa.date32(), nullable=False),
        pa.field("ingest_ts_utc", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("source_system", pa.string(), nullable=False),
        pa.field("request_id", pa.string(), nullable=False),
        pa.field("schema_version", pa.string(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("payload", pa.string(), nullable=False),
    ]
)
QUARANTINE_ARROW_SCHEMA = ARROW_SCHEMA.append(pa.field("target_table", pa.string(), nullable=False)).append(
    pa.field("reason", pa.string(), nullable=False)
)


def envelope(endpoint: str, params: Mapping[str, Any], status: int, body_text: str) -> str:
    """Build the payload envelope of one API call as a JSON string.

    ``body`` is the parsed JSON answer when it parses, else the raw text. Parameters that
    could carry credentials are refused: they must never reach Bronze.
    """
    leaked = sorted(k for k in params if k.lower() in _SECRET_PARAMS)
    if leaked:
        raise ValueError(f"refusing to store credential parameters in Bronze: {leaked}")
    try:
        body: Any = json.loads(body_text)
    except (ValueError, TypeError):
        body = body_text
    return json.dumps(
        {"request": {"endpoint": endpoint, "params": dict(params)}, "status": status, "body": body},
        separators=(",", ":"),
        ensure_ascii=False,
        sort_keys=False,
    )


def read_envelope(payload: str) -> dict[str, Any]:
    """Parse a payload envelope back into ``{"request", "status", "body"}``."""
    value = json.loads(payload)
    if not isinstance(value, dict) or not {"request", "status", "body"} <= value.keys():
        raise ValueError("not a Bronze payload envelope: needs request, status and body")
    return value


@dataclass
class BronzeBatch:
    """Rows for one Bronze table, collected during a task and appended at once."""

    table: str
    run_id: str
    snapshot_date: date
    source_system: str
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self,
        endpoint: str,
        params: Mapping[str, Any],
        status: int,
        body_text: str,
        request_id: str | None = None,
        ingest_ts_utc: datetime | None = None,
        **extra: str,
    ) -> None:
        """Add one API call's row (``extra``: the quarantine's ``target_table`` and ``reason``)."""
        ts = ingest_ts_utc or datetime.now(UTC)
        self.rows.append(
            {
                "snapshot_date": self.snapshot_date,
                "ingest_ts_utc": ts.astimezone(UTC),
                "source_system": self.source_system,
                "request_id": request_id or uuid.uuid4().hex,
                "schema_version": SCHEMA_VERSION,
                "run_id": self.run_id,
                "payload": envelope(endpoint, params, status, body_text),
                **extra,
            }
        )

    def to_arrow(self) -> pa.Table:
        """The collected rows as an Arrow table with the contract's schema."""
        schema = QUARANTINE_ARROW_SCHEMA if self.table == QUARANTINE_TABLE else ARROW_SCHEMA
        return pa.Table.from_pylist(self.rows, schema=schema)

    def __len__(self) -> int:
        return len(self.rows)


def missing_contract_columns(columns: Sequence[tuple[str, str]]) -> list[str]:
    """Names of contract columns missing from ``columns`` ((name, type) pairs)."""
    have = {name.lower() for name, _ in columns}
    return [name for name, _ in CONTRACT_COLUMNS if name not in have]
