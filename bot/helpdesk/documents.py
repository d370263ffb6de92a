"""The JSON documents the API answers with (the shapes of docs/architecture.md)."""

from __future__ import annotations

from typing import Any

from bot.contract import (
    STATUS_LABELS,
    VERIFICATION_LOCKED_LABEL,
    WAITING_FOR_EMAIL_VERIFICATION_LABEL,
    Status,
)
from bot.helpdesk.models import Note, Ticket, TicketDetail
from bot.helpdesk.transitions import next_statuses


def ticket_summary(ticket: Ticket) -> dict[str, Any]:
    """What the bot gets back when it opens a ticket."""
    return {
        "reference": ticket.reference,
        "type": ticket.type.value,
        "status": ticket.status.value,
        "email": ticket.email,
        "created_at": ticket.created_at.isoformat(),
        "due_at": ticket.due_at.isoformat(),
    }


def verification_outcome(reference: str, result: str, attempts_left: int) -> dict[str, Any]:
    """What the bot learns from a code typed in the chat: verified, wrong (with the attempts
    left), expired, locked or not_pending. Never the code, never whose ticket it is."""
    return {"reference": reference, "result": result, "attempts_left": attempts_left}


def customer_status_label(ticket: Ticket) -> str:
    """The status in the customer's words, saying when they are the ones to act."""
    if ticket.status is Status.IDENTITY_CHECK and ticket.verification_state == "pending":
        return WAITING_FOR_EMAIL_VERIFICATION_LABEL
    if ticket.status is Status.IDENTITY_CHECK and ticket.verification_state == "locked":
        return VERIFICATION_LOCKED_LABEL
    return STATUS_LABELS[ticket.status]


def ticket_status(ticket: Ticket) -> dict[str, Any]:
    """What a customer may learn about their ticket (through the bot)."""
    return {
        "reference": ticket.reference,
        "type": ticket.type.value,
        "status": ticket.status.value,
        "status_label": customer_status_label(ticket),
        "created_at": ticket.created_at.isoformat(),
        "updated_at": ticket.updated_at.isoformat(),
        "due_at": ticket.due_at.isoformat(),
    }


def ticket_document(ticket: Ticket) -> dict[str, Any]:
    """Everything staff see about a ticket, and where it may go next."""
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
        "verification": ticket.verification_state,  # never the code
        "next_statuses": [s.value for s in next_statuses(ticket.status)],
    }


def note_document(note: Note) -> dict[str, Any]:
    return {"author": note.author, "text": note.text, "created_at": note.created_at.isoformat()}


def detail_document(detail: TicketDetail) -> dict[str, Any]:
    return {
        **ticket_document(detail.ticket),
        "notes": [note_document(n) for n in detail.notes],
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
