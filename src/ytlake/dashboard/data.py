"""Where the dashboard reads Gold from, chosen by settings.

- ``duckdb`` (local): the lakehouse file opened read-only for each query and closed right
  after, so a ``ytlake run`` can write while the dashboard is up (a run waits for a query to
  finish; a query waits ``YTLAKE_DASHBOARD_LOCK_WAIT_S`` seconds, default 5, for a run's task
  to let go, then the page says the lakehouse is busy).
- ``databricks``: a SQL warehouse through databricks-sql-connector (a Databricks App gets
  ``DATABRICKS_HOST`` and its credentials from the platform; ``DATABRICKS_WAREHOUSE_ID``
  names the warehouse, ``YTLAKE_CATALOG`` the catalog holding ``gold``: the bundle's App
  resource sets both for the target it deploys to).

The queries below are written once, in DuckDB SQL with ``?`` positional markers. The
Databricks reader translates each with SQLGlot into Databricks SQL whose markers are named
(``:p1``, ``:p2``, ... in the order the ``?`` appear) and binds the values by name: the SQL
connector's native (server-side) parameters, which it documents in PEP 249 ``named`` style.
Named markers work on every backend of databricks-sql-connector 4.x (Thrift, and the SQL
Statement Execution API behind ``use_sea=True``, which does not take ``?``); the old
``%s`` markers are the connector's inline style and reach the server as a syntax error.

When the data cannot be shown, the reader raises :class:`Unavailable`, whose message is the one
sentence the page shows instead (busy, no lakehouse, no Gold, an unreadable file).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Sequence
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
    "audience": "gold_video_audience_daily",
    "subscribed": "gold_video_subscribed_status_daily",
    "playback": "gold_video_playback_location_daily",
    "sharing": "gold_video_sharing_service_daily",
    "retention": "gold_video_retention",
    "revenue": "gold_channel_revenue_daily",
    "video_revenue": "gold_video_revenue_daily",
    "ad_type": "gold_channel_ad_type_daily",
    "video_ad_type": "gold_video_ad_type_daily",
    "channels": "gold_channels",
    "videos": "gold_videos",
}
#: The one table read outside Gold, locally only: the run log, for the banner of a latest run
#: that did not succeed (on Databricks the job's failure e-mail says it, and the App is
#: granted Gold alone).
RUN_LOG = "bronze.run_context_log"

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


class QueryTranslationError(ValueError):
    """A dashboard query that cannot be sent to Databricks as written (a bug in the query)."""


@functools.lru_cache(maxsize=256)
def _databricks_sql(sql: str) -> tuple[str, int]:
    """DuckDB SQL with ``?`` markers -> (Databricks SQL with ``:p1``..``:pN``, N)."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.tokens import TokenType

    # Each `?` the tokenizer sees (never one inside a string, identifier or comment) becomes
    # DuckDB's own named marker $pN, numbered in the order of the text: the order in which
    # positional values bind.
    markers = [
        t
        for t in sqlglot.Dialect.get_or_raise("duckdb").tokenize(sql)
        if t.token_type == TokenType.PLACEHOLDER
    ]
    parts, last = [], 0
    for i, token in enumerate(markers, 1):
        if token.text != "?":
            raise QueryTranslationError(f"unexpected parameter marker {token.text!r} in: {sql}")
        parts += [sql[last : token.start], f"$p{i}"]
        last = token.end + 1
    parts.append(sql[last:])
    tree = sqlglot.parse_one("".join(parts), read="duckdb")
    names = sorted(str(p.name) for p in tree.find_all(exp.Placeholder))
    if names != sorted(f"p{i}" for i in range(1, len(markers) + 1)) or any(tree.find_all(exp.Parameter)):
        raise QueryTranslationError(f"parameter markers other than `?` in: {sql}")
    return tree.sql(dialect="databricks"), len(markers)


