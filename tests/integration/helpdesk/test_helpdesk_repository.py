"""The SQLAlchemy repository on both databases: concurrent retries, atomic changes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from bot.helpdesk import tables
from bot.helpdesk.db import create_engine
from bot.helpdesk.models import NewTicket, Status, TicketType
from bot.helpdesk.repository import (
    IdempotencyConflict,
    SqlTicketRepository,
    request_fingerprint,
)
from bot.helpdesk.transitions import TransitionRefused

NEW = NewTicket(
    type=TicketType.DISCLOSURE, requester_name="Ken", email="ken@example.com", details="What?"
)


@pytest.fixture
async def repository(database_url: str) -> AsyncIterator[SqlTicketRepository]:
    engine = create_engine(database_url)
    yield SqlTicketRepository(engine, due_days=14)
    await engine.dispose()


async def _count(repository: SqlTicketRepository, table: sa.Table) -> int:
    async with repository._engine.connect() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(table)))


async def test_concurrent_retries_with_one_key_create_one_ticket(
    repository: SqlTicketRepository,
) -> None:
    fingerprint = request_fingerprint({"same": "body"})
    results = await asyncio.gather(
        *(repository.create(NEW, "bot", "same-key", fingerprint) for _ in range(8))
    )

    assert len({r.ticket.reference for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert await _count(repository, tables.tickets) == 1
    assert await _count(repository, tables.audit_entries) == 1


async def test_concurrent_different_bodies_with_one_key_conflict(
    repository: SqlTicketRepository,
) -> None:
    results = await asyncio.gather(
        *(repository.create(NEW, "bot", "k", request_fingerprint(i)) for i in range(4)),
        return_exceptions=True,
    )
    conflicts = [r for r in results if isinstance(r, IdempotencyConflict)]
    assert len(conflicts) == 3
    assert await _count(repository, tables.tickets) == 1


async def test_the_unique_key_is_enforced_by_the_database(
    repository: SqlTicketRepository,
) -> None:
    created = await repository.create(NEW, "bot", "db-key", "h")
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
    reference = (await repository.create(NEW, "bot", "t", "h")).ticket.reference
    with pytest.raises(TransitionRefused):
        await repository.change_status(reference, Status.COMPLETED, "alice")

    detail = await repository.detail(reference)
    assert detail is not None
    assert detail.ticket.status is Status.NEW
    assert [a.action for a in detail.audit] == ["created"]


async def test_concurrent_status_changes_do_not_both_win(repository: SqlTicketRepository) -> None:
    reference = (await repository.create(NEW, "bot", "race", "h")).ticket.reference
    await repository.change_status(reference, Status.IDENTITY_CHECK, "a")
    await repository.change_status(reference, Status.IN_PROGRESS, "a")

    results = await asyncio.gather(
        repository.change_status(reference, Status.COMPLETED, "alice"),
        repository.change_status(reference, Status.REJECTED, "bob"),
        return_exceptions=True,
    )

    assert sum(isinstance(r, TransitionRefused) for r in results) == 1
    detail = await repository.detail(reference)
    assert detail is not None
    assert [a.detail["to"] for a in detail.audit if a.action == "status_changed"][-1] == (
        detail.ticket.status.value
    )
