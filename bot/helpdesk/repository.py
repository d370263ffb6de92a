"""Storage of tickets and staff: a small interface and its SQLAlchemy implementation.

The repository only stores: the rules (who may change what, when a ticket is due, when a
retry is the same request) are the domain's and the services'. Every change is one
transaction and its audit entry is written in that same transaction, so a ticket is never
half-written and never changes without a record of who changed it. `update` locks the
ticket's row while the domain decides the change, so two concurrent changes cannot both win.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.helpdesk import tables
from bot.helpdesk.models import (
    OPEN_STATUSES,
    AuditEntry,
    Change,
    ExcerptMessage,
    Note,
    Origin,
    StaffCredentials,
    StaffSession,
    StaffUser,
    Status,
    Ticket,
    TicketDetail,
    TicketFilter,
    TicketNotFound,
    TicketType,
)


class AlreadyStored(Exception):
    """A unique value is taken: a ticket's reference or idempotency key, a staff username."""


@dataclass(frozen=True)
class KeyedTicket:
    """The ticket stored under an idempotency key, and the fingerprint of its request."""

    fingerprint: str
    ticket: Ticket


Decide = Callable[[Ticket], Change]


class TicketRepository(Protocol):
    async def add(self, ticket: Ticket, audit: AuditEntry, key: str, fingerprint: str) -> None:
        """Store a new ticket under an idempotency key; AlreadyStored if either is taken."""

    async def by_key(self, key: str) -> KeyedTicket | None: ...

    async def get(self, reference: str) -> Ticket | None: ...

    async def detail(self, reference: str) -> TicketDetail | None: ...

    async def list(self, filters: TicketFilter, now: datetime) -> list[Ticket]: ...

    async def update(self, reference: str, decide: Decide) -> Change:
        """Store `decide(current ticket)`, atomically; TicketNotFound if there is none."""

    async def open_conversation_ids(self) -> set[str]:
        """The conversations that open tickets came from (a request still in progress)."""

    async def closed_with_personal_data(self, last_changed_before: datetime) -> Sequence[str]:
        """References of closed tickets, unchanged since before the given time, that still
        hold their requester's details."""


class StaffRepository(Protocol):
    async def add(self, username: str, password_hash: str, created_at: datetime) -> StaffUser: ...

    async def credentials(self, username: str) -> StaffCredentials | None: ...

    async def count(self) -> int: ...

    async def add_session(self, token: str, session: StaffSession, created_at: datetime) -> None:
        """Store a session under its token, dropping sessions that expired before `created_at`."""

    async def session(self, token: str) -> StaffSession | None: ...

    async def close_session(self, token: str) -> None: ...

    async def touch_session(self, token: str, expires_at: datetime) -> None:
        """Move a session's idle deadline."""

    async def set_password_hash(self, username: str, password_hash: str) -> bool:
        """False if there is no such account."""

    async def close_sessions_of(self, username: str) -> int:
        """Close every session of `username`; how many there were."""

    async def set_disabled(self, username: str, disabled_at: datetime | None) -> bool:
        """Disable (a time) or enable (None) an account; False if there is no such account."""

    async def set_totp_secret(self, username: str, encrypted_secret: str | None) -> bool:
        """Store (or remove, None) an account's encrypted TOTP secret; False if no account."""

    async def claim_totp_step(self, username: str, step: int) -> bool:
        """Record that a code for time step `step` was used, only if no code for this or a
        later step was: False means the code was already used (atomic compare-and-set)."""


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _ticket_from_row(row: Any) -> Ticket:
    return Ticket(
        reference=row.reference, type=TicketType(row.type), status=Status(row.status),
        requester_name=row.requester_name, email=row.email, details=row.details,
        origin=Origin(row.origin), created_at=_aware(row.created_at),
        updated_at=_aware(row.updated_at), due_at=_aware(row.due_at), phone=row.phone,
        membership_id=row.membership_id, service=row.service,
        conversation_id=row.conversation_id,
        conversation_excerpt=tuple(
            ExcerptMessage(m["sender"], m["text"], m.get("timestamp"))
            for m in row.conversation_excerpt or []
        ),
        assignee=row.assignee,
        notified_at=_aware(row.notified_at) if row.notified_at else None,
        verification_code_hash=row.verification_code_hash,
        verification_expires_at=_maybe_aware(row.verification_expires_at),
        verification_attempts=row.verification_attempts or 0,
        verified_at=_maybe_aware(row.verified_at),
        verification_locked_at=_maybe_aware(row.verification_locked_at),
    )  # fmt: skip


def _maybe_aware(value: datetime | None) -> datetime | None:
    return _aware(value) if value is not None else None


