"""Google's error JSON, as the YouTube APIs and the OAuth token endpoint send it."""

from __future__ import annotations

from typing import Any


def one_platform_error(code: int, message: str, status: str) -> tuple[int, dict[str, Any]]:
    """The error body of Google's v1 (One Platform) APIs, the Reporting API's:
    ``{"error": {"code", "message", "status"}}``, without the older ``errors[]`` list."""
    return code, {"error": {"code": code, "message": message, "status": status}}


def google_error(
    code: int,
    message: str,
    reason: str,
    domain: str = "global",
    location: str | None = None,
    location_type: str | None = None,
    status: str | None = None,
    details: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    item: dict[str, Any] = {"message": message, "domain": domain, "reason": reason}
    if location is not None:
        item["location"] = location
        item["locationType"] = location_type or "parameter"
    body: dict[str, Any] = {"code": code, "message": message, "errors": [item]}
    if status:
        body["status"] = status
    if details:
        body["details"] = details
    return {"error": body}


#: The emulator's Google Cloud project, as quota errors name it.
PROJECT_NUMBER = "1010101010"
#: The API services, as Google's quota errors name them.
DATA_API_SERVICE = "youtube.googleapis.com"
ANALYTICS_SERVICE = "youtubeanalytics.googleapis.com"
REPORTING_SERVICE = "youtubereporting.googleapis.com"
#: The shapes a spent daily quota takes (``--quota-error``).
QUOTA_ERRORS = ("quotaExceeded", "dailyLimitExceeded", "rateLimitExceeded")


QUOTA_MESSAGE = (
    "The request cannot be completed because you have exceeded your "
    '<a href="/youtube/v3/getting-started#quota">quota</a>.'
)
UNSUPPORTED_QUERY = (
    "The query is not supported. Check the documentation at "
    "https://developers.google.com/youtube/analytics/v2/available_reports "
    "for a list of supported queries."
)


def unauthenticated() -> tuple[int, dict[str, Any]]:
    return 401, google_error(
        401,
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
        "cookie or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project.",
        "authError",
        location="Authorization",
        location_type="header",
        status="UNAUTHENTICATED",
    )


def quota_exceeded() -> tuple[int, dict[str, Any]]:
    return 403, google_error(403, QUOTA_MESSAGE, "quotaExceeded", domain="youtube.quota")


def _quota_details(service: str, limit_name: str, limit_value: int | None) -> list[dict[str, Any]]:
    """Google Cloud's ErrorInfo (and Help) details of a quota refusal."""
    metadata = {
        "consumer": f"projects/{PROJECT_NUMBER}",
        "quota_limit": limit_name,
        "quota_location": "global",
        "quota_metric": f"{service}/default",
        "service": service,
    }
    if limit_value is not None:
        metadata["quota_limit_value"] = str(limit_value)
    return [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "RATE_LIMIT_EXCEEDED",
            "domain": "googleapis.com",
            "metadata": metadata,
        },
        {
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [
                {
                    "description": "Request a higher quota limit.",
                    "url": "https://cloud.google.com/docs/quotas/help/request_increase",
                }
            ],
        },
    ]


def daily_quota_spent(kind: str, service: str, limit: int | None = None) -> tuple[int, dict[str, Any]]:
    """A spent daily quota, in the shape ``kind`` (one of :data:`QUOTA_ERRORS`).

    - ``quotaExceeded``: 403, domain ``youtube.quota`` (the Data API's documented form);
    - ``dailyLimitExceeded``: 403, domain ``usageLimits``, "Daily Limit Exceeded" (older paths);
    - ``rateLimitExceeded``: 429 RESOURCE_EXHAUSTED "Quota exceeded ... 'Queries per day'", with
      an ErrorInfo whose ``quota_limit`` is a per-day limit (Google Cloud's request quotas).
    """
    if kind == "quotaExceeded":
        return quota_exceeded()
    if kind == "dailyLimitExceeded":
        msg = (
            "Daily Limit Exceeded. The quota will be reset at midnight Pacific Time (PT). You may "
            "monitor your quota usage and adjust limits in the API Console: "
            f"https://console.developers.google.com/apis/api/{service}/quotas?project={PROJECT_NUMBER}"
        )
        return 403, google_error(403, msg, "dailyLimitExceeded", domain="usageLimits")
    if kind == "rateLimitExceeded":
        return _cloud_quota_429(service, "Queries per day", "defaultPerDayPerProject", limit)
    raise ValueError(f"unknown quota error shape {kind!r}; use one of {', '.join(QUOTA_ERRORS)}")


def rate_limited_403() -> tuple[int, dict[str, Any]]:
    return 403, google_error(403, "Rate Limit Exceeded", "rateLimitExceeded", domain="usageLimits")


def too_many_requests(service: str = DATA_API_SERVICE) -> tuple[int, dict[str, Any]]:
    """A per-minute rate limit (transient: retry after a pause), as Google Cloud words it."""
    return _cloud_quota_429(service, "Queries per minute per user", "defaultPerMinutePerUser", None)


def _cloud_quota_429(
    service: str, limit_label: str, limit_name: str, limit_value: int | None
) -> tuple[int, dict[str, Any]]:
    """Google Cloud's 429 for a request quota: RESOURCE_EXHAUSTED, the limit named in the
    message and in the ErrorInfo (per day: the day's quota is spent; per minute: slow down)."""
    msg = (
        f"Quota exceeded for quota metric 'Queries' and limit '{limit_label}' of service "
        f"'{service}' for consumer 'project_number:{PROJECT_NUMBER}'."
    )
    return 429, google_error(
        429,
        msg,
        "rateLimitExceeded",
        status="RESOURCE_EXHAUSTED",
        details=_quota_details(service, limit_name, limit_value),
    )


def insufficient_scopes(service: str = DATA_API_SERVICE) -> tuple[int, dict[str, Any]]:
    """403: the access token lacks a scope the method needs (a consent box left unticked)."""
    details = [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
            "domain": "googleapis.com",
            "metadata": {"service": service},
        }
    ]
    return 403, google_error(
        403,
        "Request had insufficient authentication scopes.",
        "insufficientPermissions",
        status="PERMISSION_DENIED",
        details=details,
    )


def forbidden() -> tuple[int, dict[str, Any]]:
    return 403, google_error(403, "Forbidden", "forbidden")


def backend_error(code: int = 500) -> tuple[int, dict[str, Any]]:
    if code == 503:
        msg = "The service is currently unavailable."
        return 503, google_error(503, msg, "backendError", status="UNAVAILABLE")
    return 500, google_error(500, "Backend Error", "backendError")


def bad_request(
    message: str, reason: str = "badRequest", domain: str = "global", location: str | None = None
) -> tuple[int, dict[str, Any]]:
    return 400, google_error(400, message, reason, domain=domain, location=location)


def unknown_parameter(name: str) -> tuple[int, dict[str, Any]]:
    """400 from a One Platform API's front end: a query parameter the method does not have."""
    msg = (
        f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query parameter. '
        f"Field '{name}' could not be found in request message."
    )
    details = [
        {"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [{"description": msg}]}
    ]
    return 400, google_error(400, msg, "badRequest", status="INVALID_ARGUMENT", details=details)


def unsupported_query() -> tuple[int, dict[str, Any]]:
    return bad_request(UNSUPPORTED_QUERY)


def oauth_error(code: int, error: str, description: str) -> tuple[int, dict[str, Any]]:
    return code, {"error": error, "error_description": description}
