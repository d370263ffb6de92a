"""The help desk survives PostgreSQL cutting its pooled connections (`pg_terminate_backend`, a
database restart or failover): the next request gets a fresh connection, not a 500.

Found by `make bench-faults` (issue #15): after the deployment's backends were terminated, each
help desk worker answered 500 once per dead pooled connection ("connection is closed"), which the
action server had to retry.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import psycopg2
import pytest

from bot.helpdesk.db import create_engine, migrate
from bot.helpdesk.repository import SqlTicketRepository
from bot.helpdesk.services import open_ticket
from tests.support.databases import postgres_admin_dsn, temporary_postgres_database

pytestmark = pytest.mark.postgres

BODY = {
    "type": "disclosure",
    "requester_name": "Ken",
    "email": "ken@example.com",
    "details": "What do you hold about me?",
}


@pytest.fixture
async def database() -> AsyncIterator[tuple[str, SqlTicketRepository]]:
    with temporary_postgres_database("helpdesk_reconnect") as url:
        migrate(url)
        engine = create_engine(url)
        yield url, SqlTicketRepository(engine)
        await engine.dispose()


def terminate_backends(url: str) -> int:
    """Cut every connection to this one database, as PostgreSQL does on a restart."""
    name = url.rsplit("/", 1)[1]
    with psycopg2.connect(postgres_admin_dsn()) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        row = cursor.fetchone()
        return int(row[0]) if row else 0


async def test_connections_the_server_cut_are_replaced_not_failed(
    database: tuple[str, SqlTicketRepository],
) -> None:
    url, repository = database
    first = await open_ticket(repository, BODY, "key-1", "bot", due_days=14, notify=lambda t: None)
    assert terminate_backends(url) >= 1  # the pool's idle connection is gone

    second = await open_ticket(
        repository, {**BODY, "email": "kim@example.com"}, "key-2", "bot", due_days=14,
        notify=lambda t: None,
    )  # fmt: skip
    assert second.created and second.ticket.reference != first.ticket.reference
    assert await repository.get(first.ticket.reference) is not None
