"""The JSON API under /api/v1: ticket creation and status lookup for the bot, staff endpoints.

Each handler parses the request, calls one service and renders a document; what the services
raise becomes an API error in one place, `to_api_error` at the end.
"""

from __future__ import annotations

from pathlib import Path

from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse

from bot.helpdesk import api_errors, auth, documents, services, validation
from bot.helpdesk.auth import service_only, staff_api, staff_name
from bot.helpdesk.models import utcnow

OPENAPI_PATH = Path(__file__).resolve().parent / "openapi.yaml"
SERVICE_ACTOR = "privacy-assistant"

bp = Blueprint("helpdesk_api", url_prefix="/api/v1")


@bp.get("/openapi.yaml", name="openapi")
async def openapi(request: Request) -> HTTPResponse:
    return response.text(OPENAPI_PATH.read_text(encoding="utf-8"), content_type="application/yaml")


@bp.post("/tickets", name="create_ticket")
@service_only
async def create_ticket(request: Request) -> HTTPResponse:
    key = validation.parse_idempotency_key(request.headers.get("idempotency-key"))
    ctx = request.app.ctx
    result = await services.open_ticket(
        ctx.tickets, validation.parse_json(request.body), key, SERVICE_ACTOR,
        due_days=ctx.settings.due_days, notify=ctx.notify_created, caps=ctx.ticket_caps,
    )  # fmt: skip
    return response.json(
        documents.ticket_summary(result.ticket), status=201 if result.created else 200
    )


@bp.post("/tickets/<reference:str>/status", name="ticket_status")
@service_only
async def ticket_status(request: Request, reference: str) -> HTTPResponse:
    """The email and conversation (for its rate limit) come in the body, never the URL."""
    ctx = request.app.ctx
    email, conversation_id = validation.parse_status_lookup(validation.parse_json(request.body))
    conversation = conversation_id or f"client:{request.ip or 'unknown'}"
    ticket = await services.ticket_status(
        ctx.tickets, ctx.status_limits, reference, email, conversation
    )
    return response.json(documents.ticket_status(ticket))


@bp.delete("/conversations/<conversation_id:str>", name="erase_conversation")
@service_only
async def erase_conversation(request: Request, conversation_id: str) -> HTTPResponse:
    """The customer asked the chat to delete it; again later for the turn Rasa saves after."""
    conversations, now = request.app.ctx.conversations, utcnow()
    deleted = await services.erase_conversation(conversations, conversation_id, now)
    request.app.add_task(services.erase_conversation(conversations, conversation_id, now, 6.0))
    return response.json({"conversation_id": conversation_id, "events_deleted": deleted})


@bp.get("/tickets", name="list_tickets")
@staff_api
async def list_tickets(request: Request) -> HTTPResponse:
    filters = validation.parse_ticket_filter(request.args)
    tickets = await services.list_tickets(request.app.ctx.tickets, filters)
    return response.json({"tickets": [documents.ticket_document(t) for t in tickets]})


@bp.get("/tickets/<reference:str>", name="get_ticket")
@staff_api
async def get_ticket(request: Request, reference: str) -> HTTPResponse:
    detail = await services.ticket_detail(
        request.app.ctx.tickets, reference, staff_name(request), via="api"
    )
    return response.json(documents.detail_document(detail))


@bp.post("/tickets/<reference:str>/transitions", name="change_status")
@staff_api
async def change_status(request: Request, reference: str) -> HTTPResponse:
    status = validation.parse_status(validation.parse_json(request.body))
    ctx = request.app.ctx
    ticket = await services.change_status(
        ctx.tickets, reference, status, staff_name(request), ctx.conversations
    )
    return response.json(documents.ticket_document(ticket))


@bp.patch("/tickets/<reference:str>", name="update_ticket")
@staff_api
async def update_ticket(request: Request, reference: str) -> HTTPResponse:
    assignee = validation.parse_assignee(validation.parse_json(request.body))
    actor = staff_name(request)
    ticket = await services.assign(request.app.ctx.tickets, reference, assignee, actor)
    return response.json(documents.ticket_document(ticket))


@bp.post("/tickets/<reference:str>/notes", name="add_note")
@staff_api
async def add_note(request: Request, reference: str) -> HTTPResponse:
    text = validation.parse_note(validation.parse_json(request.body))
    note = await services.add_note(request.app.ctx.tickets, reference, text, staff_name(request))
    return response.json(documents.note_document(note), status=201)


@bp.post("/staff/sessions", name="staff_login")
async def staff_login(request: Request) -> HTTPResponse:
    """Staff API login: username, password (and the TOTP code if enrolled) for a bearer token
    (rate limited)."""
    username, password, code = validation.parse_login(validation.parse_json(request.body))
    ctx = request.app.ctx
    opened = await services.login(
        ctx.staff, ctx.login_limits, username, password, str(request.ip),
        auth.session_lifetime(ctx.settings), code=code, box=ctx.totp_box,
    )  # fmt: skip
    return response.json({"token": opened.token, "token_type": "Bearer"}, status=201)


@bp.delete("/staff/sessions", name="staff_logout")
@staff_api
async def staff_logout(request: Request) -> HTTPResponse:
    """Closes the session the request carries, the API token's or the console cookie's."""
    await services.logout(request.app.ctx.staff, auth.session_token(request))
    resp = response.empty()
    auth.clear_cookie(resp, auth.SESSION_COOKIE, request.app.ctx.settings.secure_cookies)
    return resp


@bp.exception(*api_errors.HANDLED)
async def to_api_error(request: Request, error: Exception) -> HTTPResponse:
    return api_errors.render(error)
