"""Every field the emulator sends is defined, with its type, in Google's discovery documents
shipped inside google-api-python-client."""

import json
from datetime import timedelta

import httpx
import pytest
from googleapiclient.discovery_cache import get_static_doc

from ytlake.emulator.server import running_emulator

from ..conftest import tiny_world_config


class SchemaMismatch(AssertionError):
    pass


def check(value, schema, schemas, path="$"):
    """Check ``value`` against a discovery-document schema (types, known properties)."""
    if "$ref" in schema:
        return check(value, schemas[schema["$ref"]], schemas, path)
    kind = schema.get("type")
    if kind == "object":
        if not isinstance(value, dict):
            raise SchemaMismatch(f"{path}: expected object, got {type(value).__name__}")
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key in props:
                check(item, props[key], schemas, f"{path}.{key}")
            elif extra is not None:
                check(item, extra, schemas, f"{path}.{key}")
            else:
                raise SchemaMismatch(f"{path}.{key}: not defined by the discovery document")
    elif kind == "array":
        if not isinstance(value, list):
            raise SchemaMismatch(f"{path}: expected array")
        for i, item in enumerate(value):
            check(item, schema.get("items", {}), schemas, f"{path}[{i}]")
    elif kind == "string":
        if not isinstance(value, str):
            raise SchemaMismatch(f"{path}: expected string (format {schema.get('format')}), got {value!r}")
    elif kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            raise SchemaMismatch(f"{path}: expected integer, got {value!r}")
    elif kind == "number":
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise SchemaMismatch(f"{path}: expected number")
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise SchemaMismatch(f"{path}: expected boolean, got {value!r}")
    elif kind == "any" or kind is None:
        return
    else:
        raise SchemaMismatch(f"{path}: unknown schema type {kind}")


YOUTUBE = json.loads(get_static_doc("youtube", "v3"))
ANALYTICS = json.loads(get_static_doc("youtubeAnalytics", "v2"))


def test_the_checker_rejects_what_google_would_not_send():
    with pytest.raises(SchemaMismatch, match="not defined"):
        check({"kind": "x", "surprise": 1}, {"$ref": "ChannelListResponse"}, YOUTUBE["schemas"])
    with pytest.raises(SchemaMismatch, match="expected string"):
        check({"viewCount": 5}, {"$ref": "ChannelStatistics"}, YOUTUBE["schemas"])


@pytest.fixture(scope="module")
def session():
    with running_emulator(tiny_world_config(videos=12, history_days=40, seed=11)) as emu:
        token = httpx.post(
            f"{emu.base_url}/token",
            data={
                "grant_type": "refresh_token",
                "client_id": "ytlake-demo-client",
                "client_secret": "ytlake-demo-secret",
                "refresh_token": "ytlake-demo-refresh-token",
            },
        ).json()
        client = httpx.Client(
            base_url=emu.base_url, headers={"authorization": f"Bearer {token['access_token']}"}
        )
        yield client, emu.world
        client.close()


def _method_schema(doc, resource, method):
    return doc["resources"][resource]["methods"][method]["response"]


def test_data_api_answers_match_the_discovery_document(session):
    client, world = session
    schemas = YOUTUBE["schemas"]
    ch = client.get(
        "/youtube/v3/channels", params={"part": "snippet,contentDetails,statistics,status", "mine": "true"}
    )
    check(ch.json(), _method_schema(YOUTUBE, "channels", "list"), schemas)
    uploads = ch.json()["items"][0]["contentDetails"]["relatedPlaylists"]["uploads"]
    page = client.get(
        "/youtube/v3/playlistItems",
        params={"part": "snippet,contentDetails,status", "playlistId": uploads, "maxResults": 5},
    )
    check(page.json(), _method_schema(YOUTUBE, "playlistItems", "list"), schemas)
    ids = ",".join(v.video_id for v in world.videos)
    videos = client.get(
        "/youtube/v3/videos", params={"part": "snippet,contentDetails,statistics,status", "id": ids}
    )
    body = videos.json()
    check(body, _method_schema(YOUTUBE, "videos", "list"), schemas)
    assert any("likeCount" not in v["statistics"] for v in body["items"]), "hidden likes are absent"
    assert len(body["items"]) < len(world.videos), "deleted videos are omitted"
    empty = client.get("/youtube/v3/channels", params={"part": "id", "id": "UCnobodyhere"}).json()
    check(empty, _method_schema(YOUTUBE, "channels", "list"), schemas)
    assert "items" not in empty


@pytest.mark.parametrize("dims", ["day", "insightTrafficSourceType,day", "deviceType,day", "country"])
def test_analytics_answers_match_the_discovery_document(session, dims):
    client, world = session
    start = world.today - timedelta(days=10)
    metrics = "views,estimatedMinutesWatched"
    answer = client.get(
        "/v2/reports",
        params={
            "ids": "channel==MINE",
            "startDate": start.isoformat(),
            "endDate": world.today.isoformat(),
            "metrics": metrics,
            "dimensions": dims,
        },
    ).json()
    check(answer, _method_schema(ANALYTICS, "reports", "query"), ANALYTICS["schemas"])


def test_error_answers_have_googles_shape(session):
    client, _ = session
    body = client.get(
        "/v2/reports",
        params={
            "ids": "channel==MINE",
            "startDate": "2026-01-01",
            "endDate": "2026-01-02",
            "metrics": "views",
            "dimensions": "video,day",
        },
    ).json()
    assert set(body) == {"error"}
    assert set(body["error"]) >= {"code", "message", "errors"}
    assert set(body["error"]["errors"][0]) >= {"message", "domain", "reason"}
