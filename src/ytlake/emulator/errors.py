"""Google's error JSON, as the YouTube APIs and the OAuth token endpoint send it."""

from __future__ import annotations

from typing import Any


def google_error(
    code: int,
    message: str,
    reason: str,
    domain: str = "global",
    location: str | None = None,
    location_type: str | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    item: dict[str, Any] = {"message": message, "domain": domain, "reason": reason}
    if location is not None:
        item["location"] = location
        item["locationType"] = location_type or "parameter"
    body: dict[str, Any] = {"code": code, "message": message, "errors": [item]}
    if status:
        body["status"] = status
    return {"error": body}


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


def rate_limited_403() -> tuple[int, dict[str, Any]]:
    return 403, google_error(403, "Rate Limit Exceeded", "rateLimitExceeded", domain="usageLimits")


def too_many_requests() -> tuple[int, dict[str, Any]]:
    return 429, google_error(
        429,
        "Resource has been exhausted (e.g. check quota).",
        "rateLimitExceeded",
        status="RESOURCE_EXHAUSTED",
    )


def backend_error(code: int = 500) -> tuple[int, dict[str, Any]]:
    if code == 503:
        msg = "The service is currently unavailable."
        return 503, google_error(503, msg, "backendError", status="UNAVAILABLE")
    return 500, google_error(500, "Backend Error", "backendError")


def bad_request(
    message: str, reason: str = "badRequest", domain: str = "global", location: str | None = None
) -> tuple[int, dict[str, Any]]:
    return 400, google_error(400, message, reason, domain=domain, location=location)


def unsupported_query() -> tuple[int, dict[str, Any]]:
    return bad_request(UNSUPPORTED_QUERY)


def oauth_error(code: int, error: str, description: str) -> tuple[int, dict[str, Any]]:
    return code, {"error": error, "error_description": description}
