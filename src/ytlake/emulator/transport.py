"""The emulator without a socket: an httpx transport that hands each request to
``Emulator.handle`` in-process, as the HTTP face (``app.py``) does over the network.

For benchmarks that need millions of answers (the L world's Bronze): the pipeline's own
HTTP client, retry and ingestion code run unchanged, only the wire is gone. Latency is not
simulated; a dropped connection fault raises what httpx raises for one.
"""

from __future__ import annotations

import httpx

from ytlake.emulator.app import MEDIA_TYPE, encode_body, parse_body
from ytlake.emulator.service import Emulator

#: The base URL the in-process emulator answers under (never resolved: httpx mounts it).
IN_PROCESS_ROOT = "http://emulator.in-process"


class EmulatorTransport(httpx.BaseTransport):
    """httpx transport answering from an :class:`Emulator` in this process."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        params: dict[str, list[str]] = {}
        for key, value in request.url.params.multi_items():
            params.setdefault(key, []).append(value)
        form = None
        if request.method == "POST":
            form = parse_body(request.read(), request.headers.get("content-type", ""))
        headers = {k.lower(): v for k, v in request.headers.items()}
        status, body, extra = self.emulator.handle(request.method, request.url.path, params, headers, form)
        extra.pop("x-emulator-delay-ms", None)
        if extra.pop("x-emulator-reset", None):
            raise httpx.RemoteProtocolError("peer closed connection mid-answer", request=request)
        content = encode_body(body)
        return httpx.Response(
            status,
            headers={"content-type": MEDIA_TYPE, **extra},
            content=content.encode() if isinstance(content, str) else content,
            request=request,
        )
