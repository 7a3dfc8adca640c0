"""Ingestion state, derived from Bronze.

The cursor (the last day landed per report and scope) is not a separate table: it is read
from the request parameters of the answers already in Bronze. One source of truth — it
cannot disagree with what landed, it survives a task rerun that replaces its rows, and a
backfill killed half way resumes from exactly what committed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from ytlake.lakehouse.base import Engine
from ytlake.tasks.common import sql_string
from ytlake.youtube.planning import Request, VideoInfo
from ytlake.youtube.reports import ReportSpec

PACIFIC = ZoneInfo("America/Los_Angeles")
_OK = "get_json_object(payload, '$.status') = '200'"
#: The parts of an Analytics answer's envelope the cursor reads, parsed in one go (an answer
#: holds a video's whole window: one parse, not one per field). The Silver facts read the same.
ANSWER_ENVELOPE = (
    "STRUCT<status: INT, request: STRUCT<params: STRUCT<ids: STRING, filters: STRING, startDate: STRING, "
    "endDate: STRING>>, body: STRUCT<columnHeaders: ARRAY<STRUCT<name: STRING>>, "
    "`rows`: ARRAY<ARRAY<STRING>>>>"
)


def request_key(params: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, str(v)) for k, v in params.items()))


def cursors(engine: Engine, report: ReportSpec, run_id: str) -> dict[str, date]:
    """The last day landed by earlier runs, per scope (the channel id or a video id).

    A ``single_day`` report's question is its day: the cursor is the last day asked. A
    ``range`` report's answer ends "at the last day for which all metrics in the query are
    available", which can be before the ``endDate`` asked: its cursor is the last day that
    came back with data — the ``endDate`` asked, capped at the last day any answer of the same
    report in the same run reached (read by ``columnHeaders``). A run whose answers of the
    report reached no day moves no cursor.
    """
    scope_param, scope_prefix = ("filters", "video") if report.scope == "video" else ("ids", "channel")
    answers = f"""
        WITH envelopes AS (
          SELECT run_id, from_json(payload, '{ANSWER_ENVELOPE}') AS answer
          FROM {engine.qualify(report.table)}
          WHERE run_id <> {sql_string(run_id)}
        ),
        answers AS (
          SELECT
            run_id,
            regexp_extract(answer.request.params.{scope_param}, '{scope_prefix}==(.*)', 1) AS scope,
            answer.request.params.endDate AS end_date,
            transform(answer.body.columnHeaders, h -> h.name) AS names,
            answer.body.`rows` AS answer_rows
          FROM envelopes
          WHERE answer.status = 200
        )"""
    if report.grain == "single_day":
        query = f"{answers} SELECT scope, max(end_date) AS last_day FROM answers GROUP BY scope"
    else:
        query = f"""{answers},
        reached AS (
          SELECT
            run_id,
            scope,
            end_date,
            array_max(
              transform(
                answer_rows, r -> try_element_at(r, CAST(nullif(array_position(names, 'day'), 0) AS INT))
              )
            ) AS last_row_day
          FROM answers
        ),
        available AS (
          SELECT run_id, max(last_row_day) AS available_through
          FROM reached
          GROUP BY run_id
        )
        SELECT reached.scope, max(least(reached.end_date, available.available_through)) AS last_day
        FROM reached
        INNER JOIN available ON reached.run_id = available.run_id
        WHERE available.available_through IS NOT NULL
        GROUP BY reached.scope
        """
    out = {}
    for r in engine.query(query).to_pylist():
        if r["scope"] and r["last_day"]:
            try:
                out[r["scope"]] = date.fromisoformat(str(r["last_day"])[:10])
            except ValueError:
                continue  # not a day: Silver's business (the answer stays raw in Bronze)
    return out


def run_payloads(engine: Engine, table: str, run_id: str) -> list[dict[str, Any]]:
    """This run's envelopes in ``table`` (for resuming and for reading this run's answers)."""
    rows = (
        engine.query(f"SELECT payload FROM {engine.qualify(table)} WHERE run_id = {sql_string(run_id)}")
        .column("payload")
        .to_pylist()
    )
    return [json.loads(p) for p in rows]


def _video_filter(video_ids: Iterable[str]) -> str:
    values = ", ".join(sql_string(f"video=={v}") for v in video_ids)
    return f"get_json_object(payload, '$.request.params.filters') IN ({values})"


def video_payloads(engine: Engine, table: str, video_ids: list[str]) -> list[dict[str, Any]]:
    """Every run's successful answers for these videos in ``table``, oldest first (one query)."""
    if not video_ids:
        return []
    rows = (
        engine.query(
            f"SELECT payload FROM {engine.qualify(table)} WHERE {_OK} AND {_video_filter(video_ids)} "
            "ORDER BY ingest_ts_utc"
        )
        .column("payload")
        .to_pylist()
    )
    return [json.loads(p) for p in rows]