def to_databricks(sql: str, params: Sequence[Any] | None = None) -> tuple[str, dict[str, Any]]:
    """Translate one dashboard query (DuckDB SQL, ``?`` positional markers) and its values into
    Databricks SQL with named markers and the values by name, as the SQL connector's native
    parameters take them.

    >>> to_databricks("select x from t where d between ? and ?", ["a", "b"])
    ('SELECT x FROM t WHERE d BETWEEN :p1 AND :p2', {'p1': 'a', 'p2': 'b'})
    """
    text, count = _databricks_sql(sql)
    values = list(params or [])
    if len(values) != count:
        raise QueryTranslationError(f"{count} parameter markers but {len(values)} values for: {sql}")
    return text, {f"p{i}": v for i, v in enumerate(values, 1)}


@functools.cache
def _sdk_config() -> Any:
    """The workspace and credentials of the App's service principal (read once per process;
    the SDK refreshes the token itself)."""
    from databricks.sdk.core import Config

    return Config()


@dataclass
class DatabricksReader:
    catalog: str
    warehouse_id: str

    def table(self, mart: str) -> str:
        return f"{validate_identifier(self.catalog, 'catalog')}.gold.{MARTS[mart]}"

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        from databricks import sql as dbsql
        from databricks.sql.exc import DatabaseError

        operation, named = to_databricks(sql, params)
        cfg = _sdk_config()
        with (
            dbsql.connect(
                server_hostname=cfg.host.removeprefix("https://"),
                http_path=f"/sql/1.0/warehouses/{self.warehouse_id}",
                credentials_provider=lambda: cfg.authenticate,
            ) as con,
            con.cursor() as cur,
        ):
            try:
                cur.execute(operation, named or None)
            except DatabaseError as err:
                sentence = _server_unavailable(str(err), self.catalog)
                if sentence is None:
                    raise
                raise sentence from None
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _server_unavailable(message: str, catalog: str) -> Unavailable | None:
    """The one sentence for a warehouse error the page can explain (else None: a bug, raised)."""
    if "TABLE_OR_VIEW_NOT_FOUND" in message:
        return GoldMissingError(
            f"The catalog {catalog} has no Gold yet: the bundle's job builds it, "
            "and this page shows it when that run finishes (reload)."
        )
    if "INSUFFICIENT_PERMISSIONS" in message or "PERMISSION_DENIED" in message:
        return Unavailable(
            f"This App may not read the Gold marts of {catalog}: run the job, whose dbt_test grants "
            "the App's service principal SELECT on what it publishes (the run summary names any "
            "USE CATALOG / USE SCHEMA grant an owner must give once)."
        )
    return None


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


_CHANNEL_ID = re.compile(r"^UC[A-Za-z0-9_-]{22}$")


@functools.cache
def traffic_source_ids() -> tuple[str, ...]:
    """Google's documented traffic source ids, in the reference list's order (the one source
    of dim_traffic_source): a source's place in it is its colour. Empty where the list is not
    shipped (the colours then come from the ids alone)."""
    from ytlake import paths
    from ytlake.lakeflow.reference import read_csv

    try:
        return tuple(
            r["source_id"] for r in read_csv(paths.lakeflow_dir() / "reference" / "traffic_sources.csv")
        )
    except (OSError, KeyError):
        return ()


@dataclass
class ChannelScoped:
    """A reader that sees one channel: every mart it names is that channel's rows (each
    mart carries channel_id), so every page and filter applies to the picked channel."""

    reader: Reader
    channel_id: str

    def __post_init__(self) -> None:
        if not _CHANNEL_ID.match(self.channel_id):  # it is written into SQL: a channel id only
            raise ValueError(f"not a channel id: {self.channel_id!r}")

    def table(self, mart: str) -> str:
        return f"(select * from {self.reader.table(mart)} where channel_id = '{self.channel_id}')"

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        return self.reader.rows(sql, params)


# -- the queries (one place, used by every page) -------------------------------------
def channels(r: Reader) -> dict[str, str]:
    """Channel id -> its name, for every channel with Gold (its id when the name is unknown)."""
    ids = [
        row["channel_id"]
        for row in r.rows(f"select distinct channel_id from {r.table('channel')} order by 1")
    ]
    try:
        names = {
            row["channel_id"]: row["channel_title"]
            for row in r.rows(f"select channel_id, channel_title from {r.table('channels')}")
        }
    except GoldMissingError:  # a lakehouse built before gold_channels
        names = {}
    return {cid: names.get(cid) or cid for cid in ids}