def _ticket_values(ticket: Ticket) -> dict[str, Any]:
    return {
        "reference": ticket.reference, "type": ticket.type.value, "status": ticket.status.value,
        "requester_name": ticket.requester_name, "email": ticket.email, "phone": ticket.phone,
        "membership_id": ticket.membership_id, "service": ticket.service,
        "details": ticket.details, "origin": ticket.origin.value,
        "conversation_id": ticket.conversation_id,
        "conversation_excerpt": [m.as_dict() for m in ticket.conversation_excerpt],
        "assignee": ticket.assignee, "created_at": ticket.created_at,
        "updated_at": ticket.updated_at, "due_at": ticket.due_at,
        "notified_at": ticket.notified_at,
        "verification_code_hash": ticket.verification_code_hash,
        "verification_expires_at": ticket.verification_expires_at,
        "verification_attempts": ticket.verification_attempts,
        "verified_at": ticket.verified_at,
        "verification_locked_at": ticket.verification_locked_at,
    }  # fmt: skip


async def _add_audit(conn: AsyncConnection, ticket_id: int, entry: AuditEntry) -> None:
    await conn.execute(
        tables.audit_entries.insert().values(
            ticket_id=ticket_id, actor=entry.actor, action=entry.action,
            detail=entry.detail, created_at=entry.created_at,
        )
    )  # fmt: skip


class SqlTicketRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, ticket: Ticket, audit: AuditEntry, key: str, fingerprint: str) -> None:
        try:
            async with self._engine.begin() as conn:
                result = await conn.execute(tables.tickets.insert().values(_ticket_values(ticket)))
                ticket_id = result.inserted_primary_key[0]
                # The unique key makes a concurrent retry fail here, rolling back its ticket.
                await conn.execute(
                    tables.idempotency_keys.insert().values(
                        key=key, request_hash=fingerprint, ticket_id=ticket_id,
                        created_at=ticket.created_at,
                    )
                )  # fmt: skip
                await _add_audit(conn, ticket_id, audit)
        except IntegrityError as error:
            raise AlreadyStored(ticket.reference) from error

    async def by_key(self, key: str) -> KeyedTicket | None:
        keys, t = tables.idempotency_keys, tables.tickets
        query = sa.select(keys.c.request_hash, t).join(t, t.c.id == keys.c.ticket_id)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query.where(keys.c.key == key))).first()
        return KeyedTicket(row.request_hash, _ticket_from_row(row)) if row else None

    async def get(self, reference: str) -> Ticket | None:
        t = tables.tickets
        async with self._engine.connect() as conn:
            row = (await conn.execute(sa.select(t).where(t.c.reference == reference))).first()
        return _ticket_from_row(row) if row else None

    async def detail(self, reference: str) -> TicketDetail | None:
        t, n, a = tables.tickets, tables.ticket_notes, tables.audit_entries
        async with self._engine.connect() as conn:
            row = (await conn.execute(sa.select(t).where(t.c.reference == reference))).first()
            if row is None:
                return None
            notes = await conn.execute(
                sa.select(n).where(n.c.ticket_id == row.id).order_by(n.c.created_at, n.c.id)
            )
            audit = await conn.execute(
                sa.select(a).where(a.c.ticket_id == row.id).order_by(a.c.created_at, a.c.id)
            )
            return TicketDetail(
                ticket=_ticket_from_row(row),
                notes=[Note(r.author, r.text, _aware(r.created_at)) for r in notes],
                audit=[
                    AuditEntry(r.actor, r.action, dict(r.detail), _aware(r.created_at))
                    for r in audit
                ],
            )

    async def list(self, filters: TicketFilter, now: datetime) -> list[Ticket]:
        t = tables.tickets
        query = sa.select(t).order_by(t.c.due_at, t.c.id).limit(filters.limit)
        if filters.status is not None:
            query = query.where(t.c.status == filters.status.value)
        if filters.type is not None:
            query = query.where(t.c.type == filters.type.value)
        if filters.overdue:
            query = query.where(t.c.due_at < now, t.c.status.in_([s.value for s in OPEN_STATUSES]))
        async with self._engine.connect() as conn:
            return [_ticket_from_row(row) for row in await conn.execute(query)]

    async def open_conversation_ids(self) -> set[str]:
        t = tables.tickets
        query = sa.select(t.c.conversation_id).where(
            t.c.status.in_([s.value for s in OPEN_STATUSES]), t.c.conversation_id.is_not(None)
        )
        async with self._engine.connect() as conn:
            return {row.conversation_id for row in await conn.execute(query)}

    async def closed_with_personal_data(self, last_changed_before: datetime) -> Sequence[str]:
        t = tables.tickets
        query = (
            sa.select(t.c.reference)
            .where(
                t.c.status.not_in([s.value for s in OPEN_STATUSES]),
                t.c.updated_at < last_changed_before,
                t.c.email != "",
            )
            .order_by(t.c.id)
        )
        async with self._engine.connect() as conn:
            return [row.reference for row in await conn.execute(query)]

    async def update(self, reference: str, decide: Decide) -> Change:
        t = tables.tickets
        async with self._engine.begin() as conn:
            query = sa.select(t).where(t.c.reference == reference)
            if conn.dialect.name == "postgresql":
                query = query.with_for_update()
            row = (await conn.execute(query)).first()
            if row is None:
                raise TicketNotFound(reference)
            change = decide(_ticket_from_row(row))
            await conn.execute(
                t.update().where(t.c.id == row.id).values(_ticket_values(change.ticket))
            )
            if change.note is not None:
                await conn.execute(
                    tables.ticket_notes.insert().values(
                        ticket_id=row.id, author=change.note.author, text=change.note.text,
                        created_at=change.note.created_at,
                    )
                )  # fmt: skip
            await _add_audit(conn, row.id, change.audit)
        return change


