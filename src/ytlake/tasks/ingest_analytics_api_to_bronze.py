"""ingest_analytics_api_to_bronze: the declared Analytics reports, incrementally.

Plan (``ytlake.youtube.planning``): the window ends at today (Pacific) minus
``--latency-days`` unless ``--end-date`` is given; per report and scope it starts at the first
day no answer in Bronze covers (coverage, not a high-water mark: a gap behind a later answer
is asked again) or ``--lookback-days`` before the last covered day, whichever is earlier; on a
first run at ``--start-date`` (default 90 days back); never before a video's publish day. The
videos are every video seen and not confirmed gone (any run). A range report is one request
per scope for the whole window (``--chunk-days`` splits it only when set); the per-video
country report is asked per day, only for days the daily report shows views; a video's
audience retention (a snapshot report) once a week, and its format (creatorContentType)
once a month, over its whole life; a snapshot answered without rows (no views yet) is asked
again by the next run while the video is younger than four weeks.

Execution: ``--concurrency`` requests at a time, at most ``--requests-per-second``.
Answers land in Bronze as they arrive, in batches each appended once or not at all
(``ytlake.tasks.landing``), so a run killed half way resumes without asking again what had
landed; an answer that is not what the endpoint returns goes to ``bronze.quarantine`` and is
asked again by the next run.

Revenue: the token's granted scopes are recorded (``bronze.oauth_grants_raw``, never a
token) and the revenue reports are asked only when they hold the monetary scope; without
it no revenue request is made. Google refuses revenue (403) for a channel outside the
Partner Program even with the scope: that answer is landed, no further revenue is asked
this run, and the run is not failed for it.

Errors: an answer about one video (gone, private, not the channel's) records and skips that
video; a spent quota, in any of Google's shapes, stops the task cleanly; requests whose
retries ran out are recorded and asked again by the next run (the task stops early when
Google keeps refusing). Those end the run PARTIAL. Any other error (an unsupported query,
an unknown metric, a missing scope, a channel that is not the caller's) is systemic: the
task fails at once with Google's message and the request that drew it.
"""

from __future__ import annotations

import argparse
import json
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from ytlake import identity, progress
from ytlake.channels import ChannelAccess
from ytlake.lakehouse.base import Engine
from ytlake.tasks import common, run_state
from ytlake.tasks.bulk import BulkOutcome, land_bulk, v2_coverage
from ytlake.tasks.google import google_http
from ytlake.tasks.ingest_state import (
    GRANTS_TABLE,
    covered_days,
    days_with_views,
    known_videos,
    landed_keys,
    request_key,
    run_payloads,
)
from ytlake.tasks.landing import Landing
from ytlake.tasks.run_state import RunInfo
from ytlake.youtube.analytics_api import AnalyticsApi, concerns_one_video
from ytlake.youtube.endpoints import MONETARY_SCOPE, ApiRoot
from ytlake.youtube.http import ApiResponse, GoogleApiError, GoogleHttp, QuotaExceededError, RetryableError
from ytlake.youtube.oauth import AuthError
from ytlake.youtube.planning import (
    Request,
    VideoInfo,
    Window,
    bulk_skip,
    range_requests,
    scope_start,
    single_day_requests,
    single_days_to_ask,
    snapshot_requests,
    window,
)
from ytlake.youtube.reporting_api import ANALYTICS_MODES, ReportingApi
from ytlake.youtube.reports import REPORTS, REPORTS_BY_NAME, reports_to_ask
from ytlake.youtube.shapes import GRANT_ENDPOINT

TASK_KEY = "ingest_analytics_api_to_bronze"

FLUSH_EVERY = 500
#: Requests in a row whose retries ran out before the task stops asking (Google is down).
GIVE_UP_AFTER = 16


