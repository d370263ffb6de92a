"""Storage of tickets and staff: a small interface and its SQLAlchemy implementation.

Every change is one transaction, and its audit entry is written in that same transaction,
so a ticket is never half-written and never changes without a record of who changed it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.helpdesk import tables
from bot.helpdesk.models import (
    OPEN_STATUSES,
    AuditEntry,
    CreatedTicket,
    ExcerptMessage,
    NewTicket,
    Note,
    Origin,
    StaffSession,
    StaffUser,
    Status,
    Ticket,
    TicketDetail,
    TicketFilter,
    TicketType,
)
from bot.helpdesk.references import new_reference
from bot.helpdesk.transitions import check_transition

REFERENCE_ATTEMPTS = 5


class TicketNotFound(LookupError):
    def __init__(self, reference: str) -> None:
        super().__init__(f"There is no ticket {reference}.")
        self.reference = reference


class IdempotencyConflict(Exception):
    """The Idempotency-Key was already used for a different request body."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


class TicketRepository(Protocol):
    async def create(
        self, new: NewTicket, actor: str, idempotency_key: str, request_hash: str
    ) -> CreatedTicket: ...

    async def get(self, reference: str) -> Ticket | None: ...

    async def detail(self, reference: str) -> TicketDetail | None: ...

    async def list(self, filters: TicketFilter) -> list[Ticket]: ...

    async def change_status(self, reference: str, status: Status, actor: str) -> Ticket: ...

    async def assign(self, reference: str, assignee: str | None, actor: str) -> Ticket: ...

    async def add_note(self, reference: str, text: str, actor: str) -> Note: ...

    async def record_notification(self, reference: str, sent: bool, detail: str) -> None: ...


class StaffRepository(Protocol):
    async def add(self, username: str, password_hash: str) -> StaffUser: ...

    async def password_hash(self, username: str) -> tuple[StaffUser, str] | None: ...

    async def count(self) -> int: ...

    async def open_session(self, staff: StaffUser, lifetime: timedelta) -> tuple[str, str]: ...

    async def session(self, token: str) -> StaffSession | None: ...

    async def close_session(self, token: str) -> None: ...


def _ticket_from_row(row: Any) -> Ticket:
    return Ticket(
        reference=row.reference,
        type=TicketType(row.type),
        status=Status(row.status),
        requester_name=row.requester_name,
        email=row.email,
        details=row.details,
        origin=Origin(row.origin),
        created_at=_aware(row.created_at),
        updated_at=_aware(row.updated_at),
        due_at=_aware(row.due_at),
        phone=row.phone,
        membership_id=row.membership_id,
        service=row.service,
        conversation_id=row.conversation_id,
        conversation_excerpt=tuple(
            ExcerptMessage(m["sender"], m["text"], m.get("timestamp"))
            for m in row.conversation_excerpt or []
        ),
        assignee=row.assignee,
        notified_at=_aware(row.notified_at) if row.notified_at else None,
    )


