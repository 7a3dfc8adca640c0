"""ingest_data_api_to_bronze: each channel, every uploads-playlist page and the videos.

Channels one after the other, each with its owner's refresh token (``ytlake.channels``): a
token Google refuses (revoked, expired), a channel this lakehouse was not given, a spent quota
or Google unavailable is that channel's outcome (``channels`` in the task's outputs), and the
others go on; the run ends PARTIAL naming it. Only when no channel can be read does the task
fail.

Calls: ``channels.list(mine=true)`` (1 unit), every page of the uploads playlist (50 items a
page, 1 unit each) and ``videos.list`` in batches of 50 ids (1 unit each) — the playlist's
videos plus every video any earlier run saw and no videos.list has confirmed gone since, so
a video that vanished is asked once more and recorded as not returned, even after a run cut
short by a quota stop. One Bronze row per call; the task's rows land in one transaction (a
rerun of the same run replaces its rows); an answer that is not what the endpoint returns
goes to ``bronze.quarantine``.

A channel that never uploaded has no uploads playlist (Google answers ``404
playlistNotFound``): the answer lands, the channel has zero videos, and the run goes on.
When the playlist lists fewer videos than ``statistics.videoCount`` says the channel has
public, the run records a warning (the playlist can hide videos, and is reportedly capped
near 20,000 items).

On a spent quota (any of Google's shapes), or when retries run out, it stops cleanly: what
was fetched lands, the task succeeds, and the task value ``partial`` says what is missing
(the run ends PARTIAL; the next run fetches it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from ytlake import identity, progress
from ytlake.channels import ChannelAccess
from ytlake.tasks import common, run_state
from ytlake.tasks.google import google_http
from ytlake.tasks.ingest_state import KnownVideos, known_videos
from ytlake.tasks.landing import Landing
from ytlake.youtube.data_api import (
    MAX_PAGE,
    DataApi,
    public_video_count,
    uploads_playlist_id,
    video_ids_of,
)
from ytlake.youtube.http import GoogleApiError, QuotaExceededError, RetryableError
from ytlake.youtube.oauth import REFRESH_TOKEN_FIX, AuthError

TASK_KEY = "ingest_data_api_to_bronze"
TABLES = ("bronze.channels_raw", "bronze.playlist_items_raw", "bronze.videos_raw")
CHANNELS, PLAYLIST_ITEMS, VIDEOS = TABLES


class NoChannelError(RuntimeError):
    """Every channel's token was refused (or not this lakehouse's): nothing to pull."""


@dataclass
class ChannelOutcome:
    """What one channel's Data API calls came to."""

    origin: str  # where its token is (never the token)
    channel_id: str | None = None
    videos_in_playlist: int = 0
    videos_asked: int = 0
    partial: str | None = None  # landed in part: the next run fetches the rest
    verified: bool = False  # channels.list answered: channel_id is the token's own
    duplicate: str | None = None  # the channel was pulled with another token this run
    failed: str | None = None  # nothing of it landed: the token refused, or not this lakehouse's
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        status = (
            "DUPLICATE"
            if self.duplicate
            else "FAILED"
            if self.failed
            else "PARTIAL"
            if self.partial
            else "SUCCEEDED"
        )
        return {
            "origin": self.origin,
            "channel_id": self.channel_id,
            "status": status,
            "videos_in_playlist": self.videos_in_playlist,
            "videos_asked": self.videos_asked,
            "reason": self.duplicate or self.failed or self.partial,
        }


