"""Where the dashboard reads Gold from, chosen by settings.

- ``duckdb`` (local): the lakehouse file opened read-only for each query and closed right
  after, so a ``ytlake run`` can write while the dashboard is up (a run waits for a query to
  finish; a query waits ``YTLAKE_DASHBOARD_LOCK_WAIT_S`` seconds, default 5, for a run's task
  to let go, then the page says the lakehouse is busy).
- ``databricks``: a SQL warehouse through databricks-sql-connector (a Databricks App gets
  ``DATABRICKS_HOST`` and its credentials from the platform; ``DATABRICKS_WAREHOUSE_ID``
  names the warehouse).

When the data cannot be shown, the reader raises :class:`Unavailable`, whose message is the one
sentence the page shows instead (busy, no lakehouse, no Gold, an unreadable file).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from ytlake.lakehouse.identifiers import validate_identifier

MARTS = {
    "channel": "gold_channel_daily_summary",
    "video": "gold_video_daily_summary",
    "traffic": "gold_video_traffic_source_daily_summary",
    "country": "gold_video_country_daily_summary",
    "device": "gold_video_device_daily_summary",
}

DEFAULT_LOCK_WAIT_S = 5.0
BUSY = "A `ytlake run` is writing to the lakehouse; this page will show the data when it finishes (reload)."


class Unavailable(RuntimeError):
    """The page cannot show data now; the message is the one sentence it shows instead."""


class LakehouseBusyError(Unavailable):
    """A ``ytlake run`` holds the DuckDB file for a moment longer than the reader waits."""

    def __init__(self, message: str = BUSY) -> None:
        super().__init__(message)


class LakehouseMissingError(Unavailable):
    """There is no lakehouse file at the path the dashboard reads."""


class GoldMissingError(Unavailable):
    """The lakehouse is there, but Gold (or one of its marts) is not built yet."""


class LakehouseUnreadableError(Unavailable):
    """The file is there but DuckDB cannot read it (not DuckDB, truncated, corrupt, ...)."""


class Reader(Protocol):
    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]: ...

    def table(self, mart: str) -> str: ...


@dataclass
class DuckDBReader:
    path: Path
    lock_wait_s: float = DEFAULT_LOCK_WAIT_S

    def table(self, mart: str) -> str:
        return f"gold.{MARTS[mart]}"

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        import duckdb

        from ytlake.lakehouse import DuckDBEngine
        from ytlake.lakehouse.files import (
            LakehouseError,
            LakehouseFileError,
            LakehouseInUseError,
            unreadable_error,
        )

        try:  # the engine waits a few seconds for a writer (a `ytlake run` task) to let go
            engine = DuckDBEngine(self.path, read_only=True, lock_wait_s=self.lock_wait_s)
        except LakehouseInUseError:
            raise LakehouseBusyError() from None
        except LakehouseFileError as err:
            if err.kind == "missing":
                raise LakehouseMissingError(
                    f"There is no lakehouse at {self.path} yet: `ytlake run` builds it "
                    "(or start the dashboard with --lakehouse pointing at yours)."
                ) from None
            raise LakehouseUnreadableError(_unreadable(err)) from None
        except LakehouseError as err:
            raise LakehouseUnreadableError(_unreadable(err)) from None
        with engine:
            try:
                cur = engine.con.execute(sql, params or [])
                names = [d[0] for d in cur.description]
                return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
            except duckdb.CatalogException:
                raise GoldMissingError(
                    f"The lakehouse at {self.path} has no Gold yet: a `ytlake run` builds it, "
                    "and this page shows it when that run finishes (reload)."
                ) from None
            except duckdb.Error as err:  # a block it needs is missing or damaged (else: a bug, raised)
                damage = unreadable_error(self.path, str(err))
                if damage.kind not in ("truncated", "corrupt"):
                    raise
                raise LakehouseUnreadableError(_unreadable(damage)) from None


def _unreadable(err: Exception) -> str:
    return f"The dashboard cannot read the lakehouse: {str(err).rstrip('.')}."


@dataclass
class DatabricksReader:
    catalog: str
    warehouse_id: str

    def table(self, mart: str) -> str:
        return f"{validate_identifier(self.catalog, 'catalog')}.gold.{MARTS[mart]}"

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        from databricks import sql as dbsql
        from databricks.sdk.core import Config

        cfg = Config()
        with (
            dbsql.connect(
                server_hostname=cfg.host.removeprefix("https://"),
                http_path=f"/sql/1.0/warehouses/{self.warehouse_id}",
                credentials_provider=lambda: cfg.authenticate,
            ) as con,
            con.cursor() as cur,
        ):
            cur.execute(sql.replace("?", "%s"), params or [])
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def reader_from_env() -> Reader:
    source = os.environ.get("YTLAKE_DASHBOARD_SOURCE", "duckdb")
    if source == "databricks":
        return DatabricksReader(
            os.environ.get("YTLAKE_CATALOG", "youtube_analytics"), os.environ["DATABRICKS_WAREHOUSE_ID"]
        )
    try:
        wait = float(os.environ.get("YTLAKE_DASHBOARD_LOCK_WAIT_S", DEFAULT_LOCK_WAIT_S))
    except ValueError:
        wait = DEFAULT_LOCK_WAIT_S
    return DuckDBReader(
        Path(os.environ.get("YTLAKE_LAKEHOUSE", ".lakehouse/youtube_analytics.duckdb")), max(wait, 0.0)
    )


# -- the queries (one place, used by every page) -------------------------------------
def date_bounds(r: Reader) -> tuple[date | None, date | None]:
    row = r.rows(f"select min(date) as first, max(date) as last from {r.table('channel')}")[0]
    return row["first"], row["last"]


def channel_daily(r: Reader, first: date, last: date) -> list[dict[str, Any]]:
    return r.rows(
        f"select date, views, estimated_minutes_watched, net_subscribers, likes, comments "
        f"from {r.table('channel')} where date between ? and ? order by date",
        [first, last],
    )


def top_videos(r: Reader, first: date, last: date, limit: int = 20) -> list[dict[str, Any]]:
    return r.rows(
        f"select video_id, max(video_title) as video_title, max(published_date) as published_date, "
        f"sum(views) as views, sum(estimated_minutes_watched) as minutes, sum(likes) as likes "
        f"from {r.table('video')} where date between ? and ? group by video_id "
        f"order by views desc, video_id limit {int(limit)}",
        [first, last],
    )


def video_daily(r: Reader, video_id: str, first: date, last: date) -> list[dict[str, Any]]:
    return r.rows(
        f"select date, views, estimated_minutes_watched from {r.table('video')} "
        f"where video_id = ? and date between ? and ? order by date",
        [video_id, first, last],
    )


def breakdown(
    r: Reader, kind: str, first: date, last: date, video_id: str | None = None, by_day: bool = False
) -> list[dict[str, Any]]:
    label = {"traffic": "source_name", "country": "country_name", "device": "device_name"}[kind]
    key = {"traffic": "source_id", "country": "country_code", "device": "device_type"}[kind]
    where, params = "date between ? and ?", [first, last]
    if video_id:
        where += " and video_id = ?"
        params.append(video_id)
    day = "date, " if by_day else ""
    return r.rows(
        f"select {day}{key} as id, max({label}) as name, sum(views) as views, "
        f"sum(estimated_minutes_watched) as minutes from {r.table(kind)} where {where} "
        f"group by {day}{key} order by {'date, ' if by_day else ''}views desc",
        params,
    )


def human(n: float | int | None) -> str:
    """1234 -> 1.2K, 5600000 -> 5.6M."""
    if n is None:
        return "–"
    n = float(n)
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.1f}{unit}"
    return f"{n:,.0f}"
