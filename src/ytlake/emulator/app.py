"""The emulator's HTTP face (Starlette): every request goes to ``Emulator.handle``."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ytlake.emulator.service import Emulator

MEDIA_TYPE = "application/json; charset=UTF-8"


def parse_body(raw: bytes, content_type: str) -> dict[str, list[str]]:
    """A POST body as ``Emulator.handle`` takes it: form fields, or a JSON body (the Reporting
    API's ``jobs.create``) under ``__json__``."""
    text = raw.decode("utf-8", "replace")
    if content_type.startswith("application/json"):
        return {"__json__": [text]}
    return parse_qs(text, keep_blank_values=True)


def encode_body(body: object) -> bytes | str:
    """An answer's body as sent: JSON text, or bytes / text the emulator already encoded."""
    if isinstance(body, bytes | str):
        return body
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


class _DroppedResponse(Response):
    """Promise a body, send part of it, stop: the client sees the connection drop mid-answer.
    A report file is cut after half its bytes (the reader has taken some lines by then); a
    JSON answer after its first bytes."""

    def __init__(self, body: bytes | None = None, encoding: str | None = None) -> None:
        super().__init__()
        self.file, self.encoding = body, encoding

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[override]
        if self.file is not None:
            kind, promised, sent = (
                b"application/octet-stream",
                len(self.file) + 1,
                self.file[: len(self.file) // 2],
            )
        else:
            kind, promised, sent = b"application/json", 4096, b'{"kind": "youtube#'
        headers = [(b"content-type", kind), (b"content-length", str(promised).encode())]
        if self.file is not None and self.encoding:  # gzip as promised, cut all the same
            headers.append((b"content-encoding", self.encoding.encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": sent, "more_body": False})


def create_app(emulator: Emulator) -> Starlette:
    async def endpoint(request: Request) -> Response:
        params: dict[str, list[str]] = {}
        for key, value in request.query_params.multi_items():
            params.setdefault(key, []).append(value)
        form = None
        if request.method == "POST":
            form = parse_body(await request.body(), request.headers.get("content-type", ""))
        headers = {k.lower(): v for k, v in request.headers.items()}
        if emulator.config.latency_ms:
            await asyncio.sleep(emulator.config.latency_ms / 1000)
        # In a worker thread, not on the event loop: one client's long answer (a big world, a
        # slow machine) never holds up another client's request. Emulator is thread-safe
        # (the in-process transport calls it from many threads too).
        status, body, extra = await run_in_threadpool(
            emulator.handle, request.method, request.url.path, params, headers, form
        )
        delay = extra.pop("x-emulator-delay-ms", None)
        if delay:
            await asyncio.sleep(int(delay) / 1000)
        if extra.pop("x-emulator-reset", None):
            is_file = isinstance(body, bytes) and extra.get("content-type", MEDIA_TYPE) != MEDIA_TYPE
            return _DroppedResponse(body if is_file else None, extra.get("content-encoding"))
        media_type = extra.pop("content-type", MEDIA_TYPE)  # a report file is not JSON
        return Response(encode_body(body), status_code=status, headers=extra, media_type=media_type)

    return Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "POST", "DELETE"])])