def channels_overview(r: Reader, first: date, last: date) -> list[dict[str, Any]]:
    """Every channel's views, watch time and net subscribers in the span (all channels)."""
    return r.rows(
        f"select channel_id, sum(views) as views, sum(estimated_minutes_watched) as minutes, "
        f"sum(net_subscribers) as net_subscribers from {r.table('channel')} "
        f"where date between ? and ? group by channel_id order by views desc, channel_id",
        [first, last],
    )


def date_bounds(r: Reader) -> tuple[date | None, date | None]:
    row = r.rows(f"select min(date) as first, max(date) as last from {r.table('channel')}")[0]
    return row["first"], row["last"]


def channel_daily(r: Reader, first: date, last: date) -> list[dict[str, Any]]:
    return r.rows(
        f"select date, views, estimated_minutes_watched, net_subscribers, likes, comments "
        f"from {r.table('channel')} where date between ? and ? order by date, channel_id",
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


def content(r: Reader, first: date, last: date) -> list[dict[str, Any]]:
    """Every video with views in the span, its content type (and how it was decided) and
    duration, most viewed first (type unknown on a lakehouse built before gold_videos)."""
    try:
        return _content(r, first, last)
    except GoldMissingError:
        return [
            {**v, "content_type": None, "content_type_basis": None, "duration_seconds": None}
            for v in r.rows(
                f"select video_id, max(video_title) as video_title, max(published_date) as published_date, "
                f"sum(views) as views, sum(estimated_minutes_watched) as minutes, sum(likes) as likes, "
                f"sum(subscribers_gained) - sum(subscribers_lost) as net_subscribers "
                f"from {r.table('video')} where date between ? and ? group by video_id "
                f"order by views desc, video_id",
                [first, last],
            )
        ]


def _content(r: Reader, first: date, last: date) -> list[dict[str, Any]]:
    return r.rows(
        f"select d.video_id, max(d.video_title) as video_title, max(d.published_date) as published_date, "
        f"max(v.content_type) as content_type, max(v.content_type_basis) as content_type_basis, "
        f"max(v.duration_seconds) as duration_seconds, sum(d.views) as views, "
        f"sum(d.estimated_minutes_watched) as minutes, sum(d.likes) as likes, "
        f"sum(d.subscribers_gained) - sum(d.subscribers_lost) as net_subscribers "
        f"from {r.table('video')} d left join {r.table('videos')} v on v.video_id = d.video_id "
        f"where d.date between ? and ? group by d.video_id order by views desc, d.video_id",
        [first, last],
    )


def video_daily(r: Reader, video_id: str, first: date, last: date) -> list[dict[str, Any]]:
    return r.rows(
        f"select date, views, estimated_minutes_watched from {r.table('video')} "
        f"where video_id = ? and date between ? and ? order by date",
        [video_id, first, last],
    )


def totals(r: Reader, first: date, last: date, video_id: str | None = None) -> dict[str, Any]:
    """Views, watch minutes and net subscribers in the span: the channel's, or one video's."""
    if video_id:
        where, params = _span(first, last, video_id)
        sql = (
            f"select sum(views) as views, sum(estimated_minutes_watched) as minutes, "
            f"sum(subscribers_gained) - sum(subscribers_lost) as net_subscribers, count(*) as days "
            f"from {r.table('video')} where {where}"
        )
    else:
        params = [first, last]
        sql = (
            f"select sum(views) as views, sum(estimated_minutes_watched) as minutes, "
            f"sum(net_subscribers) as net_subscribers, count(distinct date) as days "
            f"from {r.table('channel')} where date between ? and ?"
        )
    return r.rows(sql, params)[0]


def daily(r: Reader, first: date, last: date, video_id: str | None = None) -> list[dict[str, Any]]:
    """Per day: views, watch minutes and net subscribers, the channel's or one video's."""
    if video_id:
        return r.rows(
            f"select date, views, estimated_minutes_watched, "
            f"subscribers_gained - subscribers_lost as net_subscribers from {r.table('video')} "
            f"where video_id = ? and date between ? and ? order by date",
            [video_id, first, last],
        )
    return channel_daily(r, first, last)


def channel_card(r: Reader) -> dict[str, Any]:
    """The channel's (or the channels') name, subscriber total and public videos, as YouTube
    last counted them."""
    try:
        rows = r.rows(
            f"select channel_title, subscriber_count, video_count from {r.table('channels')} "
            "order by channel_id"
        )
    except GoldMissingError:  # a lakehouse built before gold_channels: the next run adds it
        rows = []
    return {
        "title": " · ".join(str(x["channel_title"]) for x in rows if x["channel_title"]),
        "subscribers": sum(int(x["subscriber_count"] or 0) for x in rows),
        "videos": sum(int(x["video_count"] or 0) for x in rows),
    }


def first_days(r: Reader, days: int) -> list[dict[str, Any]]:
    """Each video's views on each of its first ``days`` days since publishing (age 0 is the
    day it was published), for comparing the latest upload with the channel's typical start."""
    return r.rows(
        f"select video_id, max(video_title) over (partition by video_id) as video_title, "
        f"published_date, datediff('day', published_date, date) as age, views "
        f"from {r.table('video')} where date >= published_date "
        f"and datediff('day', published_date, date) < {int(days)} order by video_id, age"
    )


def last_run(r: Reader) -> dict[str, Any] | None:
    """The latest run in the local lakehouse's run log (None: none, not local, or unreadable)."""
    base = r.reader if isinstance(r, ChannelScoped) else r
    if not isinstance(base, DuckDBReader):
        return None
    try:
        rows = base.rows(
            f"select run_id, run_status, started_ts_utc, finished_ts_utc, summary from {RUN_LOG} "
            "order by started_ts_utc desc limit 1"
        )
    except Unavailable:
        return None
    return rows[0] if rows else None


def breakdown(
    r: Reader, kind: str, first: date, last: date, video_id: str | None = None, by_day: bool = False
) -> list[dict[str, Any]]:
    label = {"traffic": "source_name", "country": "country_name", "device": "device_name"}[kind]
    key = {"traffic": "source_id", "country": "country_code", "device": "device_type"}[kind]
    where, params = _span(first, last, video_id)
    day = "date, " if by_day else ""
    return r.rows(
        f"select {day}{key} as id, max({label}) as name, sum(views) as views, "
        f"sum(estimated_minutes_watched) as minutes from {r.table(kind)} where {where} "
        f"group by {day}{key} order by {'date, ' if by_day else ''}views desc, {key}",
        params,
    )


def audience(r: Reader, first: date, last: date, video_id: str | None = None) -> list[dict[str, Any]]:
    """Estimated views per age group and gender (shares weighted by views, never summed)."""
    where, params = _span(first, last, video_id)
    return r.rows(
        f"select age_group, gender, sum(estimated_views) as views from {r.table('audience')} "
        f"where {where} group by age_group, gender order by age_group, gender",
        params,
    )


def subscribed(r: Reader, first: date, last: date, video_id: str | None = None) -> list[dict[str, Any]]:
    """Views and watch time by whether the viewer was subscribed."""
    where, params = _span(first, last, video_id)
    return r.rows(
        f"select subscribed_status, sum(views) as views, sum(watch_time_minutes) as minutes "
        f"from {r.table('subscribed')} where {where} group by subscribed_status order by subscribed_status",
        params,
    )


def playback_locations(
    r: Reader, first: date, last: date, video_id: str | None = None
) -> list[dict[str, Any]]:
    """Views and watch time per playback location (the embedding sites summed)."""
    where, params = _span(first, last, video_id)
    return r.rows(
        f"select playback_location_name as name, sum(views) as views, sum(watch_time_minutes) as minutes "
        f"from {r.table('playback')} where {where} group by playback_location_name "
        f"order by views desc, name",
        params,
    )


def sharing_services(r: Reader, first: date, last: date, video_id: str | None = None) -> list[dict[str, Any]]:
    """Shares per sharing service in the span (the daily files'), most first."""
    where, params = _span(first, last, video_id)
    return r.rows(
        f"select sharing_service_name as name, sum(shares) as shares from {r.table('sharing')} "
        f"where {where} group by sharing_service_name having sum(shares) > 0 order by shares desc, name",
        params,
    )


def engagement(r: Reader, first: date, last: date, video_id: str | None = None) -> list[dict[str, Any]]:
    """Per video: views and the engagement counts behind the rates (likes, comments, shares,
    playlist adds and removals, engaged views), summed over the span."""
    where, params = _span(first, last, video_id)
    return r.rows(
        f"select video_id, max(video_title) as video_title, sum(views) as views, sum(likes) as likes, "
        f"sum(comments) as comments, sum(shares) as shares, sum(videos_added_to_playlists) as playlist_adds, "
        f"sum(videos_removed_from_playlists) as playlist_removals, sum(engaged_views) as engaged_views "
        f"from {r.table('video')} where {where} group by video_id order by views desc, video_id",
        params,
    )


def retention_curve(r: Reader, video_id: str) -> list[dict[str, Any]]:
    """The video's latest audience retention curve (100 points at most)."""
    return r.rows(
        f"select elapsed_video_time_ratio, audience_watch_ratio, relative_retention_performance, as_of_date "
        f"from {r.table('retention')} where video_id = ? order by elapsed_video_time_ratio",
        [video_id],
    )


def revenue_status(r: Reader, first: date, last: date) -> dict[str, int]:
    """Days per revenue status (reported, not authorised, refused, not asked, not reported)
    in the span."""
    rows = r.rows(
        f"select revenue_status, count(*) as days from {r.table('revenue')} "
        f"where date between ? and ? group by revenue_status",
        [first, last],
    )
    return {row["revenue_status"]: row["days"] for row in rows}


def revenue_daily(r: Reader, first: date, last: date, video_id: str | None = None) -> list[dict[str, Any]]:
    """Reported revenue per day: the channel's, or one video's."""
    where, params = _span(first, last, video_id)
    table, reported = (
        (r.table("video_revenue"), "")
        if video_id
        else (r.table("revenue"), " and revenue_status = 'reported'")
    )
    return r.rows(
        f"select date, estimated_revenue, gross_revenue, ad_impressions, views from {table} "
        f"where {where}{reported} order by date",
        params,
    )


def top_earning_videos(r: Reader, first: date, last: date, limit: int = 20) -> list[dict[str, Any]]:
    """Videos by estimated revenue in the span, with RPM (revenue per thousand views)."""
    return r.rows(
        f"select video_id, max(video_title) as video_title, sum(estimated_revenue) as revenue, "
        f"sum(views) as views, sum(gross_revenue) as gross, sum(ad_impressions) as impressions "
        f"from {r.table('video_revenue')} where date between ? and ? group by video_id "
        f"order by revenue desc, video_id limit {int(limit)}",
        [first, last],
    )


def ad_types(r: Reader, first: date, last: date, video_id: str | None = None) -> list[dict[str, Any]]:
    """Gross ad revenue and impressions per ad type in the span: the channel's, or one video's."""
    where, params = _span(first, last, video_id)
    return r.rows(
        f"select ad_type, sum(gross_revenue) as gross, sum(ad_impressions) as impressions "
        f"from {r.table('video_ad_type' if video_id else 'ad_type')} where {where} "
        "group by ad_type order by gross desc, ad_type",
        params,
    )


def _span(first: date, last: date, video_id: str | None) -> tuple[str, list[Any]]:
    where, params = "date between ? and ?", [first, last]
    if video_id:
        where += " and video_id = ?"
        params.append(video_id)
    return where, params


def human(n: float | int | None) -> str:
    """1234 -> 1.2K, 5600000 -> 5.6M."""
    if n is None:
        return "–"
    n = float(n)
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.1f}{unit}"
    return f"{n:,.0f}"
