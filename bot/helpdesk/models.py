"""The help desk's domain: tickets, notes, audit trail, staff accounts (no database here).

The rules about a ticket live here, next to it: when it is due, how it may change, and what
the audit trail says about each change. A change is computed as a `Change` (the ticket after
it, its audit entry, and a note if one was written); the repository only stores it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from bot.contract import (
    OPEN_STATUSES,
    REQUEST_TYPE_TITLES,
    VERIFICATION_MAX_ATTEMPTS,
    Origin,
    RequestType,
    Status,
)
from bot.helpdesk.transitions import check_transition

SYSTEM_ACTOR = "system"

# The help desk calls a request type a ticket type; the names and labels are the contract's.
TicketType = RequestType
TYPE_LABELS = REQUEST_TYPE_TITLES


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class TicketNotFound(LookupError):
    def __init__(self, reference: str) -> None:
        super().__init__(f"There is no ticket {reference}.")
        self.reference = reference


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
    verification_code_hash: str | None = None  # HMAC of the emailed code; never shown
    verification_expires_at: datetime | None = None
    verification_attempts: int = 0
    verified_at: datetime | None = None
    verification_locked_at: datetime | None = None

    @classmethod
    def open(cls, new: NewTicket, reference: str, now: datetime, due_days: int) -> Ticket:
        """A new ticket, due `due_days` after it was opened. A chat request waits in
        `identity_check` until the requester enters the code emailed to them; a ticket staff
        open in the console starts as `new`."""
        status = Status.IDENTITY_CHECK if new.origin is Origin.CHAT else Status.NEW
        return cls(
            reference=reference, type=new.type, status=status,
            requester_name=new.requester_name, email=new.email, details=new.details,
            origin=new.origin, created_at=now, updated_at=now,
            due_at=now + timedelta(days=due_days), phone=new.phone,
            membership_id=new.membership_id, service=new.service,
            conversation_id=new.conversation_id, conversation_excerpt=new.conversation_excerpt,
        )  # fmt: skip

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, now: datetime) -> bool:
        return self.is_open and self.due_at < now

    def matches_email(self, email: str) -> bool:
        """Customers prove which ticket is theirs with its email address, in any case."""
        return bool(email) and self.email.lower() == email.lower()

    def moved_to(self, status: Status, actor: str, now: datetime) -> Change:
        """Raises TransitionRefused unless the workflow allows the move."""
        check_transition(self.status, status)
        moved = {"from": self.status.value, "to": status.value}
        return Change(
            replace(self, status=status, updated_at=now),
            AuditEntry(actor, "status_changed", moved, now),
        )

    def assigned_to(self, assignee: str | None, actor: str, now: datetime) -> Change:
        return Change(
            replace(self, assignee=assignee, updated_at=now),
            AuditEntry(actor, "assignee_changed", {"from": self.assignee, "to": assignee}, now),
        )

    def noted(self, text: str, actor: str, now: datetime) -> Change:
        return Change(
            replace(self, updated_at=now),
            AuditEntry(actor, "note_added", {"length": len(text)}, now),
            note=Note(actor, text, now),
        )

    @property
    def erases_its_conversation(self) -> bool:
        """A completed erasure request covers the chat it was opened in, too."""
        return (
            self.type is RequestType.ERASURE
            and self.status is Status.COMPLETED
            and bool(self.conversation_id)
        )

    def conversation_erased(self, events: int, actor: str, now: datetime) -> Change:
        """The chat is gone from the tracker store: the excerpt becomes a dated note."""
        note = ExcerptMessage("system", erased_note(now), now.isoformat())
        return Change(
            replace(self, conversation_excerpt=(note,), updated_at=now),
            AuditEntry(actor, "conversation_erased", {"events_deleted": events}, now),
        )

    @property
    def keeps_personal_data(self) -> bool:
        """False once the retention period removed the requester's details (the email goes:
        every ticket is opened with one)."""
        return bool(self.email)

    def personal_data_removed(self, actor: str, now: datetime) -> Change:
        """Closed past the retention period: the ticket keeps its reference, type, status,
        dates and audit trail (the record that the request was handled), not who made it."""
        note = removed_note(now)
        return Change(
            replace(
                self, requester_name=REMOVED_NAME, email="", phone=None, membership_id=None,
                details=note, conversation_id=None,
                conversation_excerpt=(ExcerptMessage("system", note, now.isoformat()),),
                updated_at=now,
            ),
            AuditEntry(actor, "personal_data_removed", {"reason": "retention period"}, now),
        )  # fmt: skip

    @property
    def verification_state(self) -> str:
        """For staff: not_requested, pending, verified or locked (never the code)."""
        if self.verified_at is not None:
            return "verified"
        if self.verification_locked_at is not None:
            return "locked"
        return "pending" if self.verification_code_hash else "not_requested"

    def verification_issued(
        self, code_hash: str, expires_at: datetime, actor: str, now: datetime
    ) -> Change:
        """A new code (first or resent): earlier codes stop working, attempts start again."""
        return Change(
            replace(
                self, verification_code_hash=code_hash, verification_expires_at=expires_at,
                verification_attempts=0, verification_locked_at=None, updated_at=now,
            ),
            AuditEntry(
                actor, "verification_code_sent", {"expires_at": expires_at.isoformat()}, now
            ),
        )  # fmt: skip

    def verification_tried(self, outcome: str, now: datetime) -> Change:
        """Record one attempt: `verified` moves the request to staff (status new); `wrong`
        counts, and the last allowed wrong attempt locks verification; `expired` and `locked`
        change nothing but the audit trail."""
        if outcome == "verified":
            moved = {"from": self.status.value, "to": Status.NEW.value}
            return Change(
                replace(
                    self, status=Status.NEW, verified_at=now, verification_code_hash=None,
                    verification_expires_at=None, updated_at=now,
                ),
                AuditEntry(SYSTEM_ACTOR, "identity_verified", moved, now),
            )  # fmt: skip
        if outcome == "wrong":
            attempts = self.verification_attempts + 1
            locked = attempts >= VERIFICATION_MAX_ATTEMPTS
            return Change(
                replace(
                    self, verification_attempts=attempts,
                    verification_locked_at=now if locked else None, updated_at=now,
                ),
                AuditEntry(
                    SYSTEM_ACTOR, "verification_locked" if locked else "verification_failed",
                    {"attempts": attempts}, now,
                ),
            )  # fmt: skip
        return Change(self, AuditEntry(SYSTEM_ACTOR, f"verification_{outcome}", {}, now))

    def read(self, actor: str, action: str, detail: dict[str, Any], now: datetime) -> Change:
        """A read of personal data (a view, an export): audited, the ticket unchanged."""
        return Change(self, AuditEntry(actor, action, detail, now))

    def notified(self, sent: bool, detail: str, now: datetime) -> Change:
        """The outcome of the new-ticket email, recorded by the system."""
        action = "notification_sent" if sent else "notification_failed"
        return Change(
            replace(self, notified_at=now) if sent else self,
            AuditEntry(SYSTEM_ACTOR, action, {"detail": detail}, now),
        )


def erased_note(now: datetime) -> str:
    return f"conversation erased on {now.date().isoformat()}"


REMOVED_NAME = "(removed)"


def removed_note(now: datetime) -> str:
    return f"personal details removed on {now.date().isoformat()} after the retention period"


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
class Change:
    """A ticket after one change, with the audit entry (and note) that records it."""

    ticket: Ticket
    audit: AuditEntry
    note: Note | None = None


def opened_entry(ticket: Ticket, actor: str) -> AuditEntry:
    return AuditEntry(actor, "created", {"type": ticket.type.value}, ticket.created_at)


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
class StaffCredentials:
    """What a login checks: the password hash, whether the account is disabled, and its TOTP
    secret (encrypted, see totp.py) when it has a second factor."""

    staff: StaffUser
    password_hash: str
    disabled: bool = False
    totp_secret: str | None = None


@dataclass(frozen=True)
class StaffSession:
    staff: StaffUser
    csrf_token: str
    expires_at: datetime  # the idle deadline, moved on by each use up to the absolute lifetime
    created_at: datetime | None = None  # the login: start of the absolute lifetime


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
