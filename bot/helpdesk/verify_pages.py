"""Identity verification pages: the customer's code page at /verify (no login: the emailed
code is the proof, for customers who left the chat), and the staff's "send a code" button on a
ticket. Each handler parses the form, calls one verification service and renders."""

from __future__ import annotations

import asyncio
import functools

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from bot.contract import parse_reference
from bot.helpdesk import auth, pages, verification
from bot.helpdesk.mail import send_verification_email
from bot.helpdesk.verification import TooManyVerificationAttempts, VerificationRefused

bp = Blueprint("helpdesk_verification")

# What the customer is told for each refusal (never whether another ticket exists).
REFUSALS = {
    "wrong": "That code is not right. You have {left} more attempt(s).",
    "expired": "That code has expired (codes are valid for 24 hours). The Help Desk can send you "
    "a new one: write to the Personal Information Protection Help Desk and quote your reference.",
    "locked": "This request's verification is locked after three wrong codes. Please contact the "
    "Personal Information Protection Help Desk and quote your reference: staff can check it is "
    "you and send a new code.",
    "not_pending": "There is no verification waiting for this reference. Check the reference in "
    "the email, or contact the Personal Information Protection Help Desk.",
}


def _page(
    request: Request, reference: str, message: str | None, done: bool, status: int = 200
) -> HTTPResponse:
    return pages.render(
        request, "verify.html", status=status, reference=reference, message=message, done=done
    )


@bp.get("/verify", name="verify_form")
async def verify_form(request: Request) -> HTTPResponse:
    return _page(request, (request.args.get("reference") or "")[:32], None, False)


@bp.post("/verify", name="verify")
async def verify(request: Request) -> HTTPResponse:
    typed = (request.form.get("reference") or "")[:32]
    reference = parse_reference(typed) or typed.strip().upper()
    ctx = request.app.ctx
    try:
        await verification.verify_code(
            ctx.tickets, ctx.verification_limiter, reference,
            (request.form.get("code") or "")[:20], ctx.settings.secret_key, str(request.ip),
        )  # fmt: skip
    except VerificationRefused as refused:
        message = REFUSALS[refused.reason].format(left=refused.attempts_left)
        return _page(request, typed, message, False, 422)
    except TooManyVerificationAttempts:
        return _page(request, typed, "Too many attempts; please wait a few minutes.", False, 429)
    return _page(request, reference, None, True)


@bp.post("/helpdesk/tickets/<reference:str>/verification", name="send_verification_code")
@auth.staff_form
async def send_code(request: Request, reference: str) -> HTTPResponse:
    """Staff send (or resend) a code: a new code replaces the old one and lifts a lock."""
    ctx = request.app.ctx
    send = functools.partial(send_verification_email, ctx.settings)
    try:
        await verification.send_code(
            ctx.tickets, reference, ctx.settings.secret_key, auth.staff_name(request), send
        )
    except VerificationRefused:
        message = "Codes can only be sent while the ticket is in identity_check."
        return await pages.ticket_page(request, reference, message, 409)
    except (OSError, asyncio.TimeoutError) as error:  # SMTP, network or timeout
        return await pages.ticket_page(request, reference, f"The email failed: {error}", 502)
    return pages.ticket_redirect(reference)
