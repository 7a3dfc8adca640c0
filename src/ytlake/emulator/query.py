"""Query parameters as Google's front ends read them (shared by the emulator's APIs)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

Params = Mapping[str, list[str]]
Answer = tuple[int, Any, dict[str, str]]

#: An integer as Google reads a query parameter: ASCII digits, an optional minus sign. More
#: than 20 digits is out of every range (and int() refuses thousands of digits).
INTEGER = re.compile(r"-?[0-9]{1,20}")

INT32_MAX = 2**31 - 1


def integer(raw: str) -> int | None:
    """``raw`` as an integer parameter, or None when it is not one (see ``INTEGER``)."""
    return int(raw) if INTEGER.fullmatch(raw) else None


def many(params: Params, name: str) -> list[str]:
    """All values of a repeated parameter, accepting repeated keys and comma lists."""
    out: list[str] = []
    for raw in params.get(name, []):
        out.extend(v.strip() for v in raw.split(",") if v.strip())
    return out


def one(params: Params, name: str) -> str | None:
    vals = params.get(name)
    return vals[-1] if vals else None
