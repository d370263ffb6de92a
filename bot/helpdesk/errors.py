"""The API's error shape: `{"error": code, "message": sentence, "fields": {...}}`."""

from __future__ import annotations

from typing import Any

from sanic import Request, response
from sanic.exceptions import InvalidUsage
from sanic.handlers import ErrorHandler
from sanic.response import HTTPResponse

CODES = {
    400: "invalid_json",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_failed",
    429: "rate_limited",
}


def api_error(
    status: int,
    message: str,
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> HTTPResponse:
    body: dict[str, Any] = {"error": CODES.get(status, "error"), "message": message}
    if fields:
        body["fields"] = fields
    return response.json(body, status=status, headers=headers)


# PostgreSQL's SQLSTATE for a character it cannot store (a NUL byte): character_not_in_repertoire.
_UNSTORABLE_SQLSTATE = "22021"


def client_fault(exception: BaseException) -> tuple[int, str] | None:
    """The 4xx for an error that only a malformed request can cause, found past validation.

    Validation (bot/helpdesk/validation.py) refuses such input by field; this is the safety net
    for the paths it does not see (a login name, a JSON body nested too deeply to parse), so they
    answer 4xx instead of 500. Anything else stays a 500.
    """
    if isinstance(exception, RecursionError):
        return 400, "The request body is nested too deeply to read."
    seen: BaseException | None = exception
    for _ in range(8):  # the driver's error, wrapped by SQLAlchemy's
        if seen is None:
            break
        if isinstance(seen, UnicodeEncodeError) or (
            getattr(seen, "sqlstate", None) == _UNSTORABLE_SQLSTATE
        ):
            return 422, "Text with NUL characters or unpaired surrogates cannot be stored."
        seen = seen.__cause__ or seen.__context__
    return None


class HelpdeskErrorHandler(ErrorHandler):
    """Errors raised by Sanic itself (unknown route, wrong method) keep the API's error shape;
    errors that only malformed input can cause answer 4xx, never 500."""

    def default(self, request: Request, exception: Exception) -> HTTPResponse:
        fault = client_fault(exception)
        if fault is not None:
            status, message = fault
            if request.path.startswith("/api/"):
                return api_error(status, message)
            return super().default(request, InvalidUsage(message))
        if request.path.startswith("/api/"):
            status = int(getattr(exception, "status_code", 500))
            if status >= 500:
                self.log(request, exception)
                return api_error(500, "Something went wrong on our side; please try again.")
            return api_error(status, str(exception) or "The request could not be handled.")
        return super().default(request, exception)
