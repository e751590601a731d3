"""Prefect and HTTP failures, translated into the project's tool errors.

:meth:`PrefectAPI.calling <prefect_schedule_mcp.prefect_api.PrefectAPI.calling>`
is the boundary that applies this; each message names what failed, why, and
what to check.
"""

from __future__ import annotations

import httpx

from prefect_schedule_mcp.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PrefectUnavailable,
    ScheduleToolError,
)

HTTP_CONFLICT = 409
HTTP_UNPROCESSABLE = 422
HTTP_UNAUTHORIZED = 401
HTTP_FORBIDDEN = 403
HTTP_NOT_FOUND = 404
# How much of a response body a message quotes.
DETAIL_CHARS = 500


def translate_error(
    error: Exception, what: str, url: str, request_timeout: float
) -> ScheduleToolError:
    """The tool error for ``error``, raised while doing ``what`` against ``url``."""
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    if isinstance(error, ObjectNotFound):
        return NotFound(f"{what}: the Prefect API at {url} has no such object.")
    if isinstance(error, ObjectAlreadyExists):
        return Conflict(f"{what}: it already exists on the Prefect server.")
    if isinstance(error, httpx.TimeoutException):
        from prefect.settings import PREFECT_CLIENT_MAX_RETRIES

        retries = PREFECT_CLIENT_MAX_RETRIES.value()
        # Prefect's client pauses about 2, 4, 8, ... seconds between tries.
        waited = (retries + 1) * request_timeout + sum(
            2**k for k in range(1, retries + 1)
        )
        return PrefectUnavailable(
            f"{what}: the Prefect API at {url} did not answer in time. Each "
            f"request waited {request_timeout:g} s and Prefect's client tried "
            f"{retries + 1} times with growing pauses (about {waited:.0f} s in "
            "all). Check that the server is up and not overloaded; "
            "PREFECT_SCHEDULE_MCP_REQUEST_TIMEOUT sets the wait per request and "
            "PREFECT_CLIENT_MAX_RETRIES the number of retries."
        )
    if isinstance(error, httpx.TransportError):
        return PrefectUnavailable(
            f"{what}: cannot reach the Prefect API at {url} ({error!r}). Check "
            "PREFECT_API_URL, that the Prefect server is running, and the network "
            "between here and it."
        )
    if isinstance(error, httpx.HTTPStatusError):
        return _translate_status(error, what, url)
    return ScheduleToolError(f"{what} failed: {type(error).__name__}: {error}")


def _translate_status(
    error: httpx.HTTPStatusError, what: str, url: str
) -> ScheduleToolError:
    code = error.response.status_code
    detail = _response_detail(error.response)
    if code in (HTTP_UNAUTHORIZED, HTTP_FORBIDDEN):
        return PrefectUnavailable(
            f"{what}: the Prefect API at {url} refused our credentials "
            f"(HTTP {code}). Check PREFECT_API_KEY (Prefect Cloud) or "
            "PREFECT_API_AUTH_STRING (self-hosted basic auth)."
        )
    if code == HTTP_NOT_FOUND:
        return NotFound(f"{what}: not found on the Prefect API at {url}. {detail}")
    if code == HTTP_CONFLICT:
        return Conflict(f"{what}: the Prefect server refused it: {detail}")
    if code == HTTP_UNPROCESSABLE:
        return InvalidInput(what, "request", f"the Prefect server said: {detail}")
    if code >= httpx.codes.INTERNAL_SERVER_ERROR:
        return PrefectUnavailable(
            f"{what}: the Prefect API at {url} failed with HTTP {code}: {detail}. "
            "It may be overloaded (on SQLite: 'database is locked'); try again."
        )
    return ScheduleToolError(f"{what}: HTTP {code} from {url}: {detail}")


def _response_detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:DETAIL_CHARS]
    if isinstance(body, dict) and "detail" in body:
        return str(body["detail"])[:DETAIL_CHARS]
    return str(body)[:DETAIL_CHARS]
