"""YouTube Analytics API v2 ``reports.query``: the supported-query rules (``rules``) and
Google's answers and errors."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from ytlake.emulator import errors, rules
from ytlake.emulator.query import INT32_MAX, Answer, Params, integer, many, one
from ytlake.emulator.world import World

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

#: Analytics v1's names of reports.query parameters. v2 (``startDate``, ``maxResults``...) is a
#: One Platform API (its discovery document has ``$.xgafv``), whose front end refuses a query
#: parameter the method does not have: 400 INVALID_ARGUMENT "Cannot bind query parameter".
#: The emulator refuses these, the names a client written for v1 sends; other unknown names
#: are still ignored (some callers, tests among them, send the Data API's ``part``).
_V1_REPORTS_PARAMS = frozenset({"start-date", "end-date", "max-results", "start-index"})


class AnalyticsApi:
    """``reports.query`` over the world, as irregular as the configuration says."""

    def __init__(self, world: World, config: Any) -> None:
        self.world = world
        self.config = config

    # -- Analytics v2: reports.query -----------------------------------------------------
    def reports(self, params: Params, caller: int) -> Answer:
        for name in params:
            if name in _V1_REPORTS_PARAMS:
                return (*errors.unknown_parameter(name), {})
        for required in ("ids", "startDate", "endDate", "metrics"):
            if not one(params, required):
                return 400, errors.google_error(400, "Required", "required", location=required), {}
        ids = one(params, "ids") or ""
        channel = self.world.channel(caller)
        if ids not in ("channel==MINE", f"channel=={channel.channel_id}"):
            return (*errors.forbidden(), {})
        start_raw, end_raw = one(params, "startDate") or "", one(params, "endDate") or ""
        dates = []
        for name, raw in (("startDate", start_raw), ("endDate", end_raw)):
            try:
                if not _DATE.fullmatch(raw):
                    raise ValueError(raw)
                dates.append(date.fromisoformat(raw))
            except ValueError:
                return (
                    *errors.bad_request(
                        f"Invalid value '{raw}'. Values must match the following "
                        "regular expression: '[0-9]{4}-[0-9]{2}-[0-9]{2}'",
                        reason="invalidParameter",
                        location=name,
                    ),
                    {},
                )
        start, end = dates
        if start > end:
            return (
                *errors.bad_request(
                    "The start date must be before or equal to the end date.", reason="badRequest"
                ),
                {},
            )
        filters: dict[str, str] = {}
        for clause in (one(params, "filters") or "").split(";"):
            if clause:
                key, sep, value = clause.partition("==")
                if not sep or not value:
                    return (*errors.bad_request(f"Invalid filter: {clause}"), {})
                filters[key] = value
        if set(filters) - {"video"}:
            return (*errors.unsupported_query(), {})
        videos = None
        if "video" in filters:
            videos = []
            for vid in filters["video"].split(","):
                video = self.world.video(vid)
                if video is not None and video.channel_index != caller and video.exists_on(self.world.today):
                    return (*errors.forbidden(), {})  # someone else's video
                if video is None or not video.exists_on(self.world.today):
                    return (
                        *errors.bad_request(
                            f"The video identified by the filters parameter ({vid}) could not be found.",
                            reason="badRequest",
                            location="filters",
                        ),
                        {},
                    )
                videos.append(video)
        numbers = {}
        for name in ("maxResults", "startIndex"):
            raw = one(params, name)
            if raw is not None:
                number = integer(raw)
                if number is None or not 1 <= number <= INT32_MAX:  # int32, 1-based
                    return (
                        *errors.bad_request(
                            f"Invalid value '{raw}' for {name}.", reason="invalidParameter", location=name
                        ),
                        {},
                    )
                numbers[name] = number
        query = rules.Query(
            start,
            end,
            many(params, "metrics"),
            many(params, "dimensions"),
            videos,
            many(params, "sort"),
            numbers.get("maxResults"),
            numbers.get("startIndex", 1),
            monetary_scope=one(params, "__monetary") == "1",
            partner=one(params, "__partner") != "0",
        )
        try:
            column_headers, rows = rules.answer(self.world, caller, query, self.config.irregular)
        except rules.QueryError as err:
            if err.kind in ("unknown", "invalid"):
                return (*errors.bad_request(str(err)), {})
            if err.kind == "forbidden":
                return (*errors.forbidden(), {})
            return (*errors.unsupported_query(), {})
        body: dict[str, Any] = {"kind": "youtubeAnalytics#resultTable", "columnHeaders": column_headers}
        if rows:
            body["rows"] = rows
        return 200, body, {}
