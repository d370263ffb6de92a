"""The production tracker store keeps conversations whole when PostgreSQL drops connections."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg2
import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.stores.tracker_store import ResilientSQLTrackerStore
from tests.support.databases import postgres_admin_dsn, temporary_postgres_database

pytestmark = pytest.mark.postgres


@pytest.fixture
def database() -> Iterator[str]:
    with temporary_postgres_database("tracker_store") as url:
        yield url


def _store(kind: type[SQLTrackerStore], url: str) -> SQLTrackerStore:
    return kind(
        domain=Domain.empty(),
        dialect="postgresql",
        host="127.0.0.1",
        port=5432,
        db=url.rsplit("/", 1)[1],
        username="postgres",
        password="",
    )


def _terminate_connections(url: str) -> int:
    connection = psycopg2.connect(postgres_admin_dsn())
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (url.rsplit("/", 1)[1],),
        )
        (count,) = cursor.fetchone()
    connection.close()
    return int(count)


async def _turn(store: SQLTrackerStore, sender: str, text: str) -> DialogueStateTracker:
    tracker = await store.retrieve(sender) or DialogueStateTracker(sender, [])
    tracker.update(UserUttered(text))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    return tracker


async def test_a_conversation_survives_terminated_connections(database: str) -> None:
    store = _store(ResilientSQLTrackerStore, database)
    await _turn(store, "c1", "first")
    assert _terminate_connections(database) >= 1
    await _turn(store, "c1", "second")  # a dead pooled connection is replaced, not used
    assert _terminate_connections(database) >= 1
    tracker = await store.retrieve("c1")
    assert tracker is not None
    assert [e.text for e in tracker.events if isinstance(e, UserUttered)] == ["first", "second"]


async def test_rasas_own_store_fails_on_the_first_use_after_termination(database: str) -> None:
    """What the resilient store prevents: Rasa's FailSafe wrapper then starts from nothing."""
    store = _store(SQLTrackerStore, database)
    await _turn(store, "c1", "first")
    assert _terminate_connections(database) >= 1
    with pytest.raises(Exception, match="terminat|closed|connection"):
        await store.retrieve("c1")
