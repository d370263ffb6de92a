"""Identity verification by emailed code: the use cases (service layer), for every entrance.

A chat request waits in `identity_check` until the requester enters the 6-digit code emailed to
them (in the chat or on the verification page); then it moves to `new` for staff. Only an HMAC
of the code (keyed with HELPDESK_SECRET_KEY and bound to the ticket's reference) is stored, it is
compared in constant time, attempts are rate limited per client, a code is valid for 24 hours,
and the third wrong code locks that ticket's verification until staff send a new code.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.contract import (
    VERIFICATION_CODE_DIGITS,
    VERIFICATION_MAX_ATTEMPTS,
    VERIFICATION_VALID_HOURS,
    Status,
)
from bot.helpdesk.models import Change, Ticket, TicketNotFound, utcnow
from bot.helpdesk.ratelimit import RateLimit
from bot.helpdesk.repository import TicketRepository


class VerificationRefused(Exception):
    """The code was not accepted; `reason` is wrong, expired, locked or not_pending."""

    def __init__(self, reason: str, attempts_left: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts_left = attempts_left


class TooManyVerificationAttempts(Exception):
    """Too many codes tried from this client in a short time."""


def new_code() -> str:
    return f"{secrets.randbelow(10**VERIFICATION_CODE_DIGITS):0{VERIFICATION_CODE_DIGITS}d}"


def code_hash(secret_key: str, reference: str, code: str) -> str:
    message = f"{reference}:{code}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def normalised_code(code: str) -> str:
    """'123 456' and ' 123-456 ' are the code 123456."""
    return "".join(character for character in code if character.isdigit())


async def issue_code(
    tickets: TicketRepository, reference: str, secret_key: str, actor: str
) -> tuple[Ticket, str]:
    """A new code for a ticket waiting for verification (first or resent by staff); returns the
    ticket and the code to email, which is stored nowhere. Earlier codes stop working."""
    code = new_code()
    now = utcnow()
    expires_at = now + timedelta(hours=VERIFICATION_VALID_HOURS)

    def decide(ticket: Ticket) -> Change:
        if ticket.status is not Status.IDENTITY_CHECK or ticket.verified_at is not None:
            raise VerificationRefused("not_pending")
        return ticket.verification_issued(
            code_hash(secret_key, ticket.reference, code), expires_at, actor, now
        )

    change = await tickets.update(reference, decide)
    return change.ticket, code


async def verify_code(
    tickets: TicketRepository,
    limiter: RateLimit,
    reference: str,
    code: str,
    secret_key: str,
    client: str,
    conversation_id: str | None = None,
) -> Ticket:
    """Check a code: the verified ticket, or VerificationRefused saying why. With a
    `conversation_id` (the chat), only the ticket opened in that conversation can be verified:
    any other is `not_pending`, and no attempt is counted on it."""
    if not await limiter.hit(f"{client}:{reference}"):
        raise TooManyVerificationAttempts()
    digits = normalised_code(code)
    outcome: dict[str, str] = {}

    def decide(ticket: Ticket) -> Change:
        now = utcnow()
        if conversation_id is not None and ticket.conversation_id != conversation_id:
            raise VerificationRefused("not_pending")
        if ticket.verification_locked_at is not None:
            outcome["reason"] = "locked"
        elif ticket.status is not Status.IDENTITY_CHECK or not ticket.verification_code_hash:
            raise VerificationRefused("not_pending")
        elif ticket.verification_expires_at is None or ticket.verification_expires_at < now:
            outcome["reason"] = "expired"
        else:
            expected = ticket.verification_code_hash
            given = code_hash(secret_key, ticket.reference, digits)
            outcome["reason"] = "verified" if hmac.compare_digest(expected, given) else "wrong"
        return ticket.verification_tried(outcome["reason"], now)

    try:
        change = await tickets.update(reference, decide)
    except TicketNotFound:
        raise VerificationRefused("not_pending") from None
    if outcome["reason"] != "verified":
        left = max(0, VERIFICATION_MAX_ATTEMPTS - change.ticket.verification_attempts)
        reason = "locked" if change.ticket.verification_locked_at else outcome["reason"]
        raise VerificationRefused(reason, left)
    return change.ticket


async def check_code(
    tickets: TicketRepository,
    limiter: RateLimit,
    reference: str,
    code: str,
    secret_key: str,
    conversation_id: str,
) -> tuple[str, int]:
    """A code typed in the chat, for the ticket opened in that conversation: ("verified", 0),
    or the refusal's reason and the attempts left. Rate limited per conversation and ticket."""
    try:
        await verify_code(
            tickets, limiter, reference, code, secret_key, f"conversation:{conversation_id}",
            conversation_id=conversation_id,
        )  # fmt: skip
    except VerificationRefused as refused:
        return refused.reason, refused.attempts_left
    return "verified", 0


async def send_code(
    tickets: TicketRepository,
    reference: str,
    secret_key: str,
    actor: str,
    send: Callable[[Ticket, str], Awaitable[None]],
) -> Ticket:
    """Issue a code (first or resent) and email it; the email's failure propagates."""
    ticket, code = await issue_code(tickets, reference, secret_key, actor)
    await send(ticket, code)
    return ticket
