"""YouTube Analytics API v2 ``reports.query``."""

from __future__ import annotations

from ytlake.youtube.http import ApiResponse, GoogleHttp


class AnalyticsApi:
    def __init__(self, http: GoogleHttp, base_url: str) -> None:
        self.http, self.base = http, base_url

    def request(self, params: dict[str, str]) -> ApiResponse:
        """``reports.query`` with ready-made parameters (see ``ReportSpec.params``)."""
        return self.http.get(self.base, "reports", params)
