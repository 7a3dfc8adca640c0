"""ingest_data_api_to_bronze: the channel, every uploads-playlist page and the videos.

Calls: ``channels.list(mine=true)``, ``playlistItems.list`` page by page (50 a page) and
``videos.list`` in batches of 50 ids; one Bronze row per call.
"""

from __future__ import annotations

from ytlake.lakehouse.bronze import BronzeBatch
from ytlake.tasks import common
from ytlake.tasks.google import google_http
from ytlake.taskvalues import current
from ytlake.youtube.data_api import DataApi, uploads_playlist_id, video_ids_of

TASK_KEY = "ingest_data_api_to_bronze"


def main(argv: list[str] | None = None) -> int:
    p = common.parser(TASK_KEY, "Land channels, playlist items and videos (Data API v3) in Bronze.")
    common.add_google_args(p)
    args = p.parse_args(argv)
    common.setup_logging()
    ctx = current()
    run = common.run_info(ctx)

    def batch(table: str) -> BronzeBatch:
        return BronzeBatch(f"bronze.{table}", run.run_id, run.snapshot_date, run.source_system)

    channels, items, videos = batch("channels_raw"), batch("playlist_items_raw"), batch("videos_raw")
    with google_http(args) as (http, root):
        api = DataApi(http, root.data_api)
        answer = api.my_channel()
        channels.add("youtube/v3/channels", answer.params, answer.status, answer.text)
        channel_id, uploads = uploads_playlist_id(answer)
        video_ids: list[str] = []
        for page in api.playlist_pages(uploads):
            items.add("youtube/v3/playlistItems", page.params, page.status, page.text)
            video_ids.extend(video_ids_of(page))
        for answer in api.videos(video_ids):
            videos.add("youtube/v3/videos", answer.params, answer.status, answer.text)
        stats = http.stats.as_dict()
    with common.engine_from(args) as engine:
        written = common.replace_run_rows(engine, [channels, items, videos], run.run_id)
    tv = ctx.task_values
    tv.set("channel_id", channel_id)
    tv.set("video_ids", video_ids)
    tv.set("rows", written)
    tv.set("requests", stats["requests"])
    common.emit_summary(
        TASK_KEY,
        {
            "channel_id": channel_id,
            "videos": len(video_ids),
            "rows": written,
            "requests": stats["requests"],
            "units": sum(stats["requests"].values()),
            "retries": stats["retries"],
        },
    )
    return 0
