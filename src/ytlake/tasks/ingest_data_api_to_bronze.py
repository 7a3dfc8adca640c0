"""ingest_data_api_to_bronze: the channel, every uploads-playlist page and the videos.

Calls: ``channels.list(mine=true)`` (1 unit), every page of the uploads playlist (50 items a
page, 1 unit each) and ``videos.list`` in batches of 50 ids (1 unit each) — the playlist's
videos plus those the previous run saw, so a video that vanished is asked once more and
recorded as not returned. One Bronze row per call; a rerun of the same run replaces its rows.

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

import httpx

from ytlake.lakehouse.bronze import BronzeBatch
from ytlake.tasks import common
from ytlake.tasks.google import google_http
from ytlake.tasks.ingest_state import previously_returned_ids
from ytlake.taskvalues import current
from ytlake.youtube.data_api import (
    MAX_PAGE,
    DataApi,
    public_video_count,
    uploads_playlist_id,
    video_ids_of,
)
from ytlake.youtube.http import GoogleApiError, QuotaExceededError, RetryableError

TASK_KEY = "ingest_data_api_to_bronze"
TABLES = ("channels_raw", "playlist_items_raw", "videos_raw")


def main(argv: list[str] | None = None) -> int:
    p = common.parser(TASK_KEY, "Land channels, playlist items and videos (Data API v3) in Bronze.")
    common.add_google_args(p)
    args = p.parse_args(argv)
    common.setup_logging()
    ctx = current()
    run = common.run_info(ctx)
    batches = {
        t: BronzeBatch(f"bronze.{t}", run.run_id, run.snapshot_date, run.source_system) for t in TABLES
    }
    with common.engine_from(args) as engine:
        known_before = previously_returned_ids(engine, run.run_id)
    partial = None
    warnings: list[str] = []
    channel_id, video_ids, asked = None, [], []
    with google_http(args) as (http, root):
        api = DataApi(http, root.data_api)
        try:
            answer = api.my_channel()
            batches["channels_raw"].add("youtube/v3/channels", answer.params, answer.status, answer.text)
            channel_id, uploads = uploads_playlist_id(answer)
            try:
                for page in api.playlist_pages(uploads):
                    batches["playlist_items_raw"].add(
                        "youtube/v3/playlistItems", page.params, page.status, page.text
                    )
                    video_ids.extend(video_ids_of(page))
            except GoogleApiError as err:
                if err.status != 404 or err.reason != "playlistNotFound" or err.response is None:
                    raise
                # the channel never uploaded: no uploads playlist, zero videos
                r = err.response
                batches["playlist_items_raw"].add("youtube/v3/playlistItems", r.params, r.status, r.text)
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
                batches["videos_raw"].add("youtube/v3/videos", answer.params, answer.status, answer.text)
        except (QuotaExceededError, RetryableError, httpx.TransportError) as err:
            done = len(batches["videos_raw"])
            needed = math.ceil(len(asked) / MAX_PAGE) if asked else None
            why = (
                "Data API quota exceeded"
                if isinstance(err, QuotaExceededError)
                else f"Google unavailable ({err})"
            )
            if isinstance(err, QuotaExceededError | RetryableError) and err.response is not None:
                r = err.response  # recorded as answered (a refusal): Bronze keeps every call
                endpoint = f"youtube/v3/{r.endpoint}"
                table = {"channels": "channels_raw", "playlistItems": "playlist_items_raw"}.get(
                    r.endpoint, "videos_raw"
                )
                batches[table].add(endpoint, r.params, r.status, r.text)
            partial = (
                f"{why}: fetched {len(batches['playlist_items_raw'])} playlist page(s) "
                f"and {done}{f' of {needed}' if needed else ''} videos.list batch(es); "
                "the next run fetches the rest"
            )
            common.log.warning("%s: %s", TASK_KEY, partial)
        stats = http.stats.as_dict()
    with common.engine_from(args) as engine:
        written = common.replace_run_rows(engine, list(batches.values()), run.run_id)
    tv = ctx.task_values
    if channel_id:
        tv.set("channel_id", channel_id)
    tv.set("rows", written)
    tv.set("requests", stats["requests"])
    tv.set("retries", stats["retries"])
    tv.set("warnings", warnings)
    if partial:
        tv.set("partial", partial)
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
