"""YouTube Data API v3: the list methods the pipeline uses (1 quota unit per call)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ytlake.youtube.http import ApiResponse, GoogleHttp
from ytlake.youtube.paging import paginate

CHANNEL_PARTS = "snippet,contentDetails,statistics"
PLAYLIST_ITEM_PARTS = "snippet,contentDetails,status"
VIDEO_PARTS = "snippet,contentDetails,statistics,status"
MAX_PAGE = 50


class DataApi:
    def __init__(self, http: GoogleHttp, base_url: str) -> None:
        self.http, self.base = http, base_url

    def my_channel(self) -> ApiResponse:
        """``channels.list(mine=true)`` with snippet, contentDetails and statistics."""
        return self.http.get(self.base, "channels", {"part": CHANNEL_PARTS, "mine": "true"})

    def playlist_pages(self, playlist_id: str) -> Iterator[ApiResponse]:
        """Every page of a playlist (50 items a page)."""

        def fetch(token: str | None) -> ApiResponse:
            params = {"part": PLAYLIST_ITEM_PARTS, "playlistId": playlist_id, "maxResults": MAX_PAGE}
            if token:
                params["pageToken"] = token
            return self.http.get(self.base, "playlistItems", params)

        return paginate(fetch)

    def videos(self, video_ids: Iterable[str]) -> Iterator[ApiResponse]:
        """``videos.list`` in batches of 50 ids."""
        ids = list(dict.fromkeys(video_ids))
        for i in range(0, len(ids), MAX_PAGE):
            batch = ids[i : i + MAX_PAGE]
            yield self.http.get(self.base, "videos", {"part": VIDEO_PARTS, "id": ",".join(batch)})


def uploads_playlist_id(channels_answer: ApiResponse) -> tuple[str, str]:
    """``(channel_id, uploads playlist id)`` from a ``channels.list(mine=true)`` answer."""
    items = (channels_answer.json or {}).get("items") or []
    if not items:
        raise LookupError("channels.list(mine=true) returned no channel: the account has no YouTube channel")
    item = items[0]
    return item["id"], item["contentDetails"]["relatedPlaylists"]["uploads"]


def public_video_count(channels_answer: ApiResponse) -> int | None:
    """``statistics.videoCount`` of the channel (its public videos), when Google gave it."""
    items = (channels_answer.json or {}).get("items") or []
    try:
        return int(items[0]["statistics"]["videoCount"])
    except (IndexError, KeyError, TypeError, ValueError):
        return None


def video_ids_of(page: ApiResponse) -> list[str]:
    items = (page.json or {}).get("items") or []
    return [i["contentDetails"]["videoId"] for i in items if "contentDetails" in i]