def _targets(
    engine: Engine, run: RunInfo, data_task: dict[str, Any], accesses: list[ChannelAccess]
) -> list[tuple[ChannelAccess, str]]:
    """The channels to ask, each with its token: those the Data API task listed this run (its
    outputs pair each token with its channel; a channel it could not read is left out)."""
    listed = data_task.get("channels")
    if listed is None:  # a task run on its own: the run's channels.list answers, one token
        ids = []
        for env in run_payloads(engine, "bronze.channels_raw", run.run_id):
            items = (env.get("body") or {}).get("items") if isinstance(env.get("body"), dict) else None
            if items and items[0].get("id") not in ids:
                ids.append(items[0].get("id"))
        if not ids:
            registered = identity.registered(engine, "channel")
            ids = registered if len(registered) == 1 else []
        return [(accesses[0], ids[0])] if ids and len(accesses) == 1 else []
    out = []
    registered = identity.registered(engine, "channel")
    for entry in listed:
        channel_id = entry.get("channel_id")
        if not channel_id and entry.get("status") == "PARTIAL" and len(registered) == 1:
            # channels.list itself went unanswered (a spent Data API quota, Google down): the
            # lakehouse's one channel, as before several channels (its Analytics quota is its own)
            channel_id = registered[0]
        if entry.get("status") in ("FAILED", "DUPLICATE") or not channel_id:
            continue
        for access in accesses:  # the token the Data API task used for this entry
            if access.origin == entry.get("origin") and access.channel_id in (None, channel_id):
                if all(channel_id != cid for _, cid in out):
                    out.append((access, channel_id))
                break
    return out


