"""Telling the help desk about a new ticket by email, without holding up the API response."""

from __future__ import annotations

import asyncio
import functools
import logging
import smtplib
from collections.abc import Coroutine
from email.message import EmailMessage
from typing import Any

from sanic import Sanic

from bot.contract import VERIFICATION_VALID_HOURS, Status
from bot.helpdesk import services, verification
from bot.helpdesk.models import SYSTEM_ACTOR, TYPE_LABELS, Ticket
from bot.helpdesk.repository import TicketRepository
from bot.helpdesk.settings import Settings

log = logging.getLogger(__name__)


def new_ticket_message(settings: Settings, ticket: Ticket) -> EmailMessage:
    """The email carries the reference and what to do, not the customer's personal data."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = settings.mail_to
    message["Subject"] = f"New {TYPE_LABELS[ticket.type].lower()} request {ticket.reference}"
    message.set_content(
        "\n".join(
            (
                f"A new request was opened: {ticket.reference}",
                f"Type: {TYPE_LABELS[ticket.type]}",
                f"Origin: {ticket.origin.value}",
                f"Service: {ticket.service or '-'}",
                f"Due: {ticket.due_at:%Y-%m-%d %H:%M} UTC",
                "",
                f"Open it in the staff console: /helpdesk/tickets/{ticket.reference}",
            )
        )
    )
    return message


def verification_message(settings: Settings, ticket: Ticket, code: str) -> EmailMessage:
    """To the requester: what was asked, the code, where to enter it, and what to do if it was
    not them. No other personal data."""
    label = TYPE_LABELS[ticket.type].lower()
    link = f"{settings.public_url}/verify?reference={ticket.reference}"
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = ticket.email
    message["Subject"] = f"Your verification code for request {ticket.reference}"
    message.set_content(
        "\n".join(
            (
                "Someone asked the CASIO privacy assistant to open a request with this email "
                f"address: {label} ({ticket.reference}).",
                "",
                f"Your verification code: {code}",
                "",
                "Type it in the chat, or enter it on this page together with the reference:",
                link,
                "",
                f"The code is valid for {VERIFICATION_VALID_HOURS} hours. The Personal Information "
                "Protection Help Desk starts on the request once it is verified.",
                "",
                "If this was not you, ignore this email: without the code nothing happens, and "
                "the request is not acted on.",
            )
        )
    )
    return message


async def send_verification_email(settings: Settings, ticket: Ticket, code: str) -> None:
    """Send the code in a worker thread; raises on failure (the caller says so)."""
    message = verification_message(settings, ticket, code)
    await asyncio.wait_for(
        asyncio.to_thread(_send, settings, message), timeout=settings.mail_timeout_seconds + 1
    )


def _send(settings: Settings, message: EmailMessage) -> None:
    with smtplib.SMTP(
        settings.smtp_host, settings.smtp_port, timeout=settings.mail_timeout_seconds
    ) as smtp:
        smtp.send_message(message)


async def send_new_ticket_email(settings: Settings, ticket: Ticket) -> None:
    """Send in a worker thread, giving up after the configured timeout. Raises on failure."""
    message = new_ticket_message(settings, ticket)
    await asyncio.wait_for(
        asyncio.to_thread(_send, settings, message), timeout=settings.mail_timeout_seconds + 1
    )


async def notify_new_ticket(settings: Settings, tickets: TicketRepository, ticket: Ticket) -> None:
    """Send the email, then record the outcome on the ticket; failures are logged, never lost."""
    try:
        await send_new_ticket_email(settings, ticket)
    except Exception as error:  # any SMTP, network or timeout failure
        log.warning("Could not email the help desk about %s: %r", ticket.reference, error)
        outcome, detail = False, f"{type(error).__name__}: {error}"[:500]
    else:
        outcome, detail = True, f"sent to {settings.mail_to}"
    try:
        await services.record_notification(tickets, ticket.reference, outcome, detail)
    except Exception:
        log.exception("Could not record the email outcome for %s", ticket.reference)


async def send_first_verification_code(
    settings: Settings, tickets: TicketRepository, ticket: Ticket
) -> None:
    """Email the requester of a new chat request their code. A failure is logged by reference
    only (an SMTP error may quote the address); staff see the verification as pending on the
    ticket page and can send a new code."""
    send = functools.partial(send_verification_email, settings)
    try:
        await verification.send_code(
            tickets, ticket.reference, settings.secret_key, SYSTEM_ACTOR, send
        )
    except Exception as error:  # any SMTP, network or timeout failure, or no longer pending
        log.warning(
            "Could not email the verification code for %s: %s",
            ticket.reference,
            type(error).__name__,
        )


def _in_background(app: Sanic, work: Coroutine[Any, Any, None]) -> None:
    task = asyncio.get_running_loop().create_task(work)
    app.ctx.background_tasks.add(task)
    task.add_done_callback(app.ctx.background_tasks.discard)


def schedule_new_ticket_email(app: Sanic, ticket: Ticket) -> None:
    """Runs after the ticket is committed: the help desk's email and, for a request waiting in
    identity_check (from the chat), the requester's code. The app awaits pending emails before
    shutting down."""
    ctx = app.ctx
    _in_background(app, ctx.notify(ctx.settings, ctx.tickets, ticket))
    if ticket.status is Status.IDENTITY_CHECK:
        _in_background(app, ctx.send_first_code(ctx.settings, ctx.tickets, ticket))


async def wait_for_pending_emails(app: Sanic, timeout: float) -> None:
    pending = set(getattr(app.ctx, "background_tasks", ()))
    if pending:
        await asyncio.wait(pending, timeout=timeout)