def main(argv: list[str] | None = None) -> int:
    p = common.parser(TASK_KEY, "Land channels, playlist items and videos (Data API v3) in Bronze.")
    common.add_google_args(p)
    args = p.parse_args(argv)
    common.setup_logging()
    started = datetime.now(UTC)
    accesses = common.channel_accesses(args)
    with common.engine_from(args) as engine:
        run = run_state.current_run(engine, args, TASK_KEY)
        known = known_videos(engine)
        channels_here = identity.registered(engine, "channel")
    landing = Landing(None, run)  # written at the end, in one transaction
    calls = {t: 0 for t in TABLES}
    requests: dict[str, int] = {}
    retries: dict[str, int] = {}
    outcomes: list[ChannelOutcome] = []
    errors: list[Exception] = []
    seen: set[str] = set()
    for access in accesses:
        outcome = ChannelOutcome(access.origin, access.channel_id)
        outcomes.append(outcome)
        with google_http(args, access) as (http, root):
            try:
                _channel(
                    DataApi(http, root.data_api), access, outcome, landing, calls, known, channels_here, seen
                )
            except (AuthError, identity.IdentityError, LookupError, GoogleApiError) as err:
                # this channel only: the others go on (one channel alone fails the run below)
                if isinstance(err, LookupError | GoogleApiError) and len(accesses) == 1:
                    raise
                outcome.failed = str(err)
                if access.origin != "YT_REFRESH_TOKEN":  # stored by `ytlake channels add`
                    outcome.failed = outcome.failed.replace(
                        REFRESH_TOKEN_FIX, "add the channel again with `ytlake channels add` as its owner"
                    )
                errors.append(err)
                common.log.warning("%s: channel %s: %s", TASK_KEY, outcome.channel_id or access.label, err)
            stats = http.stats.as_dict()
        for k, v in stats["requests"].items():
            requests[k] = requests.get(k, 0) + v
        for k, v in stats["retries"].items():
            retries[k] = retries.get(k, 0) + v
    for o in outcomes:  # a refused token of a channel another token pulled: not a failure
        if o.failed and o.channel_id in seen and not o.verified:
            o.duplicate, o.failed = f"pulled with another token ({o.failed})", None
    landed = [o for o in outcomes if not o.failed and not o.duplicate]
    if not landed:  # no channel could be read: the run fails, on one line per channel
        if len(errors) == 1:
            raise type(errors[0])(outcomes[0].failed or str(errors[0])) from None
        raise NoChannelError(
            "no channel could be read: "
            + "; ".join(f"{o.channel_id or o.origin}: {o.failed}" for o in outcomes)
        )
    with common.engine_from(args) as engine:
        # one transaction: a rerun of this run replaces its rows
        landing.flush(replace_run_rows_of=TABLES, engine=engine)
        for o in landed:  # each channel this lakehouse pulls is recorded at its first run
            if o.verified and o.channel_id and o.channel_id not in channels_here:
                identity.register(engine, "channel", o.channel_id, run.run_id)
    written = {t: landing.written.get(t, 0) for t in TABLES}
    troubles = [
        f"channel {o.channel_id or o.origin}: {o.failed or o.partial}"
        for o in outcomes
        if o.failed or o.partial
    ]
    partial = "; ".join(troubles) or None
    if landing.quarantined and not partial:
        partial = (
            f"{sum(landing.quarantined.values())} Data API answer(s) were not what the endpoint returns: "
            "kept in bronze.quarantine; the next run asks again"
        )
    warnings = [w for o in outcomes for w in o.warnings]
    outputs = {
        "channel_id": landed[0].channel_id,
        "channels": [o.as_dict() for o in outcomes],
        "rows": written,
        "requests": requests,
        "retries": retries,
        "warnings": warnings,
        "quarantined": landing.quarantined,
        "partial": partial,
    }
    with common.engine_from(args) as engine:
        run_state.record(engine, run.run_id, TASK_KEY, outputs, started=started, task_run_id=args.task_run_id)
    common.emit_summary(
        TASK_KEY,
        {
            "channels": [o.as_dict() for o in outcomes],
            "rows": written,
            "requests": requests,
            "units": sum(requests.values()),
            "retries": retries,
            "warnings": warnings,
            "partial": partial,
        },
    )
    return 0


