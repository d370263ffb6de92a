"""In-memory repositories with the interface of the SQL ones: they only store, like those."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from bot.helpdesk.models import (
    AuditEntry,
    Change,
    StaffCredentials,
    StaffSession,
    StaffUser,
    Ticket,
    TicketDetail,
    TicketFilter,
    TicketNotFound,
)
from bot.helpdesk.repository import AlreadyStored, Decide, KeyedTicket


class FakeTicketRepository:
    def __init__(self) -> None:
        self.tickets: dict[str, TicketDetail] = {}
        self.keys: dict[str, tuple[str, str]] = {}  # key -> (fingerprint, reference)

    async def add(self, ticket: Ticket, audit: AuditEntry, key: str, fingerprint: str) -> None:
        if ticket.reference in self.tickets or key in self.keys:
            raise AlreadyStored(ticket.reference)
        self.tickets[ticket.reference] = TicketDetail(ticket, audit=[audit])
        self.keys[key] = (fingerprint, ticket.reference)

    async def by_key(self, key: str) -> KeyedTicket | None:
        if key not in self.keys:
            return None
        fingerprint, reference = self.keys[key]
        return KeyedTicket(fingerprint, self.tickets[reference].ticket)

    async def get(self, reference: str) -> Ticket | None:
        detail = self.tickets.get(reference)
        return detail.ticket if detail else None

    async def detail(self, reference: str) -> TicketDetail | None:
        return self.tickets.get(reference)

    async def list(self, filters: TicketFilter, now: datetime) -> list[Ticket]:
        found = [
            d.ticket
            for d in self.tickets.values()
            if (filters.status is None or d.ticket.status is filters.status)
            and (filters.type is None or d.ticket.type is filters.type)
            and (not filters.overdue or d.ticket.is_overdue(now))
        ]
        return sorted(found, key=lambda t: t.due_at)[: filters.limit]

    async def update(self, reference: str, decide: Decide) -> Change:
        if reference not in self.tickets:
            raise TicketNotFound(reference)
        detail = self.tickets[reference]
        change = decide(detail.ticket)
        detail.ticket = change.ticket
        detail.notes += [change.note] if change.note else []
        detail.audit.append(change.audit)
        return change

    async def open_conversation_ids(self) -> set[str]:
        return {
            d.ticket.conversation_id
            for d in self.tickets.values()
            if d.ticket.is_open and d.ticket.conversation_id
        }

    async def closed_with_personal_data(self, last_changed_before: datetime) -> Sequence[str]:
        return [
            d.ticket.reference
            for d in self.tickets.values()
            if not d.ticket.is_open
            and d.ticket.updated_at < last_changed_before
            and d.ticket.keeps_personal_data
        ]


class FakeStaffRepository:
    """Staff accounts and sessions in memory; password hashes are whatever the test stores."""

    def __init__(self) -> None:
        self.users: dict[str, tuple[StaffUser, str]] = {}
        self.sessions: dict[str, StaffSession] = {}
        self.disabled: set[str] = set()
        self.totp_secrets: dict[str, str] = {}
        self.totp_last_step: dict[str, int] = {}

    async def add(self, username: str, password_hash: str, created_at: datetime) -> StaffUser:
        if username in self.users:
            raise AlreadyStored(username)
        user = StaffUser(len(self.users) + 1, username)
        self.users[username] = (user, password_hash)
        return user

    async def credentials(self, username: str) -> StaffCredentials | None:
        if username not in self.users:
            return None
        user, password_hash = self.users[username]
        return StaffCredentials(
            user, password_hash, username in self.disabled, self.totp_secrets.get(username)
        )

    async def count(self) -> int:
        return len(self.users)

    async def add_session(self, token: str, session: StaffSession, created_at: datetime) -> None:
        self.sessions[token] = session

    async def session(self, token: str) -> StaffSession | None:
        return self.sessions.get(token)

    async def close_session(self, token: str) -> None:
        self.sessions.pop(token, None)

    async def set_password_hash(self, username: str, password_hash: str) -> bool:
        if username not in self.users:
            return False
        self.users[username] = (self.users[username][0], password_hash)
        return True

    async def close_sessions_of(self, username: str) -> int:
        tokens = [t for t, s in self.sessions.items() if s.staff.username == username]
        for token in tokens:
            del self.sessions[token]
        return len(tokens)

    async def touch_session(self, token: str, expires_at: datetime) -> None:
        if token in self.sessions:
            self.sessions[token] = replace(self.sessions[token], expires_at=expires_at)

    async def set_disabled(self, username: str, disabled_at: datetime | None) -> bool:
        if username not in self.users:
            return False
        if disabled_at is None:
            self.disabled.discard(username)
        else:
            self.disabled.add(username)
        return True

    async def set_totp_secret(self, username: str, encrypted_secret: str | None) -> bool:
        if username not in self.users:
            return False
        self.totp_last_step.pop(username, None)
        if encrypted_secret is None:
            self.totp_secrets.pop(username, None)
        else:
            self.totp_secrets[username] = encrypted_secret
        return True

    async def claim_totp_step(self, username: str, step: int) -> bool:
        if self.totp_last_step.get(username, -1) >= step:
            return False
        self.totp_last_step[username] = step
        return True