def landed_days(engine: Engine, table: str, video_ids: list[str]) -> dict[str, set[date]]:
    """Per video, the days a single-day report already answered (any run; one query)."""
    if not video_ids:
        return {}
    rows = engine.query(
        "SELECT DISTINCT get_json_object(payload, '$.request.params.filters') AS f, "
        "get_json_object(payload, '$.request.params.startDate') AS d "
        f"FROM {engine.qualify(table)} WHERE {_OK} AND {_video_filter(video_ids)}"
    ).to_pylist()
    out: dict[str, set[date]] = {}
    for r in rows:
        if r["f"] and r["d"]:
            out.setdefault(r["f"].removeprefix("video=="), set()).add(date.fromisoformat(r["d"]))
    return out


#: 403 reasons that refuse for now (a spent quota, a rate limit), not for good.
_LATER_403_REASONS = ("quotaExceeded", "dailyLimitExceeded", "rateLimitExceeded", "userRateLimitExceeded")
#: The same test as :func:`_ask_again`, on a Bronze row.
_ASK_AGAIN_SQL = (
    "(try_cast(get_json_object(payload, '$.status') AS INT) >= 500 "
    "OR get_json_object(payload, '$.status') = '429' "
    "OR (get_json_object(payload, '$.status') = '403' "
    "AND get_json_object(payload, '$.body.error.errors[0].reason') IN ("
    + ", ".join(f"'{r}'" for r in _LATER_403_REASONS)
    + ")))"
)


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


def refused_requests(engine: Engine, report: ReportSpec) -> list[Request]:
    """Requests refused for now (a quota stop, retries that ran out) that no run has
    answered since.

    Requests run concurrently, so when the quota runs out a later day of a scope can land
    while an earlier one is refused; the cursor (the last day landed) would then pass over
    the refused day. The refusal is in Bronze (every call is), so the next run asks again.
    """
    table = engine.qualify(report.table)
    params = "get_json_object(payload, '$.request.params')"
    refused = (
        engine.query(f"SELECT DISTINCT {params} AS p FROM {table} WHERE {_ASK_AGAIN_SQL}")
        .column("p")
        .to_pylist()
    )
    if not refused:
        return []
    listed = ", ".join(sql_string(p) for p in refused)
    answered = set(
        engine.query(f"SELECT DISTINCT {params} AS p FROM {table} WHERE {_OK} AND {params} IN ({listed})")
        .column("p")
        .to_pylist()
    )
    out = []
    for text in sorted(set(refused) - answered):
        p = json.loads(text)
        try:
            out.append(
                Request(
                    report,
                    str(p["ids"]).removeprefix("channel=="),
                    date.fromisoformat(p["startDate"]),
                    date.fromisoformat(p["endDate"]),
                    str(p["filters"]).removeprefix("video==") if "filters" in p else None,
                )
            )
        except (KeyError, TypeError, ValueError):
            continue  # not a request this pipeline makes
    return out


def _items(envelope: dict[str, Any]) -> list[dict[str, Any]]:
    body = envelope.get("body")
    if envelope.get("status") != 200 or not isinstance(body, dict):
        return []
    return [i for i in body.get("items") or [] if isinstance(i, dict)]


def pacific_day(rfc3339: str) -> date:
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).astimezone(PACIFIC).date()


def videos_returned(envelopes: Iterable[dict[str, Any]]) -> list[VideoInfo]:
    """Videos that videos.list returned (alive), with their Pacific publish day."""
    out: dict[str, VideoInfo] = {}
    for env in envelopes:
        for item in _items(env):
            try:
                out[item["id"]] = VideoInfo(item["id"], pacific_day(item["snippet"]["publishedAt"]))
            except (KeyError, TypeError, ValueError):
                continue  # malformed items are Silver's business; they are kept raw in Bronze
    return list(out.values())


def previously_returned_ids(engine: Engine, run_id: str) -> list[str]:
    """Video ids the latest earlier run's videos.list returned (asked again once, so a video
    that vanished is recorded as not returned)."""
    last = engine.query(
        f"SELECT run_id FROM {engine.qualify('bronze.videos_raw')} WHERE run_id <> {sql_string(run_id)} "
        f"AND {_OK} ORDER BY ingest_ts_utc DESC LIMIT 1"
    ).to_pylist()
    if not last:
        return []
    return [v.video_id for v in videos_returned(run_payloads(engine, "bronze.videos_raw", last[0]["run_id"]))]


def days_with_views(envelopes: Iterable[dict[str, Any]]) -> dict[str, set[date]]:
    """Per video, the days a ``day`` report answered with views > 0 (views is the first metric)."""
    out: dict[str, set[date]] = {}
    for env in envelopes:
        body = env.get("body")
        if env.get("status") != 200 or not isinstance(body, dict):
            continue
        video = str(env["request"]["params"].get("filters", "")).removeprefix("video==")
        names = [h.get("name") for h in body.get("columnHeaders") or []]
        if "day" not in names or "views" not in names:
            continue
        i_day, i_views = names.index("day"), names.index("views")
        days = out.setdefault(video, set())
        for row in body.get("rows") or []:
            try:
                if float(row[i_views]) > 0:
                    days.add(date.fromisoformat(row[i_day]))
            except (TypeError, ValueError, IndexError):
                continue
    return out
