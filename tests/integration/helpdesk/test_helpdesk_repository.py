"""Services on the SQL repository, on both databases: concurrent retries, atomic changes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from bot.helpdesk import tables
from bot.helpdesk.db import create_engine
from bot.helpdesk.models import CreatedTicket, Status, Ticket
from bot.helpdesk.repository import SqlTicketRepository
from bot.helpdesk.services import IdempotencyConflict, change_status, open_ticket
from bot.helpdesk.transitions import TransitionRefused

BODY = {
    "type": "disclosure",
    "requester_name": "Ken",
    "email": "ken@example.com",
    "details": "What?",
}


@pytest.fixture
async def repository(database_url: str) -> AsyncIterator[SqlTicketRepository]:
    engine = create_engine(database_url)
    yield SqlTicketRepository(engine)
    await engine.dispose()


# Opened by staff in the console: starts as `new` (a chat request waits in identity_check).
STAFF_BODY = {**BODY, "origin": "console"}


async def create(
    repository: SqlTicketRepository,
    key: str,
    body: dict[str, str] = BODY,
    notified: list[Ticket] | None = None,
) -> CreatedTicket:
    notify = (notified if notified is not None else []).append
    return await open_ticket(repository, body, key, "bot", due_days=14, notify=notify)


async def _count(repository: SqlTicketRepository, table: sa.Table) -> int:
    async with repository._engine.connect() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(table)))


async def test_concurrent_retries_with_one_key_create_one_ticket(
    repository: SqlTicketRepository,
) -> None:
    notified: list[Ticket] = []
    results = await asyncio.gather(
        *(create(repository, "same-key", notified=notified) for _ in range(8))
    )

    assert len({r.ticket.reference for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert [t.reference for t in notified] == [results[0].ticket.reference]
    assert await _count(repository, tables.tickets) == 1
    assert await _count(repository, tables.audit_entries) == 1


async def test_concurrent_different_bodies_with_one_key_conflict(
    repository: SqlTicketRepository,
) -> None:
    results = await asyncio.gather(
        *(create(repository, "k", {**BODY, "details": f"What {i}?"}) for i in range(4)),
        return_exceptions=True,
    )
    conflicts = [r for r in results if isinstance(r, IdempotencyConflict)]
    assert len(conflicts) == 3
    assert await _count(repository, tables.tickets) == 1


async def test_the_unique_key_is_enforced_by_the_database(
    repository: SqlTicketRepository,
) -> None:
    created = await create(repository, "db-key")
    async with repository._engine.connect() as conn:
        ticket_id = await conn.scalar(sa.select(tables.tickets.c.id))
    with pytest.raises(sa.exc.IntegrityError):
        async with repository._engine.begin() as conn:
            await conn.execute(
                tables.idempotency_keys.insert().values(
                    key="db-key", request_hash="h", ticket_id=ticket_id,
                    created_at=created.ticket.created_at,
                )
            )  # fmt: skip


async def test_a_refused_transition_writes_neither_status_nor_audit(
    repository: SqlTicketRepository,
) -> None:
    reference = (await create(repository, "t", STAFF_BODY)).ticket.reference
    with pytest.raises(TransitionRefused):
        await change_status(repository, reference, Status.COMPLETED, "alice")

    detail = await repository.detail(reference)
    assert detail is not None
    assert detail.ticket.status is Status.NEW
    assert [a.action for a in detail.audit] == ["created"]


async def test_concurrent_status_changes_do_not_both_win(repository: SqlTicketRepository) -> None:
    reference = (await create(repository, "race", STAFF_BODY)).ticket.reference
    await change_status(repository, reference, Status.IDENTITY_CHECK, "a")
    await change_status(repository, reference, Status.IN_PROGRESS, "a")

    results = await asyncio.gather(
        change_status(repository, reference, Status.COMPLETED, "alice"),
        change_status(repository, reference, Status.REJECTED, "bob"),
        return_exceptions=True,
    )

    assert sum(isinstance(r, TransitionRefused) for r in results) == 1
    detail = await repository.detail(reference)
    assert detail is not None
    assert [a.detail["to"] for a in detail.audit if a.action == "status_changed"][-1] == (
        detail.ticket.status.value
    )
