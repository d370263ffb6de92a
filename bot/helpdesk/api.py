"""The JSON API under /api/v1: ticket creation and status lookup for the bot, staff endpoints."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse

from bot.contract import parse_reference
from bot.helpdesk.auth import (
    bearer_token,
    service_only,
    staff_api,
    verify_password,
)
from bot.helpdesk.errors import api_error
from bot.helpdesk.mail import schedule_new_ticket_email
from bot.helpdesk.models import STATUS_LABELS, Ticket, TicketDetail, TicketFilter
from bot.helpdesk.repository import IdempotencyConflict, TicketNotFound, request_fingerprint
from bot.helpdesk.transitions import TransitionRefused, next_statuses
from bot.helpdesk.validation import (
    ValidationFailed,
    parse_assignee,
    parse_filters,
    parse_idempotency_key,
    parse_new_ticket,
    parse_note,
    parse_status,
)

OPENAPI_PATH = Path(__file__).resolve().parent / "openapi.yaml"
NOT_FOUND_MESSAGE = "No request matches this reference and email address."
SERVICE_ACTOR = "privacy-assistant"


class InvalidJson(ValueError):
    pass


def read_json(request: Request) -> Any:
    try:
        return json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        raise InvalidJson("The request body is not valid JSON.") from None


def ticket_summary(ticket: Ticket) -> dict[str, Any]:
    return {
        "reference": ticket.reference,
        "type": ticket.type.value,
        "status": ticket.status.value,
        "email": ticket.email,
        "created_at": ticket.created_at.isoformat(),
        "due_at": ticket.due_at.isoformat(),
    }


def ticket_document(ticket: Ticket) -> dict[str, Any]:
    return {
        **ticket_summary(ticket),
        "requester_name": ticket.requester_name,
        "phone": ticket.phone,
        "membership_id": ticket.membership_id,
        "service": ticket.service,
        "details": ticket.details,
        "origin": ticket.origin.value,
        "conversation_id": ticket.conversation_id,
        "conversation_excerpt": [m.as_dict() for m in ticket.conversation_excerpt],
        "assignee": ticket.assignee,
        "updated_at": ticket.updated_at.isoformat(),
        "notified_at": ticket.notified_at.isoformat() if ticket.notified_at else None,
        "next_statuses": [s.value for s in next_statuses(ticket.status)],
    }


def detail_document(detail: TicketDetail) -> dict[str, Any]:
    return {
        **ticket_document(detail.ticket),
        "notes": [
            {"author": n.author, "text": n.text, "created_at": n.created_at.isoformat()}
            for n in detail.notes
        ],
        "audit": [
            {
                "actor": a.actor,
                "action": a.action,
                "detail": a.detail,
                "created_at": a.created_at.isoformat(),
            }
            for a in detail.audit
        ],
    }


def _bad_input(error: Exception) -> HTTPResponse:
    if isinstance(error, InvalidJson):
        return api_error(400, str(error))
    assert isinstance(error, ValidationFailed)
    return api_error(422, "Some fields are missing or invalid.", error.fields)


def create_api_blueprint() -> Blueprint:
    bp = Blueprint("helpdesk_api", url_prefix="/api/v1")

    @bp.get("/openapi.yaml", name="openapi")
    async def openapi(request: Request) -> HTTPResponse:
        return response.text(
            OPENAPI_PATH.read_text(encoding="utf-8"), content_type="application/yaml"
        )

    @bp.post("/tickets", name="create_ticket")
    @service_only
    async def create_ticket(request: Request) -> HTTPResponse:
        try:
            key = parse_idempotency_key(request.headers.get("idempotency-key"))
            payload = read_json(request)
            new = parse_new_ticket(payload)
        except (InvalidJson, ValidationFailed) as error:
            return _bad_input(error)
        try:
            result = await request.app.ctx.tickets.create(
                new, SERVICE_ACTOR, key, request_fingerprint(payload)
            )
        except IdempotencyConflict as error:
            return api_error(409, str(error), {"Idempotency-Key": "used for a different body"})
        if result.created:
            schedule_new_ticket_email(request.app, result.ticket)
        return response.json(ticket_summary(result.ticket), status=201 if result.created else 200)

    @bp.get("/tickets/<reference:str>/status", name="ticket_status")
    @service_only
    async def ticket_status(request: Request, reference: str) -> HTTPResponse:
        email = (request.args.get("email") or "").strip()
        canonical = parse_reference(reference) or reference.strip().upper()[:32]
        ctx = request.app.ctx
        by_client = ctx.status_limiter_by_client.hit(request.ip or "unknown")
        by_reference = ctx.status_limiter_by_reference.hit(canonical)
        if not (by_client and by_reference):
            window = int(ctx.settings.status_limit_window_seconds)
            return api_error(
                429,
                "Too many status lookups; please try again in a minute.",
                headers={"Retry-After": str(window)},
            )
        ticket = await ctx.tickets.get(canonical)
        if ticket is None or not email or ticket.email.lower() != email.lower():
            return api_error(404, NOT_FOUND_MESSAGE)
        return response.json(
            {
                "reference": ticket.reference,
                "type": ticket.type.value,
                "status": ticket.status.value,
                "status_label": STATUS_LABELS[ticket.status],
                "created_at": ticket.created_at.isoformat(),
                "updated_at": ticket.updated_at.isoformat(),
                "due_at": ticket.due_at.isoformat(),
            }
        )

    @bp.get("/tickets", name="list_tickets")
    @staff_api
    async def list_tickets(request: Request) -> HTTPResponse:
        try:
            status, ticket_type, overdue = parse_filters(
                {k: request.args.get(k, "") for k in ("status", "type", "overdue")}
            )
        except ValidationFailed as error:
            return _bad_input(error)
        tickets = await request.app.ctx.tickets.list(
            TicketFilter(status=status, type=ticket_type, overdue=overdue)
        )
        return response.json({"tickets": [ticket_document(t) for t in tickets]})

    @bp.get("/tickets/<reference:str>", name="get_ticket")
    @staff_api
    async def get_ticket(request: Request, reference: str) -> HTTPResponse:
        detail = await request.app.ctx.tickets.detail(reference)
        if detail is None:
            return api_error(404, f"There is no ticket {reference}.")
        return response.json(detail_document(detail))

    @bp.post("/tickets/<reference:str>/transitions", name="change_status")
    @staff_api
    async def change_status(request: Request, reference: str) -> HTTPResponse:
        try:
            status = parse_status(read_json(request))
            ticket = await request.app.ctx.tickets.change_status(
                reference, status, request.ctx.session.staff.username
            )
        except (InvalidJson, ValidationFailed) as error:
            return _bad_input(error)
        except TicketNotFound as error:
            return api_error(404, str(error))
        except TransitionRefused as error:
            return api_error(409, str(error), {"status": "not allowed from the current status"})
        return response.json(ticket_document(ticket))

    @bp.patch("/tickets/<reference:str>", name="update_ticket")
    @staff_api
    async def update_ticket(request: Request, reference: str) -> HTTPResponse:
        try:
            assignee = parse_assignee(read_json(request))
            ticket = await request.app.ctx.tickets.assign(
                reference, assignee, request.ctx.session.staff.username
            )
        except (InvalidJson, ValidationFailed) as error:
            return _bad_input(error)
        except TicketNotFound as error:
            return api_error(404, str(error))
        return response.json(ticket_document(ticket))

    @bp.post("/tickets/<reference:str>/notes", name="add_note")
    @staff_api
    async def add_note(request: Request, reference: str) -> HTTPResponse:
        try:
            text = parse_note(read_json(request))
            note = await request.app.ctx.tickets.add_note(
                reference, text, request.ctx.session.staff.username
            )
        except (InvalidJson, ValidationFailed) as error:
            return _bad_input(error)
        except TicketNotFound as error:
            return api_error(404, str(error))
        return response.json(
            {"author": note.author, "text": note.text, "created_at": note.created_at.isoformat()},
            status=201,
        )

    @bp.post("/staff/sessions", name="staff_login")
    async def staff_login(request: Request) -> HTTPResponse:
        """Staff API login: username and password for a bearer token (rate limited)."""
        try:
            payload = read_json(request)
        except InvalidJson as error:
            return _bad_input(error)
        if not isinstance(payload, dict):
            return api_error(422, "Send a JSON object.", {"body": "must be a JSON object"})
        username, password = payload.get("username"), payload.get("password")
        missing = {
            name: "is required"
            for name, value in (("username", username), ("password", password))
            if not isinstance(value, str) or not value
        }
        if missing:
            return api_error(422, "Username and password are required.", missing)
        ctx = request.app.ctx
        limiter_key = f"{request.ip}:{str(username).lower()}"
        if ctx.login_limiter.is_limited(limiter_key):
            return api_error(429, "Too many failed logins; please wait a few minutes.")
        found = await ctx.staff.password_hash(username)
        if not verify_password(found[1] if found else None, str(password)) or found is None:
            ctx.login_limiter.hit(limiter_key)
            return api_error(401, "Wrong username or password.")
        ctx.login_limiter.reset(limiter_key)
        token, _ = await ctx.staff.open_session(
            found[0], timedelta(hours=ctx.settings.session_hours)
        )
        return response.json({"token": token, "token_type": "Bearer"}, status=201)

    @bp.delete("/staff/sessions", name="staff_logout")
    @staff_api
    async def staff_logout(request: Request) -> HTTPResponse:
        token = bearer_token(request)
        if token:
            await request.app.ctx.staff.close_session(token)
        return response.empty()

    return bp
