"""Follow ``nextPageToken``; refuse a repeated token (a server loop would never end)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ytlake.youtube.http import ApiResponse


class RepeatedPageTokenError(RuntimeError):
    pass


def paginate(fetch: Callable[[str | None], ApiResponse]) -> Iterator[ApiResponse]:
    """Yield every page: ``fetch(None)`` first, then ``fetch(token)`` while one is given."""
    seen: set[str] = set()
    token: str | None = None
    while True:
        page = fetch(token)
        yield page
        body = page.json or {}
        token = body.get("nextPageToken") if isinstance(body, dict) else None
        if not token:
            return
        if token in seen:
            raise RepeatedPageTokenError(f"{page.endpoint} repeated page token {token!r}; stopping")
        seen.add(token)