def main(argv: list[str] | None = None) -> int:
    p = common.parser(TASK_KEY, "Land the declared YouTube Analytics reports in Bronze.")
    common.add_google_args(p)
    common.add(
        p,
        "chunk_days",
        type=common.non_negative_int,
        default=0,
        help="split range requests into this many days (0: one request per scope for the window)",
    )
    common.add(
        p,
        "analytics_mode",
        choices=ANALYTICS_MODES,
        default="hybrid",
        help="query: v2 reports.query only; bulk: the Reporting API's daily files only; hybrid "
        "(default): the files where one covers the day, v2 for the rest",
    )
    args = p.parse_args(argv)
    common.setup_logging()
    started = datetime.now(UTC)
    accesses = common.channel_accesses(args)
    with common.engine_from(args) as engine:
        run = run_state.current_run(engine, args, TASK_KEY)
    win = window(run.today, args.latency_days, args.start_date, args.end_date)
    results: list[ChannelResult] = []
    with common.engine_from(args) as engine:
        data_task = run_state.outputs(engine, run.run_id).get("ingest_data_api_to_bronze", {})
        targets = _targets(engine, run, data_task, accesses)
        if not targets and data_task.get("partial"):
            partial = "no Analytics asked: the Data API task could not list a channel; the next run asks"
            common.log.warning("%s: %s", TASK_KEY, partial)
            run_state.record(
                engine,
                run.run_id,
                TASK_KEY,
                {"partial": partial},
                started=started,
                task_run_id=args.task_run_id,
            )
            return 0
        if not targets:
            raise RuntimeError(
                "no channel id: ingest_data_api_to_bronze landed no channels.list answer in this run"
            )
        # every video seen and not confirmed gone (any run), under its channel: a run cut
        # short forgets none, and a video is asked with its own channel's token only
        known = known_videos(engine)
        # a rerun of this run skips what this run already landed
        done_keys = set().union(*(landed_keys(run_payloads(engine, r.table, run.run_id)) for r in REPORTS))
        writer = Landing(engine, run, flush_every=FLUSH_EVERY)
        # one project's quota serves every channel: the smaller channels first, so that a
        # spent quota falls on the biggest and the others land whole
        order = sorted(targets, key=lambda t: (len(known.of(t[1]).alive), t[1]))
        spent_by = None
        refused: list[AuthError] = []
        for access, channel_id in order:
            videos = known.of(channel_id).alive
            if spent_by:
                results.append(
                    ChannelResult(
                        channel_id,
                        videos=len(videos),
                        partial=(
                            f"Analytics quota spent (by channel {spent_by}) before its turn; next run asks"
                        ),
                    )
                )
                continue
            with google_http(args, access) as (http, root):
                try:
                    result = _channel_reports(
                        args, engine, run, win, http, root, channel_id, videos, writer, done_keys
                    )
                except AuthError as err:  # its token refused since the Data API task: the others go on
                    if isinstance(err, httpx.TransportError):
                        result = ChannelResult(channel_id, partial=f"token endpoint unreachable ({err})")
                    else:
                        result = ChannelResult(channel_id, failed=str(err))
                        refused.append(err)
            results.append(result)
            if result.quota_spent:
                spent_by = channel_id
        writer.flush()
        written = writer.written
        quarantined = writer.quarantined
    if refused and len(refused) == len(results):  # no channel could be read: the run fails
        if len(refused) == 1:
            raise refused[0]
        raise RuntimeError("no channel's token was accepted: " + "; ".join(str(e) for e in refused))
    troubles = [f"channel {r.channel_id}: {r.failed or r.partial}" for r in results if r.failed or r.partial]
    partial = "; ".join(troubles) or None
    if quarantined and not partial:
        partial = (
            f"{sum(quarantined.values())} answer(s) were not what the endpoint returns: kept in "
            "bronze.quarantine; the next run asks again"
        )
    requests: dict[str, int] = {}
    retries: dict[str, int] = {}
    for r in results:
        for k, v in r.requests.items():
            requests[k] = requests.get(k, 0) + v
        for k, v in r.retries.items():
            retries[k] = retries.get(k, 0) + v
    skipped = {v: why for r in results for v, why in r.skipped.items()}
    revenue = (
        "; ".join(f"{r.channel_id}: {r.revenue}" for r in results) if len(results) > 1 else results[0].revenue
    )
    bulk = [r.bulk.as_dict() for r in results if r.bulk]
    outputs = {
        "analytics_mode": args.analytics_mode,
        "bulk": (bulk[0] if len(bulk) == 1 else bulk) if bulk else None,
        "window": [win.default_start.isoformat(), win.end.isoformat()],
        "channels": {r.channel_id: r.as_dict() for r in results},
        "rows": written,
        "requests": requests,
        "retries": retries,
        "skipped_videos": skipped,
        "quarantined": quarantined,
        "revenue": revenue,
        "partial": partial,
    }
    with common.engine_from(args) as engine:
        run_state.record(engine, run.run_id, TASK_KEY, outputs, started=started, task_run_id=args.task_run_id)
    common.emit_summary(
        TASK_KEY,
        {
            "window_end": win.end,
            "channels": {r.channel_id: r.as_dict() for r in results},
            "videos": sum(r.videos for r in results),
            "analytics_mode": args.analytics_mode,
            "bulk_files": sum(sum(r.bulk.files.values()) for r in results if r.bulk) if bulk else None,
            "planned_requests": sum(r.planned for r in results),
            "rows": written,
            "requests": requests,
            "retries": retries,
            "skipped": skipped,
            "unanswered": sum(r.unanswered for r in results),
            "quarantined": quarantined,
            "revenue": revenue,
            "partial": partial,
        },
    )
    return 0


@dataclass
class ChannelResult:
    """What one channel's Analytics came to."""

    channel_id: str
    videos: int = 0
    planned: int = 0
    unanswered: int = 0  # requests whose retries ran out (recorded where Google answered)
    skipped: dict[str, str] = field(default_factory=dict)  # video -> why (gone, private)
    revenue: str = ""
    bulk: BulkOutcome | None = None
    partial: str | None = None
    failed: str | None = None  # nothing asked: its token was refused
    quota_spent: bool = False  # the shared quota ran out on this channel's requests
    requests: dict[str, int] = field(default_factory=dict)
    retries: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        status = "FAILED" if self.failed else "PARTIAL" if self.partial else "SUCCEEDED"
        return {
            "status": status,
            "videos": self.videos,
            "planned_requests": self.planned,
            "requests": sum(self.requests.values()),
            "skipped_videos": len(self.skipped),
            "revenue": self.revenue,
            "reason": self.failed or self.partial,
        }


