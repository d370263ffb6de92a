"""In-memory repositories with the same interface as the SQL ones, for tests without a database."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import timedelta

from bot.helpdesk.models import (
    AuditEntry,
    CreatedTicket,
    NewTicket,
    Note,
    StaffSession,
    StaffUser,
    Status,
    Ticket,
    TicketDetail,
    TicketFilter,
)
from bot.helpdesk.references import new_reference
from bot.helpdesk.repository import IdempotencyConflict, TicketNotFound, utcnow
from bot.helpdesk.transitions import check_transition


class FakeTicketRepository:
    def __init__(self, due_days: int = 14) -> None:
        self.due_days = due_days
        self.tickets: dict[str, TicketDetail] = {}
        self.keys: dict[str, tuple[str, str]] = {}
        self.notifications: list[tuple[str, bool, str]] = []

    def _audit(self, reference: str, actor: str, action: str, detail: dict[str, object]) -> None:
        self.tickets[reference].audit.append(AuditEntry(actor, action, detail, utcnow()))

    async def create(
        self, new: NewTicket, actor: str, idempotency_key: str, request_hash: str
    ) -> CreatedTicket:
        if idempotency_key in self.keys:
            known_hash, reference = self.keys[idempotency_key]
            if known_hash != request_hash:
                raise IdempotencyConflict("different body")
            return CreatedTicket(self.tickets[reference].ticket, created=False)
        now = utcnow()
        ticket = Ticket(
            reference=new_reference(), type=new.type, status=Status.NEW,
            requester_name=new.requester_name, email=new.email, details=new.details,
            origin=new.origin, created_at=now, updated_at=now,
            due_at=now + timedelta(days=self.due_days), phone=new.phone,
            membership_id=new.membership_id, service=new.service,
            conversation_id=new.conversation_id, conversation_excerpt=new.conversation_excerpt,
        )  # fmt: skip
        self.tickets[ticket.reference] = TicketDetail(ticket)
        self.keys[idempotency_key] = (request_hash, ticket.reference)
        self._audit(ticket.reference, actor, "created", {"type": new.type.value})
        return CreatedTicket(ticket, created=True)

    async def get(self, reference: str) -> Ticket | None:
        detail = self.tickets.get(reference)
        return detail.ticket if detail else None

    async def detail(self, reference: str) -> TicketDetail | None:
        return self.tickets.get(reference)

    async def list(self, filters: TicketFilter) -> list[Ticket]:
        now = utcnow()
        found = [
            d.ticket
            for d in self.tickets.values()
            if (filters.status is None or d.ticket.status is filters.status)
            and (filters.type is None or d.ticket.type is filters.type)
            and (not filters.overdue or d.ticket.is_overdue(now))
        ]
        return sorted(found, key=lambda t: t.due_at)[: filters.limit]

    def _require(self, reference: str) -> TicketDetail:
        if reference not in self.tickets:
            raise TicketNotFound(reference)
        return self.tickets[reference]

    async def change_status(self, reference: str, status: Status, actor: str) -> Ticket:
        detail = self._require(reference)
        check_transition(detail.ticket.status, status)
        before = detail.ticket.status
        detail.ticket = replace(detail.ticket, status=status, updated_at=utcnow())
        self._audit(reference, actor, "status_changed", {"from": before.value, "to": status.value})
        return detail.ticket

    async def assign(self, reference: str, assignee: str | None, actor: str) -> Ticket:
        detail = self._require(reference)
        before = detail.ticket.assignee
        detail.ticket = replace(detail.ticket, assignee=assignee, updated_at=utcnow())
        self._audit(reference, actor, "assignee_changed", {"from": before, "to": assignee})
        return detail.ticket

    async def add_note(self, reference: str, text: str, actor: str) -> Note:
        detail = self._require(reference)
        note = Note(actor, text, utcnow())
        detail.notes.append(note)
        self._audit(reference, actor, "note_added", {"length": len(text)})
        return note

    async def record_notification(self, reference: str, sent: bool, detail: str) -> None:
        self.notifications.append((reference, sent, detail))


class FakeStaffRepository:
    """Staff accounts and sessions in memory; password hashes are whatever the test stores."""

    def __init__(self) -> None:
        self.users: dict[str, tuple[StaffUser, str]] = {}
        self.sessions: dict[str, StaffSession] = {}

    async def add(self, username: str, password_hash: str) -> StaffUser:
        user = StaffUser(len(self.users) + 1, username)
        self.users[username] = (user, password_hash)
        return user

    async def password_hash(self, username: str) -> tuple[StaffUser, str] | None:
        return self.users.get(username)

    async def count(self) -> int:
        return len(self.users)

    async def open_session(self, staff: StaffUser, lifetime: timedelta) -> tuple[str, str]:
        token = hashlib.sha256(f"{staff.username}{len(self.sessions)}".encode()).hexdigest()
        csrf = token[::-1]
        self.sessions[token] = StaffSession(staff, csrf, utcnow() + lifetime)
        return token, csrf

    async def session(self, token: str) -> StaffSession | None:
        return self.sessions.get(token)

    async def close_session(self, token: str) -> None:
        self.sessions.pop(token, None)
