"""YouTube Analytics API v2 ``reports.query``."""

from __future__ import annotations

from ytlake.youtube.http import ApiResponse, GoogleApiError, GoogleHttp

#: How Google's 400 for a query shape it does not support begins.
UNSUPPORTED_QUERY = "The query is not supported"


class AnalyticsApi:
    def __init__(self, http: GoogleHttp, base_url: str) -> None:
        self.http, self.base = http, base_url

    def request(self, params: dict[str, str]) -> ApiResponse:
        """``reports.query`` with ready-made parameters (see ``ReportSpec.params``)."""
        return self.http.get(self.base, "reports", params)


def concerns_one_video(err: GoogleApiError) -> bool:
    """Whether an error answer is about the one video its request filtered on — gone, private
    or not the channel's — rather than about the query, the credentials or the channel.

    Only those skip the video; anything else (an unsupported query, an unknown metric, a
    missing scope, a channel that is not the caller's) is the same for every request and
    stops the task.
    """
    response = err.response
    filters = str(response.params.get("filters", "")) if response is not None else ""
    if response is None or not filters.startswith("video==") or ";" in filters:
        return False
    video_id = filters.removeprefix("video==")
    body = response.json if isinstance(response.json, dict) else {}
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    items = [e for e in error.get("errors") or [] if isinstance(e, dict)]
    reasons = {str(e.get("reason", "")) for e in items}
    locations = {str(e.get("location", "")) for e in items}
    if err.status == 404:
        return True
    if err.status == 403:
        return reasons == {"forbidden"}  # a video the channel does not own
    if err.status == 400:
        if err.message.startswith((UNSUPPORTED_QUERY, "Unknown identifier")) or "required" in reasons:
            return False
        return "filters" in locations or video_id in err.message
    return False
