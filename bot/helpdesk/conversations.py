"""Rasa's conversations, as the help desk deletes them: the SQL tracker store's `events` table.

Rasa's `SQLTrackerStore` (SQLite locally, PostgreSQL in production) keeps one row per event,
keyed by `sender_id` (the conversation id the bot also sends with a ticket), with a float UNIX
`timestamp` and the event as JSON in `data`. The help desk only reads when a conversation was
last active and whether a form is running in it, and deletes rows; it never writes events.
A tracker store that Rasa has not created yet holds no conversations.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.helpdesk.db import async_database_url, ensure_sqlite_directory

DEFAULT_TRACKER_STORE_URL = "sqlite:///var/rasa-tracker.db"
CHUNK = 500

events = sa.table(
    "events",
    sa.column("id", sa.Integer),
    sa.column("sender_id", sa.String),
    sa.column("type_name", sa.String),
    sa.column("timestamp", sa.Float),
    sa.column("data", sa.Text),
)


class ConversationStore(Protocol):
    async def inactive_since(self, before: float) -> list[str]:
        """Conversations whose last event is older than `before` (a UNIX time)."""

    async def with_active_form(self, sender_ids: Iterable[str]) -> set[str]:
        """Those of `sender_ids` whose latest form event left a form running."""

    async def delete(self, sender_id: str, up_to: float | None = None) -> int:
        """Delete a conversation's events (only those at or before `up_to` if given)."""


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


class SqlConversationStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @classmethod
    def from_url(cls, url: str) -> SqlConversationStore:
        ensure_sqlite_directory(url)
        return cls(create_async_engine(async_database_url(url)))

    async def dispose(self) -> None:
        await self._engine.dispose()

    async def _has_events_table(self) -> bool:
        async with self._engine.connect() as conn:
            return await conn.run_sync(lambda sync: sa.inspect(sync).has_table("events"))

    async def inactive_since(self, before: float) -> list[str]:
        if not await self._has_events_table():
            return []
        query = (
            sa.select(events.c.sender_id)
            .group_by(events.c.sender_id)
            .having(sa.func.max(events.c.timestamp) < before)
            .order_by(events.c.sender_id)
        )
        async with self._engine.connect() as conn:
            return [row.sender_id for row in await conn.execute(query)]

    async def with_active_form(self, sender_ids: Iterable[str]) -> set[str]:
        wanted = list(sender_ids)
        if not wanted or not await self._has_events_table():
            return set()
        latest: dict[str, str | None] = {}
        async with self._engine.connect() as conn:
            for chunk in _chunks(wanted):
                query = (
                    sa.select(events.c.sender_id, events.c.data)
                    .where(events.c.type_name == "active_loop", events.c.sender_id.in_(chunk))
                    .order_by(events.c.id)
                )
                for row in await conn.execute(query):
                    latest[row.sender_id] = json.loads(row.data or "{}").get("name")
        return {sender for sender, form in latest.items() if form}

    async def delete(self, sender_id: str, up_to: float | None = None) -> int:
        if not await self._has_events_table():
            return 0
        statement = events.delete().where(events.c.sender_id == sender_id)
        if up_to is not None:
            statement = statement.where(events.c.timestamp <= up_to)
        async with self._engine.begin() as conn:
            result = await conn.execute(statement)
        return int(result.rowcount or 0)