class SqlTicketRepository:
    def __init__(self, engine: AsyncEngine, due_days: int) -> None:
        self._engine = engine
        self._due_days = due_days

    async def _audit(
        self, conn: AsyncConnection, ticket_id: int, actor: str, action: str, detail: dict[str, Any]
    ) -> None:
        await conn.execute(
            tables.audit_entries.insert().values(
                ticket_id=ticket_id, actor=actor, action=action, detail=detail, created_at=utcnow()
            )
        )

    async def _existing_for_key(self, idempotency_key: str, request_hash: str) -> Ticket | None:
        keys, t = tables.idempotency_keys, tables.tickets
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(keys.c.request_hash, t)
                    .join(t, t.c.id == keys.c.ticket_id)
                    .where(keys.c.key == idempotency_key)
                )
            ).first()
        if row is None:
            return None
        if row.request_hash != request_hash:
            raise IdempotencyConflict(
                "This Idempotency-Key was already used for a different request."
            )
        return _ticket_from_row(row)

    async def create(
        self, new: NewTicket, actor: str, idempotency_key: str, request_hash: str
    ) -> CreatedTicket:
        existing = await self._existing_for_key(idempotency_key, request_hash)
        if existing is not None:
            return CreatedTicket(existing, created=False)
        for _ in range(REFERENCE_ATTEMPTS):
            now = utcnow()
            reference = new_reference()
            try:
                async with self._engine.begin() as conn:
                    result = await conn.execute(
                        tables.tickets.insert().values(
                            reference=reference,
                            type=new.type.value,
                            status=Status.NEW.value,
                            requester_name=new.requester_name,
                            email=new.email,
                            phone=new.phone,
                            membership_id=new.membership_id,
                            service=new.service,
                            details=new.details,
                            origin=new.origin.value,
                            conversation_id=new.conversation_id,
                            conversation_excerpt=[m.as_dict() for m in new.conversation_excerpt],
                            created_at=now,
                            updated_at=now,
                            due_at=now + timedelta(days=self._due_days),
                        )
                    )
                    ticket_id = result.inserted_primary_key[0]
                    # The unique key makes a concurrent retry fail here, rolling back its ticket.
                    await conn.execute(
                        tables.idempotency_keys.insert().values(
                            key=idempotency_key,
                            request_hash=request_hash,
                            ticket_id=ticket_id,
                            created_at=now,
                        )
                    )
                    await self._audit(conn, ticket_id, actor, "created", {"type": new.type.value})
            except IntegrityError:
                existing = await self._existing_for_key(idempotency_key, request_hash)
                if existing is not None:
                    return CreatedTicket(existing, created=False)
                continue  # a reference collision: draw another
            ticket = await self.get(reference)
            assert ticket is not None
            return CreatedTicket(ticket, created=True)
        raise RuntimeError("Could not draw an unused ticket reference")

    async def get(self, reference: str) -> Ticket | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(tables.tickets).where(tables.tickets.c.reference == reference)
                )
            ).first()
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

    async def list(self, filters: TicketFilter) -> list[Ticket]:
        t = tables.tickets
        query = sa.select(t).order_by(t.c.due_at, t.c.id).limit(filters.limit)
        if filters.status is not None:
            query = query.where(t.c.status == filters.status.value)
        if filters.type is not None:
            query = query.where(t.c.type == filters.type.value)
        if filters.overdue:
            query = query.where(
                t.c.due_at < utcnow(), t.c.status.in_([s.value for s in OPEN_STATUSES])
            )
        async with self._engine.connect() as conn:
            return [_ticket_from_row(row) for row in await conn.execute(query)]

    async def _locked_row(self, conn: AsyncConnection, reference: str) -> Any:
        query = sa.select(tables.tickets).where(tables.tickets.c.reference == reference)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = (await conn.execute(query)).first()
        if row is None:
            raise TicketNotFound(reference)
        return row

    async def _update(
        self, reference: str, actor: str, action: str, changes: dict[str, Any], detail: Any
    ) -> Ticket:
        async with self._engine.begin() as conn:
            row = await self._locked_row(conn, reference)
            audit_detail = detail(row)
            await conn.execute(
                tables.tickets.update()
                .where(tables.tickets.c.id == row.id)
                .values(**changes, updated_at=utcnow())
            )
            await self._audit(conn, row.id, actor, action, audit_detail)
        ticket = await self.get(reference)
        assert ticket is not None
        return ticket

    async def change_status(self, reference: str, status: Status, actor: str) -> Ticket:
        def checked(row: Any) -> dict[str, Any]:
            check_transition(Status(row.status), status)
            return {"from": row.status, "to": status.value}

        return await self._update(
            reference, actor, "status_changed", {"status": status.value}, checked
        )

    async def assign(self, reference: str, assignee: str | None, actor: str) -> Ticket:
        return await self._update(
            reference,
            actor,
            "assignee_changed",
            {"assignee": assignee},
            lambda row: {"from": row.assignee, "to": assignee},
        )

    async def add_note(self, reference: str, text: str, actor: str) -> Note:
        now = utcnow()
        async with self._engine.begin() as conn:
            row = await self._locked_row(conn, reference)
            await conn.execute(
                tables.ticket_notes.insert().values(
                    ticket_id=row.id, author=actor, text=text, created_at=now
                )
            )
            await conn.execute(
                tables.tickets.update().where(tables.tickets.c.id == row.id).values(updated_at=now)
            )
            await self._audit(conn, row.id, actor, "note_added", {"length": len(text)})
        return Note(actor, text, now)

    async def record_notification(self, reference: str, sent: bool, detail: str) -> None:
        async with self._engine.begin() as conn:
            row = await self._locked_row(conn, reference)
            if sent:
                await conn.execute(
                    tables.tickets.update()
                    .where(tables.tickets.c.id == row.id)
                    .values(notified_at=utcnow())
                )
            action = "notification_sent" if sent else "notification_failed"
            await self._audit(conn, row.id, "system", action, {"detail": detail})


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SqlStaffRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, username: str, password_hash: str) -> StaffUser:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                tables.staff_users.insert().values(
                    username=username, password_hash=password_hash, created_at=utcnow()
                )
            )
        return StaffUser(result.inserted_primary_key[0], username)

    async def password_hash(self, username: str) -> tuple[StaffUser, str] | None:
        s = tables.staff_users
        async with self._engine.connect() as conn:
            row = (await conn.execute(sa.select(s).where(s.c.username == username))).first()
        return (StaffUser(row.id, row.username), row.password_hash) if row else None

    async def count(self) -> int:
        async with self._engine.connect() as conn:
            value = await conn.scalar(sa.select(sa.func.count()).select_from(tables.staff_users))
        return int(value or 0)

    async def open_session(self, staff: StaffUser, lifetime: timedelta) -> tuple[str, str]:
        """Returns (session token for the cookie, CSRF token for the forms)."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = utcnow()
        async with self._engine.begin() as conn:
            await conn.execute(
                tables.staff_sessions.delete().where(tables.staff_sessions.c.expires_at < now)
            )
            await conn.execute(
                tables.staff_sessions.insert().values(
                    token_hash=_token_hash(token),
                    staff_id=staff.id,
                    csrf_token=csrf,
                    created_at=now,
                    expires_at=now + lifetime,
                )
            )
        return token, csrf

    async def session(self, token: str) -> StaffSession | None:
        ss, su = tables.staff_sessions, tables.staff_users
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(ss.c.csrf_token, ss.c.expires_at, su.c.id, su.c.username)
                    .join(su, su.c.id == ss.c.staff_id)
                    .where(ss.c.token_hash == _token_hash(token))
                )
            ).first()
        if row is None or _aware(row.expires_at) < utcnow():
            return None
        return StaffSession(StaffUser(row.id, row.username), row.csrf_token, _aware(row.expires_at))

    async def close_session(self, token: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                tables.staff_sessions.delete().where(
                    tables.staff_sessions.c.token_hash == _token_hash(token)
                )
            )


def request_fingerprint(payload: Any) -> str:
    """A stable hash of a JSON body, for comparing a retry with the original request."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
