"""Is an answer what its endpoint returns? The envelope-level shape, checked before landing.

An answer that is not (a body that is not JSON, an Analytics ``rows`` that is a string, a
Data API ``items`` that is not a list of objects) goes to Bronze's quarantine with the reason,
never to the table Silver and the ingestion state read: one bad answer must not fail every
later run. Item-level drift (an item without its id, a count sent as a number) is not a
shape error: Silver's expectations drop and count such items, and the rest of the answer is
kept.
"""

from __future__ import annotations

import json
from typing import Any

_SCALARS = (str, int, float, bool, type(None))


def _error_problem(body: Any) -> str | None:
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict | str):
        return "an error answer without Google's error JSON ({'error': {...}})"
    return None


def _analytics_problem(body: dict[str, Any]) -> str | None:
    headers = body.get("columnHeaders")
    if not isinstance(headers, list) or not all(
        isinstance(h, dict) and isinstance(h.get("name"), str) for h in headers
    ):
        return "columnHeaders is not a list of {name: ...} objects"
    rows = body.get("rows", [])
    if rows is None:
        return None
    if not isinstance(rows, list):
        return f"rows is a {type(rows).__name__}, not a list"
    for i, row in enumerate(rows):
        if not isinstance(row, list):
            return f"rows[{i}] is a {type(row).__name__}, not a list"
        if len(row) != len(headers):
            return f"rows[{i}] has {len(row)} values for {len(headers)} columnHeaders"
        if not all(isinstance(v, _SCALARS) for v in row):
            return f"rows[{i}] holds a value that is not a string or a number"
    return None


def _list_problem(body: dict[str, Any]) -> str | None:
    items = body.get("items", [])
    if items is None:
        return None
    if not isinstance(items, list):
        return f"items is a {type(items).__name__}, not a list"
    if not all(isinstance(i, dict) for i in items):
        return "items holds a value that is not an object"
    return None


def _report_file_problem(status: int, text: str) -> str | None:
    """A report file is CSV: a header row of column names (a UTF-8 byte order mark before it
    is allowed), then rows. An empty file is taken as it came (nothing to read in it)."""
    header = text.split("\n", 1)[0].removeprefix("\ufeff").rstrip("\r")
    if status != 200:
        return f"HTTP {status} for a report file"
    if not text.strip():
        return None
    if not header or not all(name and name.replace("_", "").isalnum() for name in header.split(",")):
        return "a report file whose first line is not a header row of column names"
    return None


#: The Bronze envelope's endpoint of a grant record (``bronze.oauth_grants_raw``).
GRANT_ENDPOINT = "oauth2/token"


def problem(endpoint: str, status: int, text: str) -> str | None:
    """Why the answer is not what ``endpoint`` returns (one line), or None when it is.

    ``endpoint`` is the Bronze envelope's (``v2/reports``, ``youtube/v3/videos`` ...).
    """
    if endpoint == "v1/media":  # a Reporting API file: CSV text, not JSON
        return _report_file_problem(status, text)
    try:
        body = json.loads(text)
    except (TypeError, ValueError):
        return f"HTTP {status} answer is not JSON"
    if status != 200:
        return _error_problem(body)
    if not isinstance(body, dict):
        return f"the answer is a JSON {type(body).__name__}, not an object"
    if endpoint.endswith("reports"):
        return _analytics_problem(body)
    if endpoint == GRANT_ENDPOINT:  # the granted scopes (never a token)
        if set(body) != {"scope"} or not isinstance(body["scope"], str):
            return "a grant record must hold only the granted scope list"
        return None
    return _list_problem(body)
