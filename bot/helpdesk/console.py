"""The staff console at /helpdesk: server-rendered pages, every one behind a staff login."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse

from bot.helpdesk.auth import (
    SESSION_COOKIE,
    clear_cookie,
    set_cookie,
    staff_page,
    verify_password,
)
from bot.helpdesk.csrf import (
    LOGIN_NONCE_COOKIE,
    login_form_token,
    login_token_matches,
    new_nonce,
    session_token_matches,
)
from bot.helpdesk.mail import schedule_new_ticket_email
from bot.helpdesk.models import (
    STATUS_LABELS,
    TYPE_LABELS,
    Status,
    TicketFilter,
    TicketType,
)
from bot.helpdesk.repository import (
    IdempotencyConflict,
    TicketNotFound,
    request_fingerprint,
    utcnow,
)
from bot.helpdesk.transitions import TransitionRefused, next_statuses
from bot.helpdesk.validation import (
    ValidationFailed,
    clean_assignee,
    clean_note,
    parse_filters,
    parse_idempotency_key,
    parse_new_ticket,
)

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
CSV_COLUMNS = (
    "reference", "type", "status", "requester_name", "email", "phone", "membership_id",
    "service", "origin", "assignee", "created_at", "due_at", "details",
)  # fmt: skip
NEW_TICKET_FIELDS = (
    "form_key", "type", "requester_name", "email", "phone", "membership_id", "service", "details",
)  # fmt: skip
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas: prefix those with a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _safe_next(target: str | None) -> str:
    """Only redirect inside the console after login (no open redirect)."""
    if target and target.startswith("/helpdesk") and not target.startswith("//"):
        return target
    return "/helpdesk"


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


def _filters(request: Request) -> tuple[TicketFilter, dict[str, str], str | None]:
    raw = {k: request.args.get(k, "") for k in ("status", "type", "overdue")}
    try:
        status, ticket_type, overdue = parse_filters(raw)
    except ValidationFailed as error:
        return TicketFilter(), {}, f"Filter ignored: {error}"
    return TicketFilter(status=status, type=ticket_type, overdue=overdue), raw, None


def create_console_blueprint() -> Blueprint:
    bp = Blueprint("helpdesk_console", url_prefix="/helpdesk")

    @bp.get("/login", name="login_form")
    async def login_form(request: Request) -> HTTPResponse:
        return _login_page(request, error=None)

    def _login_page(request: Request, error: str | None, status: int = 200) -> HTTPResponse:
        settings = request.app.ctx.settings
        nonce = new_nonce()
        resp = render(
            request,
            "login.html",
            status=status,
            error=error,
            login_token=login_form_token(settings.secret_key, nonce),
            next=_safe_next(request.args.get("next") or request.form.get("next")),
        )
        set_cookie(resp, LOGIN_NONCE_COOKIE, nonce, settings.secure_cookies, max_age=3600)
        return resp

    @bp.post("/login", name="login")
    async def login(request: Request) -> HTTPResponse:
        ctx = request.app.ctx
        form = request.form
        if not login_token_matches(
            ctx.settings.secret_key, request.cookies.get(LOGIN_NONCE_COOKIE), form.get("csrf_token")
        ):
            return _login_page(request, "Your form expired; please try again.", status=403)
        username = (form.get("username") or "").strip()
        password = form.get("password") or ""
        limiter_key = f"{request.ip}:{username.lower()}"
        if ctx.login_limiter.is_limited(limiter_key):
            return _login_page(request, "Too many failed logins; wait a few minutes.", 429)
        found = await ctx.staff.password_hash(username) if username else None
        if not verify_password(found[1] if found else None, password) or found is None:
            ctx.login_limiter.hit(limiter_key)
            return _login_page(request, "Wrong username or password.", status=401)
        ctx.login_limiter.reset(limiter_key)
        token, _ = await ctx.staff.open_session(
            found[0], timedelta(hours=ctx.settings.session_hours)
        )
        resp = response.redirect(_safe_next(form.get("next")), status=303)
        set_cookie(
            resp,
            SESSION_COOKIE,
            token,
            ctx.settings.secure_cookies,
            max_age=ctx.settings.session_hours * 3600,
        )
        clear_cookie(resp, LOGIN_NONCE_COOKIE, ctx.settings.secure_cookies)
        return resp

    @bp.post("/logout", name="logout")
    @staff_page
    async def logout(request: Request) -> HTTPResponse:
        if not session_token_matches(
            request.ctx.session.csrf_token, request.form.get("csrf_token")
        ):
            return render(request, "error.html", status=403, message=_CSRF_MESSAGE)
        await request.app.ctx.staff.close_session(request.cookies.get(SESSION_COOKIE, ""))
        resp = response.redirect("/helpdesk/login", status=303)
        clear_cookie(resp, SESSION_COOKIE, request.app.ctx.settings.secure_cookies)
        return resp

    @bp.get("/", name="queue", strict_slashes=False)
    @staff_page
    async def queue(request: Request) -> HTTPResponse:
        filters, raw, problem = _filters(request)
        tickets = await request.app.ctx.tickets.list(filters)
        return render(
            request,
            "queue.html",
            tickets=tickets,
            now=utcnow(),
            filters=raw,
            problem=problem,
            statuses=list(Status),
            types=list(TicketType),
            export_query=request.query_string,
        )

    @bp.get("/export.csv", name="export_csv")
    @staff_page
    async def export_csv(request: Request) -> HTTPResponse:
        filters, _, _ = _filters(request)
        tickets = await request.app.ctx.tickets.list(filters)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        for ticket in tickets:
            row = {
                **{name: getattr(ticket, name, None) for name in CSV_COLUMNS},
                "type": ticket.type.value,
                "status": ticket.status.value,
                "origin": ticket.origin.value,
                "created_at": ticket.created_at.isoformat(),
                "due_at": ticket.due_at.isoformat(),
            }
            writer.writerow([csv_safe(row[name]) for name in CSV_COLUMNS])
        return response.text(
            buffer.getvalue(),
            content_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": 'attachment; filename="helpdesk-tickets.csv"',
                "Cache-Control": "no-store",
            },
        )

    async def _ticket_page(
        request: Request, reference: str, error: str | None = None, status: int = 200
    ) -> HTTPResponse:
        detail = await request.app.ctx.tickets.detail(reference)
        if detail is None:
            return render(request, "error.html", status=404, message=f"No ticket {reference}.")
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

    @bp.get("/new", name="new_ticket_form")
    @staff_page
    async def new_ticket_form(request: Request) -> HTTPResponse:
        return _new_ticket_page(request, values={}, errors={})

    def _new_ticket_page(
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

    @bp.post("/new", name="create_ticket")
    @staff_page
    async def create_ticket(request: Request) -> HTTPResponse:
        session = request.ctx.session
        if not session_token_matches(session.csrf_token, request.form.get("csrf_token")):
            return render(request, "error.html", status=403, message=_CSRF_MESSAGE)
        values = {name: (request.form.get(name) or "") for name in NEW_TICKET_FIELDS}
        payload = {name: values[name] or None for name in NEW_TICKET_FIELDS if name != "form_key"}
        payload["origin"] = "console"
        try:
            key = parse_idempotency_key(values["form_key"])
            new = parse_new_ticket(payload)
            result = await request.app.ctx.tickets.create(
                new, session.staff.username, key, request_fingerprint(payload)
            )
        except ValidationFailed as error:
            return _new_ticket_page(request, values, error.fields, status=422)
        except IdempotencyConflict:
            return _new_ticket_page(
                request, {**values, "form_key": ""}, {"form": "already submitted; check it"}, 409
            )
        if result.created:
            schedule_new_ticket_email(request.app, result.ticket)
        return response.redirect(f"/helpdesk/tickets/{result.ticket.reference}", status=303)

    @bp.get("/tickets/<reference:str>", name="ticket")
    @staff_page
    async def ticket(request: Request, reference: str) -> HTTPResponse:
        return await _ticket_page(request, reference)

    async def _change(request: Request, reference: str, change: Any) -> HTTPResponse:
        if not session_token_matches(
            request.ctx.session.csrf_token, request.form.get("csrf_token")
        ):
            return render(request, "error.html", status=403, message=_CSRF_MESSAGE)
        try:
            await change(request.ctx.session.staff.username)
        except TicketNotFound as error:
            return render(request, "error.html", status=404, message=str(error))
        except TransitionRefused as error:
            return await _ticket_page(request, reference, str(error), status=409)
        except ValidationFailed as error:
            return await _ticket_page(request, reference, str(error), status=422)
        return response.redirect(f"/helpdesk/tickets/{quote(reference)}", status=303)

    @bp.post("/tickets/<reference:str>/status", name="change_status")
    @staff_page
    async def change_status(request: Request, reference: str) -> HTTPResponse:
        async def apply(actor: str) -> None:
            raw = request.form.get("status") or ""
            if raw not in {s.value for s in Status}:
                raise ValidationFailed({"status": "is not a known status"})
            await request.app.ctx.tickets.change_status(reference, Status(raw), actor)

        return await _change(request, reference, apply)

    @bp.post("/tickets/<reference:str>/assignee", name="change_assignee")
    @staff_page
    async def change_assignee(request: Request, reference: str) -> HTTPResponse:
        async def apply(actor: str) -> None:
            assignee = clean_assignee(request.form.get("assignee"))
            await request.app.ctx.tickets.assign(reference, assignee, actor)

        return await _change(request, reference, apply)

    @bp.post("/tickets/<reference:str>/notes", name="add_note")
    @staff_page
    async def add_note(request: Request, reference: str) -> HTTPResponse:
        async def apply(actor: str) -> None:
            await request.app.ctx.tickets.add_note(
                reference, clean_note(request.form.get("text")), actor
            )

        return await _change(request, reference, apply)

    return bp


_CSRF_MESSAGE = "This form has expired or did not come from the console. Go back, reload, retry."