def _channel_reports(
    args: argparse.Namespace,
    engine: Engine,
    run: RunInfo,
    win: Window,
    http: GoogleHttp,
    root: ApiRoot,
    channel_id: str,
    videos: list[VideoInfo],
    writer: Landing,
    done_keys: set[Any],
) -> ChannelResult:
    """One channel's reports (its owner's token in ``http``): plan, ask, land."""
    skipped: dict[str, str] = {}
    partial = None
    bulk: BulkOutcome | None = None
    planned = 0
    unanswered = 0
    quota_spent = False
    granted = http.oauth.granted_scopes()
    monetary = MONETARY_SCOPE in granted
    if not monetary:
        revenue = "not authorised"
    elif args.analytics_mode == "bulk":
        revenue = "not asked: bulk mode asks v2 nothing"
    else:
        revenue = "asked"
    revenue_refused = ""
    api = AnalyticsApi(http, root.analytics_api)
    writer.add(
        GRANTS_TABLE,
        GRANT_ENDPOINT,
        # the mode too: a bulk run asks v2 nothing, revenue included (Gold says so)
        {"grant_type": "refresh_token", "channel": channel_id, "analytics_mode": args.analytics_mode},
        200,
        json.dumps({"scope": " ".join(sorted(granted))}),
    )
    if args.analytics_mode in ("bulk", "hybrid"):
        bulk = land_bulk(engine, writer, ReportingApi(http, root.reporting_api), run.today, channel_id)
        if bulk.stopped:
            partial = f"{bulk.stopped}; the next run lands the rest"
        elif bulk.failed:
            partial = f"{len(bulk.failed)} report file(s) not landed; the next run lands them"

    def land(req: Request, response: ApiResponse) -> None:
        writer.add(req.report.table, "v2/reports", response.params, response.status, response.text)

    def execute(requests: list[Request]) -> bool:
        """Run requests concurrently; False when the quota ran out or Google kept refusing."""
        nonlocal partial, unanswered, revenue_refused, quota_spent
        keyed = {request_key(r.params()): r for r in requests if r.scope not in skipped}
        # once each (a refused request may also be in this run's window), not what landed
        todo = [r for key, r in keyed.items() if key not in done_keys]
        if not todo:
            return True
        progress.plan(TASK_KEY, len(todo))
        pool = ThreadPoolExecutor(max_workers=args.concurrency)
        futures: dict[Future[ApiResponse], Request] = {}
        queue = iter(todo)
        ok, answered, in_a_row, stop = True, 0, 0, ""

        def submit_next() -> None:
            for req in queue:
                if req.scope in skipped or (req.report.monetary and revenue_refused):
                    continue
                futures[pool.submit(api.request, req.params())] = req
                return

        for _ in range(args.concurrency * 2):
            submit_next()
        try:
            while futures:
                finished, _ = wait(list(futures), return_when=FIRST_COMPLETED)
                for fut in finished:
                    req = futures.pop(fut)
                    if fut.cancelled():
                        continue
                    progress.advance(TASK_KEY)
                    try:
                        response = fut.result()
                    except QuotaExceededError as err:
                        ok, stop = False, "quota"
                        for queued in futures:  # not sent yet: no point asking
                            queued.cancel()
                        if err.response is not None:  # recorded: the next run asks again
                            land(req, err.response)
                        continue
                    except (RetryableError, httpx.TransportError) as err:
                        # retries ran out: recorded where Google answered, asked again next run
                        unanswered += 1
                        in_a_row += 1
                        if isinstance(err, RetryableError):
                            land(req, err.response)
                        common.log.warning("%s: no answer after retries: %s", TASK_KEY, err)
                        if in_a_row >= GIVE_UP_AFTER and ok:
                            ok, stop = False, f"Google kept refusing ({err})"
                            for queued in futures:
                                queued.cancel()
                        elif ok:
                            submit_next()
                        continue
                    except GoogleApiError as err:
                        if req.report.monetary and err.status == 403 and err.response is not None:
                            # recorded; a channel-level refusal (a channel outside the Partner
                            # Program) stops the revenue requests of this run; one video's is
                            # that video's alone
                            if req.video_id is None:
                                revenue_refused = f"{err.status} {err.message}"[:200]
                            land(req, err.response)
                            answered += 1
                            if ok:
                                submit_next()
                            continue
                        if req.video_id and err.response is not None and concerns_one_video(err):
                            skipped[req.video_id] = f"{err.status} {err.message}"[:200]
                            land(req, err.response)  # recorded: Bronze keeps the answer
                            answered += 1
                            if ok:
                                submit_next()
                            continue
                        raise SystemicGoogleError(str(err)) from None
                    land(req, response)
                    answered += 1
                    in_a_row = 0
                    if ok:
                        submit_next()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            writer.flush()  # what arrived lands (once: a batch leaves the writer before it is written)
        if stop == "quota":
            quota_spent = True
            missing = len(todo) - answered
            partial = (
                f"Analytics quota exceeded: about {max(missing, 0)} request(s) not made; "
                "the next run makes them"
            )
        elif stop:
            partial = (
                f"{stop}: stopped after {in_a_row} requests in a row without an answer; "
                f"about {max(len(todo) - answered, 0)} request(s) not made; the next run makes them"
            )
        return ok

    # coverage, not a high-water mark: what earlier runs' answers cover, per report and scope;
    # in hybrid mode the days landed bulk files cover (this run's too) count as covered
    reports_asked = reports_to_ask(args.analytics_mode, monetary)
    covered, bulk_days = v2_coverage(
        engine,
        reports_asked,
        run.run_id,
        channel_id,
        [v.video_id for v in videos],
        win,
        args.analytics_mode,
    )
    phase1 = []
    for report in reports_asked:
        if report.grain == "range":
            phase1 += range_requests(
                report,
                channel_id,
                videos,
                win,
                covered[report.name],
                args.lookback_days,
                args.chunk_days,
                bulk_skip(report, bulk_days),
            )
        elif report.grain == "snapshot":
            phase1 += snapshot_requests(report, channel_id, videos, win, covered[report.name])
    planned += len(phase1)
    if execute(phase1):
        for report in reports_asked:
            if report.grain != "single_day":
                continue
            source = REPORTS_BY_NAME[report.days_from or ""]
            alive = [v for v in videos if v.video_id not in skipped]
            # every day with views (the source report's answers, this run's included) that
            # no answer covers, and again the days the source report re-pulled this run
            days = single_days_to_ask(
                win,
                alive,
                days_with_views(engine, source),
                {v.video_id: covered_days(covered[report.name].get(v.video_id)) for v in alive},
                {
                    v.video_id: scope_start(
                        win, covered[source.name].get(v.video_id), args.lookback_days, v.published_day
                    )
                    for v in alive
                },
            )
            skip = bulk_skip(report, bulk_days)
            phase2 = single_day_requests(report, channel_id, {v: d - skip for v, d in days.items()})
            planned += len(phase2)
            if not execute(phase2):
                break
    if revenue_refused:
        revenue = f"refused: {revenue_refused}"
        common.log.warning(
            "%s: Google refused revenue (%s); not asked again this run", TASK_KEY, revenue_refused
        )
    if unanswered and not partial:
        partial = (
            f"{unanswered} Analytics request(s) unanswered after retries (recorded); the next run asks again"
        )
    if skipped and not partial:
        partial = f"{len(skipped)} video(s) gone or private, skipped: {', '.join(sorted(skipped)[:10])}"
    stats = http.stats.as_dict()
    return ChannelResult(
        channel_id,
        videos=len(videos),
        planned=planned,
        unanswered=unanswered,
        skipped=skipped,
        revenue=revenue,
        bulk=bulk,
        partial=partial,
        quota_spent=quota_spent,
        requests=stats["requests"],
        retries=stats["retries"],
    )


class SystemicGoogleError(RuntimeError):
    """An error that is the same for every request (the query, the scopes, the channel)."""
