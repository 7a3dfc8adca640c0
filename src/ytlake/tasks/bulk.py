"""Bulk mode: the Reporting API's daily files, landed in Bronze as received.

``--analytics-mode bulk|hybrid`` makes the Analytics task, before any v2 request:

1. find the Reporting jobs of ``BULK_REPORT_TYPES`` and create the missing ones (idempotent:
   a job found is reused; Google's first files for a new job come ~48 hours later);
2. list each job's reports and download every one whose file has not landed yet;
3. land each file in ``bronze.analytics_bulk_reports_raw`` as received, in parts of at most
   ``LINES_PER_PART`` lines (each part repeats the header row), so memory does not grow
   with the file. A part's request names the channel (``channelId``), the report
   (``reportTypeId``, ``jobId``, ``reportId``, ``startTime``, ``endTime``, ``createTime``), the
   download ``attempt``, the ``part`` number and, on the last part, ``final: true``.
   Parts are appended together (``Parts``): one append (a Delta commit on Databricks) per
   ``PARTS_PER_APPEND`` parts or ``LINES_PER_PART`` lines, whichever comes first, and at the
   end: a small channel's hundreds of one-part files are a few appends, not hundreds.

The cursor is derived from what landed, as for v2: a file counts as landed when every part
of one download attempt did, the final one included (the rule Silver reads files by), so a
run killed mid-file downloads that file again (its parts already appended stay, under
another attempt, without a final part: readers take complete attempts only), and a file landed is
never downloaded again. A restated day comes as a new report (new id, later ``createTime``)
and lands beside the first; readers take the latest ``createTime`` per channel, type and
day. Days the jobs should have covered but whose files expired before any run landed
them are named in a warning.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx

from ytlake.lakehouse.base import Engine
from ytlake.tasks.common import log
from ytlake.tasks.ingest_state import coverage, pacific_day
from ytlake.tasks.landing import Landing
from ytlake.youtube import reporting_api
from ytlake.youtube.http import GoogleApiError, QuotaExceededError, RetryableError
from ytlake.youtube.planning import Coverage, Window, bulk_skip, with_bulk
from ytlake.youtube.reporting_api import BULK_REPORT_TYPES, ReportingApi
from ytlake.youtube.reports import ReportSpec

TABLE = "bronze.analytics_bulk_reports_raw"
ENDPOINT = "v1/media"
#: Google keeps historical files 30 days and daily ones 60: what a job can still list.
HISTORY_DAYS = 30
LISTED_DAYS = 60
#: Attempts at one file within a run before it is left for the next run.
ATTEMPTS = 3
#: Files in a row not landed before bulk stops for this run (Google is down).
GIVE_UP_AFTER = 5
#: Parts held before they are appended together (fewer while they hold ``LINES_PER_PART``
#: lines): a run killed outright downloads at most these again.
PARTS_PER_APPEND = 25
#: The parts of a file's Bronze row the cursor reads.
PART_ENVELOPE = (
    "STRUCT<status: INT, request: STRUCT<params: STRUCT<channelId: STRING, reportTypeId: STRING, "
    "reportId: STRING, startTime: STRING, attempt: STRING, part: INT, final: STRING>>>"
)


@dataclass
class BulkOutcome:
    jobs_created: list[str] = field(default_factory=list)
    files: dict[str, int] = field(default_factory=dict)  # report type -> files landed
    parts: int = 0
    lines: int = 0
    already_landed: int = 0
    failed: list[str] = field(default_factory=list)  # report ids left for the next run
    expired_days: dict[str, list[str]] = field(default_factory=dict)  # type -> first days never landed
    stopped: str | None = None  # why bulk stopped early (quota, Google refusing): v2 goes on

    def as_dict(self) -> dict[str, Any]:
        return {
            "jobs_created": self.jobs_created,
            "files": self.files,
            "parts": self.parts,
            "lines": self.lines,
            "already_landed": self.already_landed,
            "failed": self.failed,
            "expired_days": self.expired_days,
            "stopped": self.stopped,
        }


#: Silver's parsed parts (the pipeline's default schema), when the pipeline has run
PARTS = "silver.silver_bulk_report_parts"


def landed_files(engine: Engine, channel_id: str | None = None) -> dict[str, tuple[str, date]]:
    """Report id -> (report type, Pacific day) of every file landed whole (any run) of
    ``channel_id`` (every channel's when None): a download attempt whose parts all landed, the
    final one included, and that names its channel — the files Silver reads
    (``silver_bulk_report_files``); any other is downloaded again."""
    if not engine.table_exists(TABLE):
        return {}
    # a part's parameters: from Silver's silver_bulk_report_parts where the pipeline read it
    # already, from its Bronze row (the whole JSON, CSV included, parsed) only where not: a
    # year of files is never parsed again to find what landed
    bronze = engine.qualify(TABLE)
    fresh = f"SELECT payload FROM {bronze}"
    known = ""
    if engine.table_exists(PARTS):
        parts = engine.qualify(PARTS)
        fresh += f" WHERE request_id NOT IN (SELECT request_id FROM {parts})"
        known = f"""
          UNION ALL
          SELECT report_id, report_type, start_time, attempt, part, final, channel_id
          FROM {parts}
          WHERE status = 200 AND channel_id IS NOT NULL"""
    query = f"""
        WITH landed AS (
          SELECT
            part.request.params.reportId AS report_id,
            part.request.params.reportTypeId AS report_type,
            part.request.params.startTime AS start_time,
            part.request.params.attempt AS attempt,
            part.request.params.part AS part,
            part.request.params.final AS final,
            part.request.params.channelId AS channel_id
          FROM (SELECT from_json(payload, '{PART_ENVELOPE}') AS part FROM ({fresh}) AS fresh) AS parsed
          WHERE part.status = 200 AND part.request.params.channelId IS NOT NULL{known}
        ),
        attempts AS (
          SELECT
            report_id,
            report_type,
            start_time,
            channel_id,
            count(DISTINCT part) AS parts,
            max(CASE WHEN final = 'true' THEN part END) AS final_part
          FROM landed
          GROUP BY report_id, report_type, start_time, channel_id, attempt
        )
        SELECT DISTINCT report_id, report_type, start_time, channel_id
        FROM attempts
        WHERE final_part IS NOT NULL AND parts = final_part + 1
    """
    out = {}
    for row in engine.query(query).to_pylist():
        if row["report_id"] and (channel_id is None or row["channel_id"] == channel_id):
            out[row["report_id"]] = (row["report_type"], pacific_day(row["start_time"]))
    return out


def landed_days(engine: Engine, channel_id: str | None = None) -> dict[str, set[date]]:
    """Report type -> the Pacific days a landed file of ``channel_id`` covers (hybrid mode asks
    v2 for the rest: one channel's files never stand in for another's days)."""
    out: dict[str, set[date]] = {}
    for report_type, day in landed_files(engine, channel_id).values():
        out.setdefault(report_type, set()).add(day)
    return out


def v2_coverage(
    engine: Engine,
    reports: Iterable[ReportSpec],
    run_id: str,
    channel_id: str,
    video_ids: Iterable[str],
    win: Window,
    analytics_mode: str,
) -> tuple[dict[str, dict[str, Coverage]], dict[str, set[date]]]:
    """Per report (one query each) and scope, what earlier answers cover; in hybrid mode the
    days landed files cover count as covered. Also those days, per report type: requests are
    cut around them (``planning.bulk_skip``)."""
    bulk_days = landed_days(engine, channel_id) if analytics_mode == "hybrid" else {}
    scopes = [channel_id, *video_ids]
    covered = {
        r.name: with_bulk(coverage(engine, r, run_id), scopes, bulk_skip(r, bulk_days), win) for r in reports
    }
    return covered, bulk_days


def _records(lines: list[str], carry: list[str], open_quote: bool) -> tuple[list[str], list[str], bool]:
    """Whole CSV records from ``lines``: a quoted field may hold a line break, so a record
    ends where its quotes balance (tracked as lines arrive: ``open_quote``). What is left
    open carries over to the next part, at most ``LINES_PER_PART`` lines: a stray quote
    cannot make one record of the rest of a file."""
    out: list[str] = []
    for line in lines:
        carry.append(line)
        open_quote ^= line.count('"') % 2 == 1
        if not open_quote or len(carry) >= reporting_api.LINES_PER_PART:
            out.append("\n".join(carry))
            carry, open_quote = [], False
    return out, carry, open_quote


class Parts:
    """Files' parts appended to Bronze together: held until ``PARTS_PER_APPEND`` parts or
    ``LINES_PER_PART`` lines are held, then appended in one transaction. A file is logged
    as landed once the append holding its last part is done."""

    def __init__(self, writer: Landing) -> None:
        self.writer = writer
        self.parts = self.lines = 0
        self.files: list[str] = []  # files whose last part is held: logged once appended

    def add(self, params: dict[str, Any], text: str, lines: int) -> None:
        self.writer.add(TABLE, ENDPOINT, params, 200, text)
        self.parts += 1
        self.lines += lines
        if self.parts >= PARTS_PER_APPEND or self.lines >= reporting_api.LINES_PER_PART:
            self.flush()

    def landed(self, line: str) -> None:
        """``line`` is logged once the file's last part is in Bronze."""
        self.files.append(line)

    def flush(self) -> None:
        self.writer.flush()
        self.parts = self.lines = 0
        for line in self.files:
            log.info("%s", line)
        self.files = []


def land_file(
    parts_out: Parts, api: ReportingApi, report: dict[str, Any], report_type: str, channel_id: str
) -> tuple[int, int]:
    """Download one report's file and hand it to ``parts_out`` part by part; returns (parts,
    data lines). Raises what the download raised (the caller retries or leaves it for the
    next run)."""
    params = {
        "channelId": channel_id,  # the channel whose job it is (the caller's own)
        "reportTypeId": report_type,
        "jobId": report.get("jobId"),
        "reportId": report.get("id"),
        "startTime": report.get("startTime"),
        "endTime": report.get("endTime"),
        "createTime": report.get("createTime"),
        "attempt": uuid.uuid4().hex,
    }
    header: str | None = None
    carry: list[str] = []
    open_quote = False
    pending: list[str] | None = None  # one part held back: the last one is marked final
    parts = lines = 0

    def land(records: list[str], final: bool) -> None:
        nonlocal parts, lines
        text = "\n".join([header or "", *records]) + "\n"
        parts_out.add({**params, "part": parts, **({"final": "true"} if final else {})}, text, len(records))
        parts += 1
        lines += len(records)

    for chunk in api.download(str(report.get("downloadUrl"))):
        if header is None and chunk:
            header, chunk = chunk[0], chunk[1:]
        records, carry, open_quote = _records(chunk, carry, open_quote)
        if pending is not None:
            land(pending, final=False)
        pending = records
    if carry:  # an unbalanced quote at the end: kept as received
        pending = [*(pending or []), "\n".join(carry)]
    land(pending or [], final=True)
    return parts, lines


def land_bulk(
    engine: Engine, writer: Landing, api: ReportingApi, today: date, channel_id: str
) -> BulkOutcome:
    """Steps 1-3 of the module docstring, for every type in ``BULK_REPORT_TYPES``.

    Never fails the task for the Reporting API's sake: a spent quota, a refusal (the API not
    enabled in the project, say) or Google refusing ``GIVE_UP_AFTER`` files in a row stops
    bulk with the reason in ``stopped``, keeps what landed, and the caller goes on (v2 in
    hybrid mode). Only a stop asked for (SIGINT/SIGTERM) goes through."""
    outcome = BulkOutcome()
    parts = Parts(writer)
    try:
        _land(engine, parts, api, today, channel_id, outcome)
    except QuotaExceededError as err:
        outcome.stopped = f"Reporting API quota exceeded ({err.message[:160]})"
    except (GoogleApiError, RetryableError, httpx.TransportError) as err:
        outcome.stopped = f"Reporting API: {str(err)[:200]}"
    finally:  # what was downloaded lands, a stop asked for included: the cursor reads Bronze
        parts.flush()
    if outcome.stopped:
        log.warning("bulk stopped: %s; what landed is kept, the next run goes on", outcome.stopped)
    return outcome


def _land(
    engine: Engine, parts_out: Parts, api: ReportingApi, today: date, channel_id: str, outcome: BulkOutcome
) -> None:
    jobs, outcome.jobs_created = api.ensure_jobs(BULK_REPORT_TYPES)
    landed = landed_files(engine, channel_id)
    in_a_row = 0
    for report_type, job in jobs.items():
        listed = api.reports(str(job.get("id")))
        for report in listed:
            if report.get("id") in landed:
                outcome.already_landed += 1
                continue
            for attempt in range(1, ATTEMPTS + 1):
                try:
                    parts, lines = land_file(parts_out, api, report, report_type, channel_id)
                except (httpx.TransportError, UnicodeDecodeError) as err:  # cut mid-file: again
                    log.warning("report %s: download cut (%s), attempt %d", report.get("id"), err, attempt)
                    if attempt == ATTEMPTS:
                        outcome.failed.append(str(report.get("id")))
                        in_a_row += 1
                    continue
                except RetryableError as err:  # Google kept refusing: the next run tries again
                    log.warning("report %s: no file after retries (%s)", report.get("id"), err)
                    outcome.failed.append(str(report.get("id")))
                    in_a_row += 1
                    break
                except GoogleApiError as err:
                    if err.status != 404:
                        raise
                    log.warning("report %s expired between its listing and its download", report.get("id"))
                    break
                in_a_row = 0
                parts_out.landed(f"landed report file {report.get('id')} ({report_type}, {parts} part(s))")
                outcome.files[report_type] = outcome.files.get(report_type, 0) + 1
                outcome.parts += parts
                outcome.lines += lines
                landed[str(report.get("id"))] = (report_type, pacific_day(str(report.get("startTime"))))
                break
            if in_a_row >= GIVE_UP_AFTER:
                outcome.stopped = f"{in_a_row} report files in a row not landed: Google keeps refusing"
                return
        missing = _expired_days(job, listed, landed, report_type, today)
        if missing:
            outcome.expired_days[report_type] = missing[:10]
            log.warning(
                "%s: the files of %d day(s) expired before any run landed them (%s); v2 answers "
                "for those days stay the source",
                report_type,
                len(missing),
                ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else ""),
            )


def _expired_days(
    job: dict[str, Any],
    listed: list[dict[str, Any]],
    landed: dict[str, tuple[str, date]],
    report_type: str,
    today: date,
) -> list[str]:
    """Days the job should have a file for, older than the oldest file Google still lists,
    that no run landed: their files expired unread."""
    if not listed or not job.get("createTime"):
        return []
    first = pacific_day(job["createTime"]) - timedelta(days=HISTORY_DAYS)
    oldest_listed = min(pacific_day(str(r.get("startTime"))) for r in listed)
    have = {day for t, day in landed.values() if t == report_type}
    day, out = first, []
    while day < oldest_listed and day < today:
        if day not in have:
            out.append(day.isoformat())
        day += timedelta(days=1)
    return out
