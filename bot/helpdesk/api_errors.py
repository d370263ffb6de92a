"""What each exception of the help desk's services becomes in the JSON API: one table."""

from __future__ import annotations

from sanic.response import HTTPResponse

from bot.helpdesk import services
from bot.helpdesk.errors import api_error
from bot.helpdesk.models import TicketNotFound
from bot.helpdesk.transitions import TransitionRefused
from bot.helpdesk.validation import InvalidJson, ValidationFailed
from bot.helpdesk.verification import TooManyVerificationAttempts

# What each service exception becomes: status, message (None: the exception's own), fields.
ERRORS: dict[type[Exception], tuple[int, str | None, dict[str, str] | None]] = {
    InvalidJson: (400, None, None),
    services.LoginRefused: (401, "Wrong username, password or authenticator code.", None),
    TicketNotFound: (404, None, None),
    services.NoMatchingTicket: (404, None, None),
    TransitionRefused: (409, None, {"status": "not allowed from the current status"}),
    services.IdempotencyConflict: (409, None, {"Idempotency-Key": "used for a different body"}),
    services.TooManyLogins: (429, "Too many login attempts; please wait a few minutes.", None),
    TooManyVerificationAttempts: (429, "Too many codes tried; please wait a few minutes.", None),
}


HANDLED = (*ERRORS, ValidationFailed, services.TooManyLookups, services.TooManyTickets)


def render(error: Exception) -> HTTPResponse:
    """The API error response for an exception the services (or the parsers) raised."""
    if isinstance(error, ValidationFailed):
        return api_error(422, error.summary, error.fields)
    if isinstance(error, (services.TooManyLookups, services.TooManyTickets)):
        retry_after = {"Retry-After": str(error.retry_after_seconds)}
        return api_error(429, str(error), headers=retry_after)
    status, message, fields = ERRORS[type(error)]
    return api_error(status, message or str(error), fields)
