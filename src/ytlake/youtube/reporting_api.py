"""YouTube Reporting API v1: the jobs the pipeline needs, the reports they made, their files.

Google generates one file per report type and Pacific day once a job exists for the type
(``jobs.create``, once per channel and type; the first files come ~48 hours later, with the
30 days before the job as historical files). Files are downloaded from each report's
``downloadUrl`` with the same OAuth token; the token is never sent anywhere but the API's
own origin.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ytlake.youtube.http import GoogleApiError, GoogleHttp

#: ``--analytics-mode``: query: v2 only (one request per video and report); bulk: the Reporting
#: API's files only; hybrid: the files, and v2 as in query mode (until Silver reads the files,
#: v2 stays the source of every day: hybrid costs the files on top).
ANALYTICS_MODES = ("query", "bulk", "hybrid")
#: The channel report types the pipeline lands (current versions; see the emulator's
#: catalogue and Google's channel_reports page). ``channel_combined_a3`` is left out: every
#: figure it holds is in the others.
BULK_REPORT_TYPES: tuple[str, ...] = (
    "channel_basic_a3",
    "channel_traffic_source_a3",
    "channel_device_os_a3",
    "channel_playback_location_a3",
    "channel_province_a3",
    "channel_sharing_service_a1",
    "channel_demographics_a1",
    "channel_subtitles_a3",
)
#: What the pipeline names its jobs (``jobs.create`` takes a name).
JOB_NAME_PREFIX = "ytlake "
#: Lines per Bronze row of a file (the header row is repeated in each part).
LINES_PER_PART = 20_000


class ReportingApi:
    def __init__(self, http: GoogleHttp, base_url: str) -> None:
        self.http, self.base = http, base_url.rstrip("/")

    def _pages(self, endpoint: str, key: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        token = None
        while True:
            asked = {**params, **({"pageToken": token} if token else {})}
            body = self.http.get(self.base, endpoint, asked).json or {}
            out += [item for item in body.get(key) or [] if isinstance(item, dict)]
            token = body.get("nextPageToken")
            if not token:
                return out

    def jobs(self) -> list[dict[str, Any]]:
        return self._pages("jobs", "jobs", {})

    def ensure_jobs(self, type_ids: tuple[str, ...]) -> tuple[dict[str, dict[str, Any]], list[str]]:
        """A job for each report type (the existing one, or one created now: idempotent, and a
        409 from a job created meanwhile is taken as found); returns the jobs by type and the
        types whose job was created now."""
        found = {j.get("reportTypeId"): j for j in self.jobs()}
        created = []
        for type_id in type_ids:
            if type_id in found:
                continue
            body = {"reportTypeId": type_id, "name": f"{JOB_NAME_PREFIX}{type_id}"}
            try:
                found[type_id] = self.http.call("POST", self.base, "jobs", {}, body).json or {}
                created.append(type_id)
            except GoogleApiError as err:
                if err.status != 409:
                    raise
                found = {j.get("reportTypeId"): j for j in self.jobs()}
        return {t: found[t] for t in type_ids if t in found}, created

    def reports(self, job_id: str) -> list[dict[str, Any]]:
        """Every report of the job Google still lists (files expire after 60 days, historical
        ones after 30), oldest first."""
        listed = self._pages(f"jobs/{job_id}/reports", "reports", {})
        return sorted(listed, key=lambda r: (str(r.get("createTime")), str(r.get("id"))))

    def download(self, url: str) -> Iterator[list[str]]:
        """The file at a report's ``downloadUrl``, in parts of at most ``LINES_PER_PART`` lines
        (the token goes to the API's own origin only)."""
        return self.http.download(url, LINES_PER_PART, origin=self.base)
