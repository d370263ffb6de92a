"""The staff console's HTML pages (Jinja templates), with the console's security headers."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from sanic import Request, response
from sanic.response import HTTPResponse

from bot.contract import STATUS_LABELS
from bot.helpdesk import services
from bot.helpdesk.auth import set_cookie
from bot.helpdesk.csrf import LOGIN_NONCE_COOKIE, login_form_token, new_nonce
from bot.helpdesk.models import (
    TYPE_LABELS,
    Status,
    Ticket,
    TicketFilter,
    TicketNotFound,
    TicketType,
    utcnow,
)
from bot.helpdesk.transitions import next_statuses
from bot.helpdesk.validation import ValidationFailed, parse_ticket_filter

CONSOLE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
FILTER_NAMES = ("status", "type", "overdue")
CSRF_MESSAGE = "This form has expired or did not come from the console. Go back, reload, retry."


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTTPResponse:
    session = getattr(request.ctx, "session", None)
    html = request.app.ctx.templates.get_template(template).render(
        staff=session.staff if session else None,
        csrf_token=session.csrf_token if session else None,
        status_labels=STATUS_LABELS,
        type_labels=TYPE_LABELS,
        **context,
    )
    return response.html(html, status=status, headers=CONSOLE_HEADERS)


def error_page(request: Request, status: int, message: str) -> HTTPResponse:
    return render(request, "error.html", status=status, message=message)


def safe_next(target: str | None) -> str:
    """Only redirect inside the console after login (no open redirect)."""
    if target and target.startswith("/helpdesk") and not target.startswith("//"):
        return target
    return "/helpdesk"


def login_page(request: Request, error: str | None, status: int = 200) -> HTTPResponse:
    settings = request.app.ctx.settings
    nonce = new_nonce()
    resp = render(
        request,
        "login.html",
        status=status,
        error=error,
        login_token=login_form_token(settings.secret_key, nonce),
        next=safe_next(request.args.get("next") or request.form.get("next")),
    )
    set_cookie(resp, LOGIN_NONCE_COOKIE, nonce, settings.secure_cookies, max_age=3600)
    return resp


def queue_filters(request: Request) -> tuple[TicketFilter, dict[str, str], str | None]:
    """The queue's filters, what the form shows, and why they were ignored if they were."""
    raw = {name: request.args.get(name, "") for name in FILTER_NAMES}
    try:
        return parse_ticket_filter(raw), raw, None
    except ValidationFailed as error:
        return TicketFilter(), {}, f"Filter ignored: {error}"


def queue_page(
    request: Request, tickets: list[Ticket], filters: dict[str, str], problem: str | None
) -> HTTPResponse:
    return render(
        request, "queue.html", tickets=tickets, now=utcnow(), filters=filters, problem=problem,
        statuses=list(Status), types=list(TicketType), export_query=request.query_string,
    )  # fmt: skip


async def ticket_page(
    request: Request, reference: str, error: str | None = None, status: int = 200
) -> HTTPResponse:
    """The ticket with its notes and audit trail, the changes it allows, and `error` if any."""
    try:
        detail = await services.ticket_detail(
            request.app.ctx.tickets, reference, request.ctx.session.staff.username
        )
    except TicketNotFound as missing:
        return error_page(request, 404, str(missing))
    return render(
        request,
        "ticket.html",
        status=status,
        detail=detail,
        ticket=detail.ticket,
        next_statuses=next_statuses(detail.ticket.status),
        overdue=detail.ticket.is_overdue(utcnow()),
        error=error,
    )


def new_ticket_page(
    request: Request, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> HTTPResponse:
    # A fresh key per form: submitting the same form twice opens one ticket, not two.
    key = values.get("form_key") or f"console-{new_nonce()}"
    return render(
        request,
        "new_ticket.html",
        status=status,
        values=values,
        errors=errors,
        form_key=key,
        types=list(TicketType),
    )


def ticket_redirect(reference: str) -> HTTPResponse:
    """After a change, back to the ticket's page (a reload does not post again)."""
    return response.redirect(f"/helpdesk/tickets/{quote(reference)}", status=303)


def csv_download(text: str) -> HTTPResponse:
    return response.text(
        text,
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="helpdesk-tickets.csv"',
            "Cache-Control": "no-store",
        },
    )
