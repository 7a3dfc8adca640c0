"""ingest_data_api_to_bronze: the channel, every uploads-playlist page and the videos.

Calls: ``channels.list(mine=true)`` (1 unit), every page of the uploads playlist (50 items a
page, 1 unit each) and ``videos.list`` in batches of 50 ids (1 unit each) — the playlist's
videos plus those the previous run saw, so a video that vanished is asked once more and
recorded as not returned. One Bronze row per call; a rerun of the same run replaces its rows.

On ``quotaExceeded`` it stops cleanly: what was fetched lands, the task succeeds, and the
task value ``partial`` says what is missing (the run ends PARTIAL; the next run fetches it).
"""

from __future__ import annotations

import math

from ytlake.lakehouse.bronze import BronzeBatch
from ytlake.tasks import common
from ytlake.tasks.google import google_http
from ytlake.tasks.ingest_state import previously_returned_ids
from ytlake.taskvalues import current
from ytlake.youtube.data_api import MAX_PAGE, DataApi, uploads_playlist_id, video_ids_of
from ytlake.youtube.http import QuotaExceededError

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
    channel_id, video_ids, asked = None, [], []
    with google_http(args) as (http, root):
        api = DataApi(http, root.data_api)
        try:
            answer = api.my_channel()
            batches["channels_raw"].add("youtube/v3/channels", answer.params, answer.status, answer.text)
            channel_id, uploads = uploads_playlist_id(answer)
            for page in api.playlist_pages(uploads):
                batches["playlist_items_raw"].add(
                    "youtube/v3/playlistItems", page.params, page.status, page.text
                )
                video_ids.extend(video_ids_of(page))
            asked = list(dict.fromkeys([*video_ids, *known_before]))
            for answer in api.videos(asked):
                batches["videos_raw"].add("youtube/v3/videos", answer.params, answer.status, answer.text)
        except QuotaExceededError:
            done = len(batches["videos_raw"])
            needed = math.ceil(len(asked) / MAX_PAGE) if asked else None
            partial = (
                f"Data API quota exceeded: fetched {len(batches['playlist_items_raw'])} playlist page(s) "
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
            "partial": partial,
        },
    )
    return 0
