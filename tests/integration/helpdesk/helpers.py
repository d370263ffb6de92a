"""Direct database adjustments that the API deliberately does not offer (test set-up only)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from bot.helpdesk import tables
from bot.helpdesk.db import create_engine
from bot.helpdesk.models import utcnow


async def _update_ticket(database_url: str, reference: str, **values: object) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.update(tables.tickets)
                .where(tables.tickets.c.reference == reference)
                .values(**values)
            )
    finally:
        await engine.dispose()


async def move_due_date(database_url: str, reference: str, days: int) -> None:
    await _update_ticket(database_url, reference, due_at=utcnow() + timedelta(days=days))


async def set_last_changed(database_url: str, reference: str, at: datetime) -> None:
    await _update_ticket(database_url, reference, updated_at=at)
