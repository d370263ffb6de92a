"""The API's error shape: `{"error": code, "message": sentence, "fields": {...}}`."""

from __future__ import annotations

from typing import Any

from sanic import Request, response
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


class HelpdeskErrorHandler(ErrorHandler):
    """Errors raised by Sanic itself (unknown route, wrong method) keep the API's error shape."""

    def default(self, request: Request, exception: Exception) -> HTTPResponse:
        if request.path.startswith("/api/"):
            status = int(getattr(exception, "status_code", 500))
            if status >= 500:
                self.log(request, exception)
                return api_error(500, "Something went wrong on our side; please try again.")
            return api_error(status, str(exception) or "The request could not be handled.")
        return super().default(request, exception)
