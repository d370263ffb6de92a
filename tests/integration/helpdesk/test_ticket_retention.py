"""Closed tickets lose the requester's details once closed for longer than the retention period,
and keep what shows the request was handled: reference, type, status, dates and audit trail."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.contract import Status
from bot.helpdesk import services, tables
from bot.helpdesk.db import create_engine
from bot.helpdesk.models import REMOVED_NAME, utcnow
from bot.helpdesk.repository import SqlTicketRepository
from tests.integration.helpdesk.conftest import open_ticket
from tests.integration.helpdesk.helpers import set_last_changed
from tests.support.readable import readable

RETENTION_DAYS = 365


@pytest.fixture
async def tickets(database_url: str) -> AsyncIterator[SqlTicketRepository]:
    engine = create_engine(database_url)
    yield SqlTicketRepository(engine)
    await engine.dispose()


async def _ticket(
    client: Any, tickets: SqlTicketRepository, name: str, status: Status | None
) -> str:
    ticket = await open_ticket(
        client, requester_name=f"Jane {name}", email=f"{name}@example.com",
        phone="+81 3 1234 5678", membership_id=f"M-{name}-991", conversation_id=f"chat-{name}",
    )  # fmt: skip
    # A chat ticket starts in identity_check (waiting for its emailed code).
    path = {
        Status.COMPLETED: [Status.IN_PROGRESS, Status.COMPLETED],
        Status.REJECTED: [Status.REJECTED],
        Status.WITHDRAWN: [Status.WITHDRAWN],
    }
    for step in path[status] if status is not None else []:
        await services.change_status(tickets, ticket["reference"], step, "alice")
    return str(ticket["reference"])


async def _stored_row(database_url: str, reference: str) -> str:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            query = sa.select(tables.tickets).where(tables.tickets.c.reference == reference)
            return str(dict((await conn.execute(query)).one()._mapping))
    finally:
        await engine.dispose()


async def test_details_go_from_tickets_closed_just_outside_the_period_only(
    database_url: str, client: Any, tickets: SqlTicketRepository
) -> None:
    outside = await _ticket(client, tickets, "outside", Status.COMPLETED)
    rejected = await _ticket(client, tickets, "rejected", Status.REJECTED)
    inside = await _ticket(client, tickets, "inside", Status.COMPLETED)
    still_open = await _ticket(client, tickets, "open", None)
    now = utcnow()
    cutoff = now - timedelta(days=RETENTION_DAYS)
    for reference in (outside, rejected, still_open):
        await set_last_changed(database_url, reference, cutoff - timedelta(minutes=1))
    await set_last_changed(database_url, inside, cutoff + timedelta(minutes=1))
    before = await tickets.detail(outside)
    assert before is not None

    report = await services.remove_personal_data_of_closed_tickets(tickets, RETENTION_DAYS, now)

    assert sorted(report.trimmed) == sorted([outside, rejected])
    after = await tickets.detail(outside)
    assert after is not None
    kept, gone = after.ticket, before.ticket
    assert (kept.reference, kept.type, kept.status) == (gone.reference, gone.type, gone.status)
    assert (kept.created_at, kept.due_at) == (gone.created_at, gone.due_at)
    assert (kept.requester_name, kept.email, kept.phone, kept.membership_id) == (
        REMOVED_NAME, "", None, None,
    )  # fmt: skip
    assert "removed" in kept.details and kept.conversation_id is None
    assert [m.sender for m in kept.conversation_excerpt] == ["system"]
    assert [e.action for e in after.audit][-1] == "personal_data_removed"
    assert [e.action for e in after.audit][:-1] == [e.action for e in before.audit]
    row = readable(await _stored_row(database_url, outside))
    assert "outside" not in row and "Jane" not in row and "1234" not in row

    for reference, name in ((inside, "inside"), (still_open, "open")):
        untouched = await tickets.get(reference)
        assert untouched is not None and untouched.email == f"{name}@example.com"

    again = await services.remove_personal_data_of_closed_tickets(tickets, RETENTION_DAYS, now)
    assert again.trimmed == []
    repeated = await tickets.detail(outside)
    assert repeated is not None and len(repeated.audit) == len(after.audit)


async def test_the_purge_command_trims_closed_tickets_and_reports_how_many(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    database_url: str, client: Any, tickets: SqlTicketRepository,
) -> None:  # fmt: skip
    from bot.helpdesk import cli

    old = await _ticket(client, tickets, "old", Status.WITHDRAWN)
    await set_last_changed(database_url, old, utcnow() - timedelta(days=11))
    await _ticket(client, tickets, "recent", Status.WITHDRAWN)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{tmp_path / 'rasa-tracker.db'}")
    monkeypatch.setenv("TICKET_RETENTION_DAYS", "10")
    assert await asyncio.to_thread(cli.main, ["purge"]) == 0
    first = capsys.readouterr().out
    assert "from 1 ticket(s)" in first and f"trimmed {old}" in first
    assert "retention 10 days" in first
    assert await asyncio.to_thread(cli.main, ["purge"]) == 0
    assert "from 0 ticket(s)" in capsys.readouterr().out
