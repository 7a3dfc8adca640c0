"""Ingestion state, derived from Bronze.

What is covered (per report and scope, the days answers in Bronze hold) and which videos are
known (seen, and not confirmed gone) are not kept in tables of their own: they are read from
the answers already in Bronze. One source of truth — it cannot disagree with what landed, it
survives a task rerun that replaces its rows, and a run killed half way resumes from exactly
what committed. Coverage, not a high-water mark: a gap left behind an answer that landed
later (requests finish out of order) is found and asked again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ytlake.lakehouse.base import Engine
from ytlake.tasks.common import sql_string
from ytlake.youtube.planning import Coverage, VideoInfo
from ytlake.youtube.reports import ReportSpec

PACIFIC = ZoneInfo("America/Los_Angeles")
#: The parts of an Analytics answer's envelope the cursor reads, parsed in one go (an answer
#: holds a video's whole window: one parse, not one per field). The Silver facts read the same.
ANSWER_ENVELOPE = (
    "STRUCT<status: INT, request: STRUCT<params: STRUCT<ids: STRING, filters: STRING, startDate: STRING, "
    "endDate: STRING>>, body: STRUCT<columnHeaders: ARRAY<STRUCT<name: STRING>>, "
    "`rows`: ARRAY<ARRAY<STRING>>>>"
)


def request_key(params: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, str(v)) for k, v in params.items()))


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None  # not a day: Silver's business (the answer stays raw in Bronze)


#: A snapshot report (asked from the video's publish day) answered without rows while the
#: video was younger than this is asked again by the next run: a new upload gets its curve and
#: its format once it has views, not a week or a month later.
YOUNG_DAYS = 28


def coverage(engine: Engine, report: ReportSpec, run_id: str) -> dict[str, Coverage]:
    """What earlier runs' answers cover, per scope (the channel id or a video id).

    A ``single_day`` report's answer covers the day it asked (a ``snapshot`` report's, the
    range it asked: it has no ``day`` rows; but a snapshot answered without rows while the
    video was younger than :data:`YOUNG_DAYS`, no views yet, covers nothing, so the next run
    asks again rather than after ``refresh_days``; an older video without views, a private
    upload, waits its ``refresh_days``). A ``range`` report's answer
    ends "at the last day for which all metrics in the query are available", which can be
    before the ``endDate`` asked: it covers from its ``startDate`` to the last day that came
    back with data — the ``endDate`` asked, capped at the last day any answer of the same
    report in the same run reached (read by ``columnHeaders``). An answer that is not a 200
    (a refusal, a server error that outlasted the retries) covers nothing, but its
    ``startDate`` still marks where the scope's planned range begins.
    """
    scope_param, scope_prefix = ("filters", "video") if report.scope == "video" else ("ids", "channel")
    query = f"""
        WITH envelopes AS (
          SELECT run_id, from_json(payload, '{ANSWER_ENVELOPE}') AS answer
          FROM {engine.qualify(report.table)}
          WHERE run_id <> {sql_string(run_id)}
        ),
        answers AS (
          SELECT
            run_id,
            coalesce(answer.status = 200, false) AS ok,
            regexp_extract(answer.request.params.{scope_param}, '{scope_prefix}==(.*)', 1) AS scope,
            answer.request.params.startDate AS start_date,
            answer.request.params.endDate AS end_date,
            transform(answer.body.columnHeaders, h -> h.name) AS names,
            answer.body.`rows` AS answer_rows
          FROM envelopes
        ),
        reached AS (
          SELECT
            run_id,
            ok,
            scope,
            start_date,
            end_date,
            coalesce(size(answer_rows), 0) > 0 AS has_rows,
            CASE WHEN ok THEN array_max(
              transform(
                answer_rows, r -> try_element_at(r, CAST(nullif(array_position(names, 'day'), 0) AS INT))
              )
            ) END AS last_row_day
          FROM answers
        ),
        available AS (
          SELECT run_id, max(last_row_day) AS available_through
          FROM reached
          GROUP BY run_id
        )
        SELECT DISTINCT
          reached.scope,
          reached.start_date,
          CASE
            WHEN NOT reached.ok THEN NULL
            WHEN {"true" if report.grain in ("single_day", "snapshot") else "false"} THEN reached.end_date
            ELSE least(reached.end_date, available.available_through)
          END AS covered_end,
          reached.has_rows
        FROM reached
        INNER JOIN available ON reached.run_id = available.run_id
        """
    firsts: dict[str, date] = {}
    ranges: dict[str, list[tuple[date, date]]] = {}
    for r in engine.query(query).to_pylist():
        scope, first = r["scope"], _day(r["start_date"])
        if not scope or first is None:
            continue
        firsts[scope] = min(first, firsts.get(scope, first))
        last = _day(r["covered_end"])
        if report.grain == "snapshot" and not r["has_rows"] and last and (last - first).days < YOUNG_DAYS:
            last = None  # a young video's snapshot without rows (no views yet): asked again next run
        if last is not None:
            ranges.setdefault(scope, []).append((first, last))
    return {scope: Coverage.of(ranges.get(scope, ()), first) for scope, first in firsts.items()}


def covered_days(cov: Coverage | None) -> set[date]:
    """Every day a coverage holds (for single-day reports: the days answered)."""
    out: set[date] = set()
    for first, last in cov.ranges if cov else ():
        out.update(first + timedelta(days=i) for i in range((last - first).days + 1))
    return out


def days_with_views(engine: Engine, report: ReportSpec) -> dict[str, set[date]]:
    """Per video, every day some answer of the ``day`` report ``report`` (any run) gave views
    > 0 for (read by ``columnHeaders``; one query)."""
    query = f"""
        WITH envelopes AS (
          SELECT from_json(payload, '{ANSWER_ENVELOPE}') AS answer
          FROM {engine.qualify(report.table)}
        ),
        named AS (
          SELECT
            regexp_extract(answer.request.params.filters, 'video==(.*)', 1) AS video_id,
            transform(answer.body.columnHeaders, h -> h.name) AS names,
            answer.body.`rows` AS answer_rows
          FROM envelopes
          WHERE answer.status = 200
        ),
        answers AS (
          SELECT
            video_id,
            CAST(nullif(array_position(names, 'day'), 0) AS INT) AS i_day,
            CAST(nullif(array_position(names, 'views'), 0) AS INT) AS i_views,
            answer_rows
          FROM named
        ),
        answer_rows AS (
          SELECT video_id, i_day, i_views, explode(answer_rows) AS r
          FROM answers
          WHERE i_day IS NOT NULL AND i_views IS NOT NULL
        )
        SELECT DISTINCT video_id, try_element_at(r, i_day) AS day
        FROM answer_rows
        WHERE try_cast(try_element_at(r, i_views) AS DOUBLE) > 0
        """
    out: dict[str, set[date]] = {}
    for r in engine.query(query).to_pylist():
        day = _day(r["day"])
        if r["video_id"] and day is not None:
            out.setdefault(r["video_id"], set()).add(day)
    return out


def run_payloads(engine: Engine, table: str, run_id: str) -> list[dict[str, Any]]:
    """This run's envelopes in ``table`` (for resuming and for reading this run's answers)."""
    rows = (
        engine.query(f"SELECT payload FROM {engine.qualify(table)} WHERE run_id = {sql_string(run_id)}")
        .column("payload")
        .to_pylist()
    )
    return [json.loads(p) for p in rows]


GRANTS_TABLE = "bronze.oauth_grants_raw"


def granted_scopes(engine: Engine, channel_id: str | None = None) -> frozenset[str] | None:
    """The scopes the latest grant record (of ``channel_id``'s token, or any) says the refresh
    token holds (None: none landed)."""
    if not engine.table_exists(GRANTS_TABLE):
        return None
    where = (
        f"WHERE get_json_object(payload, '$.request.params.channel') = {sql_string(channel_id)}"
        if channel_id
        else ""
    )
    rows = engine.query(
        f"SELECT payload FROM {engine.qualify(GRANTS_TABLE)} {where} ORDER BY ingest_ts_utc DESC LIMIT 1"
    ).to_pylist()
    if not rows:
        return None
    body = json.loads(rows[0]["payload"]).get("body") or {}
    return frozenset(str(body.get("scope") or "").split())


#: 403 reasons that refuse for now (a spent quota, a rate limit), not for good.
_LATER_403_REASONS = ("quotaExceeded", "dailyLimitExceeded", "rateLimitExceeded", "userRateLimitExceeded")


def _ask_again(envelope: dict[str, Any]) -> bool:
    """An answer that refused for now: a spent quota (any of Google's shapes), a rate limit or
    a server error that outlasted the retries. The request is asked again by the next run."""
    status = envelope.get("status")
    if not isinstance(status, int):
        return False
    if status >= 500 or status == 429:
        return True
    body = envelope.get("body")
    if status != 403 or not isinstance(body, dict):
        return False
    errors = (body.get("error") or {}).get("errors") or [{}]
    return isinstance(errors[0], dict) and errors[0].get("reason") in _LATER_403_REASONS


def landed_keys(envelopes: Iterable[dict[str, Any]]) -> set[tuple[tuple[str, str], ...]]:
    """Requests answered (refusals for now aside: those are still to be asked)."""
    return {request_key(e["request"]["params"]) for e in envelopes if not _ask_again(e)}


def pacific_day(rfc3339: str) -> date:
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).astimezone(PACIFIC).date()


@dataclass(frozen=True)
class KnownVideos:
    """The videos as Bronze knows them (any run), each under its channel."""

    alive: list[VideoInfo]  # returned by videos.list and not confirmed gone since
    to_ask: list[str]  # ever seen (playlist or videos.list) and not confirmed gone
    channel_of: dict[str, str] = field(default_factory=dict)  # video id -> its channel

    def of(self, channel_id: str) -> KnownVideos:
        """One channel's videos: a video is asked with its own channel's token only."""
        mine = {v for v, c in self.channel_of.items() if c == channel_id}
        return KnownVideos(
            [v for v in self.alive if v.video_id in mine],
            [v for v in self.to_ask if v in mine],
            {v: channel_id for v in mine},
        )


#: A playlist item's parts the cursor reads: the video and whose upload it is.
LISTED_TYPE = (
    "ARRAY<STRUCT<contentDetails: STRUCT<videoId: STRING>, "
    "snippet: STRUCT<videoOwnerChannelId: STRING, channelId: STRING>>>"
)
VIDEOS_SQL = """
WITH answers AS (
  SELECT ingest_ts_utc, payload FROM {videos} WHERE get_json_object(payload, '$.status') = '200'
),
asked AS (
  SELECT explode(split(get_json_object(payload, '$.request.params.id'), ',')) AS video_id, ingest_ts_utc
  FROM answers
),
returned AS (
  SELECT
    explode(from_json(
      get_json_object(payload, '$.body.items'),
      'ARRAY<STRUCT<id: STRING, snippet: STRUCT<publishedAt: STRING, channelId: STRING>>>'
    )) AS item,
    ingest_ts_utc
  FROM answers
),
listed AS (
  SELECT
    explode(from_json(
      get_json_object(payload, '$.body.items'),
      '{listed_type}'
    )) AS item,
    ingest_ts_utc
  FROM {playlist_items}
  WHERE get_json_object(payload, '$.status') = '200'
),
last_returned AS (
  SELECT
    item.id AS video_id,
    max(ingest_ts_utc) AS returned_ts,
    max_by(item.snippet.publishedAt, ingest_ts_utc) AS published_at,
    max_by(item.snippet.channelId, ingest_ts_utc) AS channel_id
  FROM returned
  GROUP BY item.id
),
last_listed AS (
  -- the channel whose uploads list the video (the owner's, as the playlist item says)
  SELECT
    item.contentDetails.videoId AS video_id,
    max_by(coalesce(item.snippet.videoOwnerChannelId, item.snippet.channelId), ingest_ts_utc) AS channel_id
  FROM listed
  GROUP BY item.contentDetails.videoId
),
last_asked AS (
  SELECT video_id, max(ingest_ts_utc) AS asked_ts FROM asked GROUP BY video_id
),
seen AS (
  SELECT video_id FROM last_asked
  UNION
  SELECT video_id FROM last_returned
  UNION
  SELECT item.contentDetails.videoId AS video_id FROM listed
)
SELECT
  seen.video_id,
  last_returned.published_at,
  coalesce(last_returned.channel_id, last_listed.channel_id) AS channel_id,
  coalesce(last_asked.asked_ts > last_returned.returned_ts, last_asked.asked_ts IS NOT NULL) AS is_gone
FROM seen
LEFT JOIN last_asked ON seen.video_id = last_asked.video_id
LEFT JOIN last_returned ON seen.video_id = last_returned.video_id
LEFT JOIN last_listed ON seen.video_id = last_listed.video_id
WHERE seen.video_id IS NOT NULL
"""


def known_videos(engine: Engine) -> KnownVideos:
    """Videos ever seen and not confirmed gone (asked by a later videos.list that did not
    return them), from every run: a run cut short by a quota stop forgets none of them."""
    rows = engine.query(
        VIDEOS_SQL.format(
            videos=engine.qualify("bronze.videos_raw"),
            playlist_items=engine.qualify("bronze.playlist_items_raw"),
            listed_type=LISTED_TYPE,
        )
    ).to_pylist()
    alive, to_ask, channel_of = [], [], {}
    for r in sorted(rows, key=lambda r: r["video_id"]):
        if r["is_gone"]:
            continue
        to_ask.append(r["video_id"])
        if r["channel_id"]:
            channel_of[r["video_id"]] = r["channel_id"]
        try:
            alive.append(VideoInfo(r["video_id"], pacific_day(r["published_at"])))
        except (AttributeError, TypeError, ValueError):
            continue  # never returned yet, or no publish time: Silver's business
    return KnownVideos(alive, to_ask, channel_of)
