"""The YouTube Data API v3 list methods the pipeline uses: ``channels.list``,
``playlistItems.list`` and ``videos.list``, with Google's envelopes, parts, paging tokens
and errors."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from datetime import datetime
from typing import Any

from ytlake.emulator import errors
from ytlake.emulator.query import Answer, Params, integer, many, one
from ytlake.emulator.world import Channel, Video, World

CHANNEL_PARTS = {
    "id",
    "snippet",
    "contentDetails",
    "statistics",
    "status",
    "brandingSettings",
    "topicDetails",
    "localizations",
    "auditDetails",
    "contentOwnerDetails",
}

VIDEO_PARTS = {
    "id",
    "snippet",
    "contentDetails",
    "statistics",
    "status",
    "player",
    "topicDetails",
    "recordingDetails",
    "localizations",
    "liveStreamingDetails",
    "fileDetails",
    "processingDetails",
    "suggestions",
    "ageGating",
    "brandPartner",
    "monetizationDetails",
    "paidProductPlacementDetails",
    "projectDetails",
}

PLAYLIST_ITEM_PARTS = {"id", "snippet", "contentDetails", "status"}

ENDPOINT_NAMES = {
    "/youtube/v3/channels": "channels.list",
    "/youtube/v3/playlistItems": "playlistItems.list",
    "/youtube/v3/videos": "videos.list",
}


def _etag(payload: Any) -> str:
    digest = hashlib.blake2b(json.dumps(payload, sort_keys=True).encode(), digest_size=18).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _rfc3339(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _encode_page_token(kind: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{offset}".encode()).decode().rstrip("=")


def _decode_page_token(kind: str, token: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    prefix, _, num = raw.partition(":")
    if prefix != kind or not re.fullmatch(r"[0-9]{1,20}", num):
        return None
    return int(num)


def _three_significant(n: int) -> int:
    if n < 1000:
        return n
    digits = len(str(n))
    factor = 10 ** (digits - 3)
    return (n // factor) * factor


def _video_thumbnails(video_id: str) -> dict[str, Any]:
    base = f"https://i.ytimg.emulator.invalid/vi/{video_id}"
    return {
        "default": {"url": f"{base}/default.jpg", "width": 120, "height": 90},
        "medium": {"url": f"{base}/mqdefault.jpg", "width": 320, "height": 180},
        "high": {"url": f"{base}/hqdefault.jpg", "width": 480, "height": 360},
    }


class DataApi:
    """The Data API's list methods over the world."""

    def __init__(self, world: World, config: Any) -> None:
        self.world = world
        self.config = config

    def _data_api_preamble(
        self, endpoint: str, params: Params, caller: int, allowed_parts: set[str]
    ) -> tuple[int, list[str]] | Answer:
        parts = many(params, "part")
        if not parts:
            return (
                *errors.bad_request(
                    "Required parameter: part", reason="required", domain="global", location="part"
                ),
                {},
            )
        for part in parts:
            if part not in allowed_parts:
                return (
                    *errors.bad_request(
                        f"'{part}'", reason="unknownPart", domain="youtube.part", location="part"
                    ),
                    {},
                )
        return caller, parts

    def _max_results(self, params: Params, low: int, default: int) -> int | Answer:
        raw = one(params, "maxResults")
        if raw is None:
            return default
        number = integer(raw)
        if number is None or not low <= number <= 50:
            msg = f"Invalid value '{raw}'. Values must be within the range: [{low}, 50]"
            return (
                *errors.bad_request(
                    msg, reason="invalidValue", domain="youtube.parameter", location="maxResults"
                ),
                {},
            )
        return number

    @staticmethod
    def _envelope(
        kind: str,
        items: list[dict[str, Any]],
        total: int,
        per_page: int,
        next_token: str | None = None,
        prev_token: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"kind": f"youtube#{kind}ListResponse", "etag": ""}
        if next_token:
            body["nextPageToken"] = next_token
        if prev_token:
            body["prevPageToken"] = prev_token
        body["pageInfo"] = {"totalResults": total, "resultsPerPage": per_page}
        if items:
            body["items"] = items
        body["etag"] = _etag(body)
        return body

    # -- Data API: channels.list -------------------------------------------------------
    def channels(self, params: Params, caller: int) -> Answer:
        pre = self._data_api_preamble("channels.list", params, caller, CHANNEL_PARTS)
        if len(pre) == 3:
            return pre  # type: ignore[return-value]
        caller, parts = pre  # type: ignore[misc]
        per_page = self._max_results(params, 0, 5)
        if isinstance(per_page, tuple):
            return per_page
        mine = (one(params, "mine") or "").lower() == "true"
        ids = many(params, "id")
        if mine == bool(ids):
            msg = (
                "No filter selected. Expected one of: forUsername, managedByMe, categoryId, mine, "
                "mySubscribers, id, idParam, forHandle"
            )
            if mine and ids:
                msg = "Incompatible parameters specified in the request: id, mine"
                return (
                    *errors.bad_request(msg, reason="incompatibleParameters", domain="youtube.parameter"),
                    {},
                )
            return (
                *errors.bad_request(
                    msg, reason="missingRequiredParameter", domain="youtube.parameter", location=""
                ),
                {},
            )
        if mine:
            channels = [self.world.channel(caller)]
        else:
            channels = [c for i in ids if (c := self.world.channel_by_id(i)) is not None]
        items = [self._channel_item(c, parts) for c in channels[:per_page] if per_page]
        return 200, self._envelope("channel", items, len(channels), per_page), {}

    def _channel_item(self, ch: Channel, parts: list[str]) -> dict[str, Any]:
        item: dict[str, Any] = {"kind": "youtube#channel", "etag": "", "id": ch.channel_id}
        if "snippet" in parts:
            item["snippet"] = {
                "title": ch.title,
                "description": ch.description,
                "customUrl": ch.custom_url,
                "publishedAt": _rfc3339(ch.published_at),
                "thumbnails": {
                    "default": {
                        "url": f"https://yt3.emulator.invalid/{ch.channel_id}=s88",
                        "width": 88,
                        "height": 88,
                    },
                    "medium": {
                        "url": f"https://yt3.emulator.invalid/{ch.channel_id}=s240",
                        "width": 240,
                        "height": 240,
                    },
                    "high": {
                        "url": f"https://yt3.emulator.invalid/{ch.channel_id}=s800",
                        "width": 800,
                        "height": 800,
                    },
                },
                "localized": {"title": ch.title, "description": ch.description},
                "country": ch.country,
            }
        if "contentDetails" in parts:
            item["contentDetails"] = {"relatedPlaylists": {"likes": "", "uploads": ch.uploads_playlist_id}}
        if "statistics" in parts:
            videos = self.world.videos_of(ch.index)
            views = sum(
                self.world.lifetime(v).views for v in self.world.videos if v.channel_index == ch.index
            )
            subs = sum(
                self.world.lifetime(v).subscribers_gained - self.world.lifetime(v).subscribers_lost
                for v in self.world.videos
                if v.channel_index == ch.index
            )
            item["statistics"] = {
                "viewCount": str(views),
                "subscriberCount": str(_three_significant(max(subs, 0))),
                "hiddenSubscriberCount": False,
                "videoCount": str(len([v for v in videos if v.privacy_status == "public"])),
            }
        if "status" in parts:
            item["status"] = {
                "privacyStatus": "public",
                "isLinked": True,
                "longUploadsStatus": "allowed",
                "madeForKids": False,
            }
        item["etag"] = _etag(item)
        return item

    # -- Data API: playlistItems.list ---------------------------------------------------
    def playlist_items(self, params: Params, caller: int) -> Answer:
        pre = self._data_api_preamble("playlistItems.list", params, caller, PLAYLIST_ITEM_PARTS)
        if len(pre) == 3:
            return pre  # type: ignore[return-value]
        caller, parts = pre  # type: ignore[misc]
        per_page = self._max_results(params, 0, 5)
        if isinstance(per_page, tuple):
            return per_page
        playlist_id = one(params, "playlistId")
        if not playlist_id:
            msg = "No filter selected. Expected one of: id, playlistId"
            return (
                *errors.bad_request(
                    msg, reason="missingRequiredParameter", domain="youtube.parameter", location=""
                ),
                {},
            )
        channel = next((c for c in self.world.channels if c.uploads_playlist_id == playlist_id), None)
        if channel is None:
            return self._playlist_not_found()
        if not self.world.has_uploads(channel.index):  # a channel that never uploaded
            return self._playlist_not_found()
        videos = self.world.videos_of(channel.index)
        if channel.index != caller:  # other viewers do not see private uploads
            videos = [v for v in videos if v.privacy_status != "private"]
        videos = videos[: self.config.playlist_cap]  # the uploads playlist lists no more than this
        offset = 0
        token = one(params, "pageToken")
        if token:
            decoded = _decode_page_token("PI", token)
            if decoded is None or decoded > len(videos):
                return (
                    *errors.bad_request(
                        "The request specifies an invalid page token.",
                        reason="invalidPageToken",
                        domain="youtube.parameter",
                        location="pageToken",
                    ),
                    {},
                )
            offset = decoded
        page = videos[offset : offset + per_page] if per_page else []
        nxt = (
            _encode_page_token("PI", offset + per_page)
            if per_page and offset + per_page < len(videos)
            else None
        )
        prev = _encode_page_token("PI", max(offset - per_page, 0)) if offset > 0 else None
        items = [self._playlist_item(channel, v, offset + i, parts) for i, v in enumerate(page)]
        return 200, self._envelope("playlistItem", items, len(videos), per_page, nxt, prev), {}

    @staticmethod
    def _playlist_not_found() -> Answer:
        msg = "The playlist identified with the request's <code>playlistId</code> parameter cannot be found."
        return (
            404,
            errors.google_error(
                404, msg, "playlistNotFound", domain="youtube.playlistItem", location="playlistId"
            ),
            {},
        )

    def _playlist_item(self, ch: Channel, v: Video, position: int, parts: list[str]) -> dict[str, Any]:
        item_id = (
            base64.urlsafe_b64encode(f"{ch.uploads_playlist_id}.{v.video_id}".encode()).decode().rstrip("=")
        )
        item: dict[str, Any] = {"kind": "youtube#playlistItem", "etag": "", "id": item_id}
        published = _rfc3339(v.published_at)
        if "snippet" in parts:
            item["snippet"] = {
                "publishedAt": published,
                "channelId": ch.channel_id,
                "title": v.title_on(self.world.today),
                "description": v.description,
                "thumbnails": _video_thumbnails(v.video_id),
                "channelTitle": ch.title,
                "playlistId": ch.uploads_playlist_id,
                "position": position,
                "resourceId": {"kind": "youtube#video", "videoId": v.video_id},
                "videoOwnerChannelTitle": ch.title,
                "videoOwnerChannelId": ch.channel_id,
            }
        if "contentDetails" in parts:
            item["contentDetails"] = {"videoId": v.video_id, "videoPublishedAt": published}
        if "status" in parts:
            item["status"] = {"privacyStatus": v.privacy_status}
        item["etag"] = _etag(item)
        return item

    # -- Data API: videos.list -------------------------------------------------------
    def videos(self, params: Params, caller: int) -> Answer:
        pre = self._data_api_preamble("videos.list", params, caller, VIDEO_PARTS)
        if len(pre) == 3:
            return pre  # type: ignore[return-value]
        caller, parts = pre  # type: ignore[misc]
        # videos.list pages only with myRated (not emulated); the value is still checked, as
        # Google checks every integer parameter against its range (the discovery's [1, 50])
        per_page = self._max_results(params, 1, 5)
        if isinstance(per_page, tuple):
            return per_page
        ids = many(params, "id")
        if not ids:
            msg = "No filter selected. Expected one of: chart, id, myRated"
            return (
                *errors.bad_request(
                    msg, reason="missingRequiredParameter", domain="youtube.parameter", location=""
                ),
                {},
            )
        if len(ids) > 50:
            return (
                *errors.bad_request(
                    "The request specifies an invalid filter parameter.",
                    reason="invalidFilters",
                    domain="youtube.parameter",
                ),
                {},
            )
        today = self.world.today
        found = []
        for vid in ids:
            v = self.world.video(vid)
            if v is None or not v.exists_on(today):
                continue  # deleted or unknown ids are silently omitted
            if v.privacy_status == "private" and v.channel_index != caller:
                continue
            found.append(v)
        items = [self._video_item(v, parts) for v in found]
        return 200, self._envelope("video", items, len(items), len(items)), {}

    def _video_item(self, v: Video, parts: list[str]) -> dict[str, Any]:
        ch = self.world.channel(v.channel_index)
        item: dict[str, Any] = {"kind": "youtube#video", "etag": "", "id": v.video_id}
        if "snippet" in parts:
            snippet: dict[str, Any] = {
                "publishedAt": _rfc3339(v.published_at),
                "channelId": ch.channel_id,
                "title": v.title_on(self.world.today),
                "description": v.description,
                "thumbnails": _video_thumbnails(v.video_id),
                "channelTitle": ch.title,
            }
            tags = v.tags_on(self.world.today)
            if tags:
                snippet["tags"] = list(tags)
            snippet.update(
                {
                    "categoryId": v.category_id,
                    "liveBroadcastContent": "none",
                    "defaultAudioLanguage": "en",
                    "localized": {"title": v.title_on(self.world.today), "description": v.description},
                }
            )
            item["snippet"] = snippet
        if "contentDetails" in parts:
            item["contentDetails"] = {
                "duration": v.duration_iso,
                "dimension": "2d",
                "definition": "hd" if v.duration_seconds % 3 else "sd",
                "caption": "false",
                "licensedContent": True,
                "contentRating": {},
                "projection": "rectangular",
            }
        if "status" in parts:
            item["status"] = {
                "uploadStatus": "processed",
                "privacyStatus": v.privacy_status,
                "license": "youtube",
                "embeddable": True,
                "publicStatsViewable": True,
                "madeForKids": False,
            }
        if "statistics" in parts:
            life = self.world.lifetime(v)
            stats = {"viewCount": str(life.views)}
            if not v.likes_hidden:
                stats["likeCount"] = str(life.likes)
            stats["dislikeCount"] = str(life.likes // 30)
            stats["favoriteCount"] = "0"
            stats["commentCount"] = str(life.comments)
            item["statistics"] = stats
        item["etag"] = _etag(item)
        return item
