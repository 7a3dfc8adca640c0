"""YouTube Analytics API v2 ``reports.query``."""

from __future__ import annotations

from datetime import date

from ytlake.youtube.http import ApiResponse, GoogleHttp


class AnalyticsApi:
    def __init__(self, http: GoogleHttp, base_url: str) -> None:
        self.http, self.base = http, base_url

    def request(self, params: dict[str, str]) -> ApiResponse:
        """``reports.query`` with ready-made parameters (see ``ReportSpec.params``)."""
        return self.http.get(self.base, "reports", params)

    def query(
        self,
        *,
        start: date,
        end: date,
        metrics: tuple[str, ...],
        dimensions: tuple[str, ...] = (),
        filters: str | None = None,
        ids: str = "channel==MINE",
        sort: str | None = None,
        max_results: int | None = None,
    ) -> ApiResponse:
        params: dict[str, str | int] = {
            "ids": ids,
            "startDate": start.isoformat(),
            "endDate": end.isoformat(),
            "metrics": ",".join(metrics),
        }
        if dimensions:
            params["dimensions"] = ",".join(dimensions)
        if filters:
            params["filters"] = filters
        if sort:
            params["sort"] = sort
        if max_results is not None:
            params["maxResults"] = max_results
        return self.http.get(self.base, "reports", params)
