"""One exception mapper: every error leaves the service as RFC 9457 application/problem+json."""

from __future__ import annotations

import errno
import logging
import re
import sqlite3
from typing import Any, Callable

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from catalogue.domain import SERVER_OWNED

log = logging.getLogger("catalogue.errors")

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:laeremiddelkatalogen:problem:"

# Stable problem types by status; a Problem may name a more specific one.
DEFAULT_TYPES = {
    400: ("bad-request", "Bad request"),
    401: ("unauthenticated", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    412: ("precondition-failed", "Precondition failed"),
    413: ("payload-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("validation-error", "Invalid input"),
    428: ("precondition-required", "Precondition required"),
    429: ("rate-limited", "Too many requests"),
    431: ("headers-too-large", "Request header fields too large"),
    500: ("internal-error", "Internal server error"),
    503: ("unavailable", "Service unavailable"),
}


class Problem(HTTPException):
    """An error the client can act on, with an optional list of field errors."""

    def __init__(
        self,
        status_code: int,
        detail: str,
        *,
        type_slug: str | None = None,
        title: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **members: Any,
    ) -> None:
        super().__init__(detail=detail, status_code=status_code, headers=headers)
        self.type_slug = type_slug
        self.title = title
        self.errors = errors
        self.members = members


def field_error(field: str, message: str, status_code: int = 422) -> Problem:
    """A problem naming the one field at fault."""
    return Problem(status_code, f"{field}: {message}", errors=[{"field": field, "message": message}])


class FieldErrors:
    """Collects field errors so a client learns of all of them at once."""

    def __init__(self) -> None:
        self.errors: list[dict[str, Any]] = []

    def add(self, field: str, message: str) -> None:
        self.errors.append({"field": field, "message": message})

    def raise_if_any(self) -> None:
        if self.errors:
            first = self.errors[0]
            detail = f"{first['field']}: {first['message']}"
            if len(self.errors) > 1:
                detail += f" (and {len(self.errors) - 1} more)"
            raise Problem(422, detail, errors=self.errors)


def problem_body(status: int, detail: str, instance: str, *, type_slug: str | None = None,
                 title: str | None = None, errors: list | None = None, **members: Any) -> dict[str, Any]:
    slug, default_title = DEFAULT_TYPES.get(status, ("error", "Error"))
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + (type_slug or slug),
        "title": title or default_title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if errors:
        body["errors"] = errors
    body.update(members)
    return body


_UNKNOWN_FIELD = re.compile(r"(?:unknown|missing required) field `([^`]+)`")


def _friendly(message: str) -> str:
    if "matching regex" in message:
        if "https?://" in message:
            return "must be an http:// or https:// address"
        return "has an invalid format"
    return message


def _validation_errors(exc: ValidationException) -> list[dict[str, Any]]:
    errors = []
    for item in exc.extra or []:
        if not isinstance(item, dict):
            errors.append({"field": "body", "message": str(item)})
            continue
        key = item.get("key") or ""
        message = str(item.get("message", "invalid value"))
        unknown = _UNKNOWN_FIELD.search(message)
        if unknown:
            # name the field the client sent, not the container it was found in
            key = unknown.group(1) if key in ("", "data") else f"{key}.{unknown.group(1)}"
            if unknown.group(1) in SERVER_OWNED and message.startswith("Object contains unknown"):
                message = "read-only: the service sets it; leave it out of the request"
        source = item.get("source")
        entry = {"field": key or "body", "message": _friendly(message)}
        if source is not None:
            entry["source"] = getattr(source, "value", source)
        errors.append(entry)
    return errors


def _number_out_of_range(exc: Exception) -> bool:
    """OverflowError from the SQLite driver, or asyncpg's DataError / NumericValueOutOfRangeError."""
    name = type(exc).__name__
    return (isinstance(exc, OverflowError)
            or (name in ("DataError", "NumericValueOutOfRangeError") and "out of" in str(exc) and "range" in str(exc)))


# What each way of the database being unable to serve tells the client; all are 503 with Retry-After.
UNAVAILABLE = {
    "unreachable": (5, "The database cannot be reached just now. Try again in a moment: a change is saved only when"
                        " the service says so."),
    "busy": (2, "The database is busy with other writes; nothing was saved. Try again."),
    "full": (60, "The database's disk is full; nothing was saved. The operators must free space."),
    "io": (60, "The database's disk failed to read or write; nothing was saved. Tell the operators."),
}
_NETWORK_ERRNOS = {errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE, errno.ENETUNREACH,
                   errno.EHOSTUNREACH, errno.ETIMEDOUT}
# asyncpg's errors of a connection that is gone or refused (SQLSTATE class 08, a server shutting down or
# starting up, too many connections), by name so that this module does not import the driver
_POSTGRES_GONE = {"PostgresConnectionError", "ConnectionDoesNotExistError", "ConnectionFailureError",
                  "ConnectionRejectionError", "ClientCannotConnectError", "CannotConnectNowError",
                  "AdminShutdownError", "CrashShutdownError", "TooManyConnectionsError"}


def unavailable_reason(exc: BaseException) -> str | None:
    """A key of UNAVAILABLE when ``exc`` says the database cannot serve the request now (a
    PostgreSQL restart or outage, SQLite's disk full or locked past the busy timeout); None for
    anything else, which stays a failure of the service."""
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        if "database or disk is full" in text:
            return "full"
        if "locked" in text or "busy" in text:
            return "busy"
        if "disk i/o error" in text:
            return "io"
        if "unable to open database" in text:
            return "unreachable"
        return None
    if isinstance(exc, TimeoutError):  # connecting, or waiting for a pooled connection
        return "unreachable"
    if isinstance(exc, ConnectionError) or (isinstance(exc, OSError) and (
            exc.errno in _NETWORK_ERRNOS or "connect call failed" in str(exc).lower())):
        return "unreachable"
    names = {cls.__name__ for cls in type(exc).__mro__}
    if names & _POSTGRES_GONE:
        return "unreachable"
    if "InterfaceError" in names and "connection" in str(exc).lower() and "closed" in str(exc).lower():
        return "unreachable"
    return None


ErrorPageRenderer = Callable[[Request, int, dict[str, str]], Response]


def problem_response(request: Request, exc: Exception) -> tuple[int, dict[str, Any], dict[str, str]]:
    """The status, problem+json body and headers that answer ``exc``."""
    headers: dict[str, str] = {}
    if isinstance(exc, Problem):
        status = exc.status_code
        body = problem_body(status, exc.detail, request.url.path, type_slug=exc.type_slug,
                            title=exc.title, errors=exc.errors, **exc.members)
        headers.update(exc.headers or {})
    elif isinstance(exc, ValidationException):
        errors = _validation_errors(exc)
        status = 400
        if errors and any(e.get("source") == "body" for e in errors):
            status = 422
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or exc.detail
        body = problem_body(status, detail, request.url.path, errors=errors or None)
    elif isinstance(exc, HTTPException):
        status = exc.status_code
        detail = exc.detail if status < 500 else DEFAULT_TYPES.get(status, ("", "Server error"))[1]
        body = problem_body(status, detail, request.url.path)
        headers.update(exc.headers or {})
    elif _number_out_of_range(exc):
        # a last net under the schemas' bounds: a number the database cannot hold is bad input
        log.warning("number out of range on %s %s: %s", request.method, request.url.path, exc)
        status = 400
        body = problem_body(status, "A number in the request is out of range.", request.url.path)
    elif (reason := unavailable_reason(exc)) is not None:
        # not a failure of the service: the client is told to come back, the operators see one line
        log.warning("database %s on %s %s: %s: %s", reason, request.method, request.url.path,
                    type(exc).__name__, exc)
        retry_after, detail = UNAVAILABLE[reason]
        status = 503
        body = problem_body(status, detail, request.url.path, type_slug=f"database-{reason}")
        headers["Retry-After"] = str(retry_after)
    else:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        status = HTTP_500_INTERNAL_SERVER_ERROR
        body = problem_body(status, "The service failed to handle the request.", request.url.path)
    return status, body, headers


def exception_handler(error_page: ErrorPageRenderer | None = None) -> Callable[[Request, Exception], Response]:
    """The service's single exception handler. ``error_page`` renders 401, 403, 404, 500 and 503 for a
    browser that asks for HTML outside the API; the app wiring supplies it, so this module knows
    nothing of the pages."""

    def handle(request: Request, exc: Exception) -> Response:
        status, body, headers = problem_response(request, exc)
        if error_page is not None and status in (401, 403, 404, 500, 503) and _wants_html(request):
            return error_page(request, status, headers)
        return Response(content=body, status_code=status, media_type=PROBLEM_JSON, headers=headers)

    return handle




def _wants_html(request: Request) -> bool:
    if request.url.path.startswith(("/api/", "/schema", "/health", "/ready")):
        return False
    accept = request.headers.get("accept", "")
    return MediaType.HTML.value in accept
