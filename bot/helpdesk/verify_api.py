"""The chat's entrance to identity verification: POST /api/v1/tickets/<reference>/verification.

The action server sends the code the customer typed, with the conversation it was typed in
(service token only). The handler parses, calls one verification service and renders; what
the parsers and the rate limit raise becomes an API error through the API's one table.
"""

from __future__ import annotations

from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse

from bot.helpdesk import api_errors, documents, validation, verification
from bot.helpdesk.auth import service_only

bp = Blueprint("helpdesk_verify_api", url_prefix="/api/v1")


@bp.post("/tickets/<reference:str>/verification", name="verify_ticket")
@service_only
async def verify_ticket(request: Request, reference: str) -> HTTPResponse:
    """200 with the outcome (verified, wrong, expired, locked, not_pending) for a well-formed
    attempt; 422 naming the field for a bad one; 429 when the conversation tries too often."""
    reference, code, conversation_id = validation.parse_verification_attempt(
        reference, validation.parse_json(request.body)
    )
    ctx = request.app.ctx
    result, attempts_left = await verification.check_code(
        ctx.tickets, ctx.verification_limiter, reference, code, ctx.settings.secret_key,
        conversation_id,
    )  # fmt: skip
    return response.json(documents.verification_outcome(reference, result, attempts_left))


@bp.exception(*api_errors.HANDLED)
async def to_api_error(request: Request, error: Exception) -> HTTPResponse:
    return api_errors.render(error)