def _channel(
    api: DataApi,
    access: ChannelAccess,
    outcome: ChannelOutcome,
    landing: Landing,
    calls: dict[str, int],
    known: KnownVideos,
    channels_here: list[str],
    seen: set[str],
) -> None:
    """One channel: channels.list(mine), its uploads, its videos; a spent quota or Google
    unavailable leaves it PARTIAL (what was fetched lands)."""
    mine: dict[str, int] = {t: 0 for t in TABLES}

    def land(table: str, answer) -> None:
        calls[table] += 1
        mine[table] += 1
        progress.advance(TASK_KEY)
        landing.add(table, f"youtube/v3/{answer.endpoint}", answer.params, answer.status, answer.text)

    video_ids: list[str] = []
    asked: list[str] = []
    try:
        progress.plan(TASK_KEY, 1)
        answer = api.my_channel()
        channel_id, uploads = uploads_playlist_id(answer)
        if channel_id in seen:  # the same channel under two tokens: pulled once
            progress.advance(TASK_KEY)  # its channels.list was answered, not landed
            outcome.channel_id = channel_id
            outcome.duplicate = "pulled with another token this run"
            common.log.info("%s: channel %s is already pulled this run", TASK_KEY, channel_id)
            return
        if access.channel_id and channel_id != access.channel_id:
            raise identity.IdentityError(
                f"the token stored for channel {access.channel_id} is channel {channel_id}'s: add it "
                f"again with `ytlake channels add` signed in as {access.channel_id}'s owner"
            )
        if channels_here and channel_id not in channels_here and access.channel_id is None:
            # a single-channel token is checked against what this lakehouse holds; a channel
            # added with `ytlake channels add` was asked for
            raise identity.IdentityError(
                f"channel {channel_id} is not this lakehouse's (it holds {', '.join(channels_here)}): "
                "check YT_REFRESH_TOKEN is the right account's, add the channel with `ytlake channels "
                "add`, or give this channel another --lakehouse"
            )
        seen.add(channel_id)
        outcome.channel_id = channel_id
        outcome.verified = True
        land(CHANNELS, answer)
        # the uploads playlist's pages (50 items each, one at least), as the channel counts them
        progress.plan(TASK_KEY, max(1, math.ceil((public_video_count(answer) or 0) / MAX_PAGE)))
        try:
            for page in api.playlist_pages(uploads):
                land(PLAYLIST_ITEMS, page)
                video_ids.extend(video_ids_of(page))
        except GoogleApiError as err:
            if err.status != 404 or err.reason != "playlistNotFound" or err.response is None:
                raise
            # the channel never uploaded: no uploads playlist, zero videos
            land(PLAYLIST_ITEMS, err.response)
            common.log.info("%s: channel %s has no uploads playlist (no uploads)", TASK_KEY, channel_id)
        outcome.videos_in_playlist = len(set(video_ids))
        expected = public_video_count(answer)
        if expected is not None and len(set(video_ids)) < expected:
            outcome.warnings.append(
                f"channel {channel_id}: the uploads playlist lists {len(set(video_ids))} video(s) but the "
                f"channel reports {expected} public: the playlist hides some (it is capped near 20,000 "
                "items); their Analytics are not pulled"
            )
        asked = list(dict.fromkeys([*video_ids, *known.of(channel_id).to_ask]))
        outcome.videos_asked = len(asked)
        progress.plan(TASK_KEY, math.ceil(len(asked) / MAX_PAGE))  # the videos.list batches
        for answer in api.videos(asked):
            land(VIDEOS, answer)
    except (QuotaExceededError, RetryableError, httpx.TransportError) as err:
        needed = math.ceil(len(asked) / MAX_PAGE) if asked else None
        why = (
            "Data API quota exceeded"
            if isinstance(err, QuotaExceededError)
            else f"Google unavailable ({err})"
        )
        if isinstance(err, QuotaExceededError | RetryableError) and err.response is not None:
            r = err.response  # recorded as answered (a refusal): Bronze keeps every call
            land({"channels": CHANNELS, "playlistItems": PLAYLIST_ITEMS}.get(r.endpoint, VIDEOS), r)
        outcome.partial = (
            f"{why}: fetched {mine[PLAYLIST_ITEMS]} playlist page(s) "
            f"and {mine[VIDEOS]}{f' of {needed}' if needed else ''} videos.list batch(es); "
            "the next run fetches the rest"
        )
        common.log.warning(
            "%s: channel %s: %s", TASK_KEY, outcome.channel_id or access.origin, outcome.partial
        )
