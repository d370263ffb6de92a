"""The help desk's domain: tickets, notes, audit trail, staff accounts (no database here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.contract import OPEN_STATUSES as OPEN_STATUSES
from bot.contract import REQUEST_TYPE_TITLES, RequestType
from bot.contract import STATUS_LABELS as STATUS_LABELS
from bot.contract import Origin as Origin
from bot.contract import Status as Status

# The help desk calls a request type a ticket type; the names and labels are the contract's.
TicketType = RequestType
TYPE_LABELS = REQUEST_TYPE_TITLES


@dataclass(frozen=True)
class ExcerptMessage:
    sender: str
    text: str
    timestamp: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"sender": self.sender, "text": self.text, "timestamp": self.timestamp}


@dataclass(frozen=True)
class NewTicket:
    """A validated request to open a ticket, before it has a reference."""

    type: TicketType
    requester_name: str
    email: str
    details: str
    origin: Origin = Origin.CHAT
    phone: str | None = None
    membership_id: str | None = None
    service: str | None = None
    conversation_id: str | None = None
    conversation_excerpt: tuple[ExcerptMessage, ...] = ()


@dataclass(frozen=True)
class Ticket:
    reference: str
    type: TicketType
    status: Status
    requester_name: str
    email: str
    details: str
    origin: Origin
    created_at: datetime
    updated_at: datetime
    due_at: datetime
    phone: str | None = None
    membership_id: str | None = None
    service: str | None = None
    conversation_id: str | None = None
    conversation_excerpt: tuple[ExcerptMessage, ...] = ()
    assignee: str | None = None
    notified_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, now: datetime) -> bool:
        return self.is_open and self.due_at < now


@dataclass(frozen=True)
class Note:
    author: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class AuditEntry:
    actor: str
    action: str
    detail: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class TicketFilter:
    status: Status | None = None
    type: TicketType | None = None
    overdue: bool = False
    limit: int = 500


@dataclass(frozen=True)
class StaffUser:
    id: int
    username: str


@dataclass(frozen=True)
class StaffSession:
    staff: StaffUser
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class CreatedTicket:
    """The outcome of an idempotent create: the ticket, and whether this call made it."""

    ticket: Ticket
    created: bool


@dataclass
class TicketDetail:
    ticket: Ticket
    notes: list[Note] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)