def _token_hash(token: str) -> str:
    """Only a hash of a session token is stored: a copy of the table opens no session."""
    return hashlib.sha256(token.encode()).hexdigest()


class SqlStaffRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, username: str, password_hash: str, created_at: datetime) -> StaffUser:
        values = {"username": username, "password_hash": password_hash, "created_at": created_at}
        try:
            async with self._engine.begin() as conn:
                result = await conn.execute(tables.staff_users.insert().values(values))
        except IntegrityError as error:
            raise AlreadyStored(username) from error
        return StaffUser(result.inserted_primary_key[0], username)

    async def credentials(self, username: str) -> StaffCredentials | None:
        s = tables.staff_users
        async with self._engine.connect() as conn:
            row = (await conn.execute(sa.select(s).where(s.c.username == username))).first()
        if row is None:
            return None
        return StaffCredentials(
            StaffUser(row.id, row.username), row.password_hash,
            disabled=row.disabled_at is not None, totp_secret=row.totp_secret,
        )  # fmt: skip

    async def count(self) -> int:
        async with self._engine.connect() as conn:
            value = await conn.scalar(sa.select(sa.func.count()).select_from(tables.staff_users))
        return int(value or 0)

    async def add_session(self, token: str, session: StaffSession, created_at: datetime) -> None:
        ss = tables.staff_sessions
        async with self._engine.begin() as conn:
            await conn.execute(ss.delete().where(ss.c.expires_at < created_at))
            await conn.execute(
                ss.insert().values(
                    token_hash=_token_hash(token), staff_id=session.staff.id,
                    csrf_token=session.csrf_token, created_at=created_at,
                    expires_at=session.expires_at,
                )
            )  # fmt: skip

    async def session(self, token: str) -> StaffSession | None:
        ss, su = tables.staff_sessions, tables.staff_users
        query = (
            sa.select(ss.c.csrf_token, ss.c.expires_at, ss.c.created_at, su.c.id, su.c.username)
            .join(su, su.c.id == ss.c.staff_id)
            .where(ss.c.token_hash == _token_hash(token), su.c.disabled_at.is_(None))
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        return StaffSession(
            StaffUser(row.id, row.username), row.csrf_token, _aware(row.expires_at),
            created_at=_aware(row.created_at),
        )  # fmt: skip

    async def close_session(self, token: str) -> None:
        ss = tables.staff_sessions
        async with self._engine.begin() as conn:
            await conn.execute(ss.delete().where(ss.c.token_hash == _token_hash(token)))

    async def set_password_hash(self, username: str, password_hash: str) -> bool:
        return await self._update_staff(username, password_hash=password_hash)

    async def set_disabled(self, username: str, disabled_at: datetime | None) -> bool:
        return await self._update_staff(username, disabled_at=disabled_at)

    async def set_totp_secret(self, username: str, encrypted_secret: str | None) -> bool:
        return await self._update_staff(username, totp_secret=encrypted_secret, totp_last_step=None)

    async def claim_totp_step(self, username: str, step: int) -> bool:
        su = tables.staff_users
        unused = sa.or_(su.c.totp_last_step.is_(None), su.c.totp_last_step < step)
        async with self._engine.begin() as conn:
            result = await conn.execute(
                su.update().where(su.c.username == username, unused).values(totp_last_step=step)
            )
        return bool(result.rowcount)

    async def _update_staff(self, username: str, **values: Any) -> bool:
        su = tables.staff_users
        async with self._engine.begin() as conn:
            result = await conn.execute(su.update().where(su.c.username == username).values(values))
        return bool(result.rowcount)

    async def close_sessions_of(self, username: str) -> int:
        ss, su = tables.staff_sessions, tables.staff_users
        owner = sa.select(su.c.id).where(su.c.username == username).scalar_subquery()
        async with self._engine.begin() as conn:
            result = await conn.execute(ss.delete().where(ss.c.staff_id == owner))
        return int(result.rowcount or 0)

    async def touch_session(self, token: str, expires_at: datetime) -> None:
        ss = tables.staff_sessions
        async with self._engine.begin() as conn:
            await conn.execute(
                ss.update()
                .where(ss.c.token_hash == _token_hash(token))
                .values(expires_at=expires_at)
            )
