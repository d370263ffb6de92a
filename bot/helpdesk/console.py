"""The staff console at /helpdesk: pages behind a staff login. Each handler parses the form,
calls one service and renders a page (pages.py); the handlers at the end turn what the
services raise into pages."""

from __future__ import annotations

from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse

from bot.helpdesk import auth, pages, services, validation
from bot.helpdesk.csrf import LOGIN_NONCE_COOKIE, LoginFormExpired, check_login_form
from bot.helpdesk.models import TicketNotFound
from bot.helpdesk.transitions import TransitionRefused
from bot.helpdesk.validation import ValidationFailed

bp = Blueprint("helpdesk_console", url_prefix="/helpdesk")


@bp.get("/login", name="login_form")
async def login_form(request: Request) -> HTTPResponse:
    return pages.login_page(request, error=None)


@bp.post("/login", name="login")
async def login(request: Request) -> HTTPResponse:
    settings, form = request.app.ctx.settings, request.form
    check_login_form(settings.secret_key, request.cookies.get(LOGIN_NONCE_COOKIE), form)
    opened = await services.login(
        request.app.ctx.staff, request.app.ctx.login_limits,
        (form.get("username") or "").strip(), form.get("password") or "", str(request.ip),
        auth.session_lifetime(settings), code=(form.get("code") or "")[:20],
        box=request.app.ctx.totp_box,
    )  # fmt: skip
    resp = response.redirect(pages.safe_next(form.get("next")), status=303)
    auth.set_session_cookie(resp, opened.token, settings)
    auth.clear_cookie(resp, LOGIN_NONCE_COOKIE, settings.secure_cookies)
    return resp


@bp.post("/logout", name="logout")
@auth.staff_form
async def logout(request: Request) -> HTTPResponse:
    await services.logout(request.app.ctx.staff, request.cookies.get(auth.SESSION_COOKIE))
    resp = response.redirect("/helpdesk/login", status=303)
    auth.clear_cookie(resp, auth.SESSION_COOKIE, request.app.ctx.settings.secure_cookies)
    return resp


@bp.get("/", name="queue", strict_slashes=False)
@auth.staff_page
async def queue(request: Request) -> HTTPResponse:
    filters, shown, problem = pages.queue_filters(request)
    tickets = await services.list_tickets(request.app.ctx.tickets, filters)
    return pages.queue_page(request, tickets, shown, problem)


@bp.get("/export.csv", name="export_csv")
@auth.staff_page
async def export_csv(request: Request) -> HTTPResponse:
    filters, _, _ = pages.queue_filters(request)
    exported = await services.export(request.app.ctx.tickets, filters, auth.staff_name(request))
    return pages.csv_download(exported)


@bp.get("/new", name="new_ticket_form")
@auth.staff_page
async def new_ticket_form(request: Request) -> HTTPResponse:
    return pages.new_ticket_page(request, values={}, errors={})


@bp.post("/new", name="create_ticket")
@auth.staff_form
async def create_ticket(request: Request) -> HTTPResponse:
    values, payload = validation.console_ticket_form(request.form)
    ctx = request.app.ctx
    result = await services.open_ticket(
        ctx.tickets, payload, values["form_key"], auth.staff_name(request),
        due_days=ctx.settings.due_days, notify=ctx.notify_created,
    )  # fmt: skip
    return pages.ticket_redirect(result.ticket.reference)


@bp.get("/tickets/<reference:str>", name="ticket")
@auth.staff_page
async def ticket(request: Request, reference: str) -> HTTPResponse:
    return await pages.ticket_page(request, reference)


@bp.post("/tickets/<reference:str>/status", name="change_status")
@auth.staff_form
async def change_status(request: Request, reference: str) -> HTTPResponse:
    status = validation.parse_status({"status": request.form.get("status")})
    actor = auth.staff_name(request)
    ctx = request.app.ctx
    await services.change_status(ctx.tickets, reference, status, actor, ctx.conversations)
    return pages.ticket_redirect(reference)


@bp.post("/tickets/<reference:str>/assignee", name="change_assignee")
@auth.staff_form
async def change_assignee(request: Request, reference: str) -> HTTPResponse:
    assignee = validation.clean_assignee(request.form.get("assignee"))
    await services.assign(request.app.ctx.tickets, reference, assignee, auth.staff_name(request))
    return pages.ticket_redirect(reference)


@bp.post("/tickets/<reference:str>/notes", name="add_note")
@auth.staff_form
async def add_note(request: Request, reference: str) -> HTTPResponse:
    text = validation.clean_note(request.form.get("text"))
    await services.add_note(request.app.ctx.tickets, reference, text, auth.staff_name(request))
    return pages.ticket_redirect(reference)


LOGIN_ERRORS: dict[type[Exception], tuple[int, str]] = {
    LoginFormExpired: (403, "Your form expired; please try again."),
    services.LoginRefused: (401, "Wrong username, password or authenticator code."),
    services.TooManyLogins: (429, "Too many failed logins; wait a few minutes."),
}


@bp.exception(*LOGIN_ERRORS)
async def login_refused(request: Request, error: Exception) -> HTTPResponse:
    status, message = LOGIN_ERRORS[type(error)]
    return pages.login_page(request, message, status)


@bp.exception(auth.CsrfRejected)
async def csrf_rejected(request: Request, error: Exception) -> HTTPResponse:
    return pages.error_page(request, 403, pages.CSRF_MESSAGE)


@bp.exception(TicketNotFound)
async def ticket_not_found(request: Request, error: Exception) -> HTTPResponse:
    return pages.error_page(request, 404, str(error))


@bp.exception(ValidationFailed, TransitionRefused, services.IdempotencyConflict)
async def change_refused(request: Request, error: Exception) -> HTTPResponse:
    """A refused change shows its page again, saying why: a ticket page, or the new-ticket form."""
    status = 422 if isinstance(error, ValidationFailed) else 409
    reference = request.match_info.get("reference")
    if reference is not None:
        return await pages.ticket_page(request, reference, str(error), status)
    values, _ = validation.console_ticket_form(request.form)
    if isinstance(error, ValidationFailed):
        return pages.new_ticket_page(request, values, error.fields, status)
    already = {"form": "already submitted; check it"}
    return pages.new_ticket_page(request, {**values, "form_key": ""}, already, status)
