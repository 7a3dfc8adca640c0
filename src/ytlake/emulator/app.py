"""The emulator's HTTP face (Starlette): every request goes to ``Emulator.handle``."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ytlake.emulator.service import Emulator


def create_app(emulator: Emulator) -> Starlette:
    async def endpoint(request: Request) -> Response:
        params: dict[str, list[str]] = {}
        for key, value in request.query_params.multi_items():
            params.setdefault(key, []).append(value)
        form: dict[str, list[str]] | None = None
        if request.method == "POST":
            raw = (await request.body()).decode("utf-8", "replace")
            form = parse_qs(raw, keep_blank_values=True)
        headers = {k.lower(): v for k, v in request.headers.items()}
        if emulator.config.latency_ms:
            await asyncio.sleep(emulator.config.latency_ms / 1000)
        status, body, extra = emulator.handle(request.method, request.url.path, params, headers, form)
        content = (
            json.dumps(body, separators=(",", ":"), ensure_ascii=False)
            if not isinstance(body, bytes | str)
            else body
        )
        return Response(
            content, status_code=status, headers=extra, media_type="application/json; charset=UTF-8"
        )

    return Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "POST"])])
