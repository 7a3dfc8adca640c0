"""ingest_data_api_to_bronze: the channel, every uploads-playlist page and the videos.

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
from datetime import UTC, datetime

import httpx

from ytlake import identity
from ytlake.tasks import common, run_state
from ytlake.tasks.google import google_http
from ytlake.tasks.ingest_state import known_videos
from ytlake.tasks.landing import Landing
from ytlake.youtube.data_api import (
    MAX_PAGE,
    DataApi,
    public_video_count,
    uploads_playlist_id,
    video_ids_of,
)
from ytlake.youtube.http import GoogleApiError, QuotaExceededError, RetryableError

TASK_KEY = "ingest_data_api_to_bronze"
TABLES = ("bronze.channels_raw", "bronze.playlist_items_raw", "bronze.videos_raw")
CHANNELS, PLAYLIST_ITEMS, VIDEOS = TABLES


def main(argv: list[str] | None = None) -> int:
    p = common.parser(TASK_KEY, "Land channels, playlist items and videos (Data API v3) in Bronze.")
    common.add_google_args(p)
    args = p.parse_args(argv)
    common.setup_logging()
    started = datetime.now(UTC)
    with common.engine_from(args) as engine:
        run = run_state.current_run(engine, args, TASK_KEY)
        known_before = known_videos(engine).to_ask
        channels_here = identity.registered(engine, "channel")
    landing = Landing(None, run)  # written at the end, in one transaction
    calls = {t: 0 for t in TABLES}

    def land(table: str, answer) -> None:
        calls[table] += 1
        landing.add(table, f"youtube/v3/{answer.endpoint}", answer.params, answer.status, answer.text)

    partial = None
    warnings: list[str] = []
    channel_id, video_ids, asked = None, [], []
    with google_http(args) as (http, root):
        api = DataApi(http, root.data_api)
        try:
            answer = api.my_channel()
            land(CHANNELS, answer)
            channel_id, uploads = uploads_playlist_id(answer)
            if channels_here and channel_id not in channels_here:  # refused before anything is written
                raise identity.IdentityError(
                    f"channel {channel_id} is not this lakehouse's (it holds {', '.join(channels_here)}): "
                    "check YT_REFRESH_TOKEN is the right account's, or give this channel another --lakehouse"
                )
            try:
                for page in api.playlist_pages(uploads):
                    land(PLAYLIST_ITEMS, page)
                    video_ids.extend(video_ids_of(page))
            except GoogleApiError as err:
                if err.status != 404 or err.reason != "playlistNotFound" or err.response is None:
                    raise
                # the channel never uploaded: no uploads playlist, zero videos
                land(PLAYLIST_ITEMS, err.response)
                common.log.info("%s: the channel has no uploads playlist (no uploads)", TASK_KEY)
            expected = public_video_count(answer)
            if expected is not None and len(set(video_ids)) < expected:
                warnings.append(
                    f"the uploads playlist lists {len(set(video_ids))} video(s) but the channel reports "
                    f"{expected} public: the playlist hides some (it is capped near 20,000 items); "
                    "their Analytics are not pulled"
                )
            asked = list(dict.fromkeys([*video_ids, *known_before]))
            for answer in api.videos(asked):
                land(VIDEOS, answer)
        except (QuotaExceededError, RetryableError, httpx.TransportError) as err:
            done = calls[VIDEOS]
            needed = math.ceil(len(asked) / MAX_PAGE) if asked else None
            why = (
                "Data API quota exceeded"
                if isinstance(err, QuotaExceededError)
                else f"Google unavailable ({err})"
            )
            if isinstance(err, QuotaExceededError | RetryableError) and err.response is not None:
                r = err.response  # recorded as answered (a refusal): Bronze keeps every call
                land({"channels": CHANNELS, "playlistItems": PLAYLIST_ITEMS}.get(r.endpoint, VIDEOS), r)
            partial = (
                f"{why}: fetched {calls[PLAYLIST_ITEMS]} playlist page(s) "
                f"and {done}{f' of {needed}' if needed else ''} videos.list batch(es); "
                "the next run fetches the rest"
            )
            common.log.warning("%s: %s", TASK_KEY, partial)
        stats = http.stats.as_dict()
    with common.engine_from(args) as engine:
        # one transaction: a rerun of this run replaces its rows
        landing.flush(replace_run_rows_of=TABLES, engine=engine)
        if channel_id:  # the first run records the lakehouse's channel
            identity.register_if_new(engine, "channel", channel_id, run.run_id)
    written = {t: landing.written.get(t, 0) for t in TABLES}
    if landing.quarantined and not partial:
        partial = (
            f"{sum(landing.quarantined.values())} Data API answer(s) were not what the endpoint returns: "
            "kept in bronze.quarantine; the next run asks again"
        )
    outputs = {
        "channel_id": channel_id,
        "rows": written,
        "requests": stats["requests"],
        "retries": stats["retries"],
        "warnings": warnings,
        "quarantined": landing.quarantined,
        "partial": partial,
    }
    with common.engine_from(args) as engine:
        run_state.record(engine, run.run_id, TASK_KEY, outputs, started=started, task_run_id=args.task_run_id)
    common.emit_summary(
        TASK_KEY,
        {
            "channel_id": channel_id,
            "videos_in_playlist": len(video_ids),
            "videos_asked": len(asked),
            "rows": written,
            "requests": stats["requests"],
            "units": sum(stats["requests"].values()),
            "retries": stats["retries"],
            "warnings": warnings,
            "partial": partial,
        },
    )
    return 0
