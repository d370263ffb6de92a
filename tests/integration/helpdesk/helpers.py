"""Direct database adjustments that the API deliberately does not offer (test set-up only)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from bot.helpdesk import tables
from bot.helpdesk.db import create_engine
from bot.helpdesk.models import utcnow


async def move_due_date(database_url: str, reference: str, days: int) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.update(tables.tickets)
                .where(tables.tickets.c.reference == reference)
                .values(due_at=utcnow() + timedelta(days=days))
            )
    finally:
        await engine.dispose()


async def set_last_changed(database_url: str, reference: str, at: datetime) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.update(tables.tickets)
                .where(tables.tickets.c.reference == reference)
                .values(updated_at=at)
            )
    finally:
        await engine.dispose()
