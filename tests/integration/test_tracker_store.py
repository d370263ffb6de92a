"""The production tracker store keeps conversations whole when PostgreSQL drops connections,
and customers' details unreadable in its rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.stores.encrypted_tracker_store import EncryptedSQLTrackerStore
from bot.stores.tracker_store import ResilientSQLTrackerStore
from tests.support.databases import postgres_admin_dsn, temporary_postgres_database
from tests.support.readable import readable

pytestmark = pytest.mark.postgres

SLOTS = ("requester_name", "email", "requested_slot")


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


def _stored_data(url: str) -> str:
    connection = psycopg2.connect(url)
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM events ORDER BY id")
        rows = "\n".join(data for (data,) in cursor.fetchall())
    connection.close()
    return rows


async def test_the_encrypted_store_keeps_no_name_or_email_readable_and_gives_them_back(
    database: str,
) -> None:
    domain = Domain.from_dict(
        {"slots": {name: {"type": "text", "mappings": [{"type": "custom"}]} for name in SLOTS}}
    )
    store = EncryptedSQLTrackerStore(
        domain=domain, dialect="postgresql", host="127.0.0.1", port=5432,
        db=database.rsplit("/", 1)[1], username="postgres", password="",
    )  # fmt: skip
    tracker = DialogueStateTracker("c1", domain.slots)
    for event in (
        UserUttered("Jane Roe"),
        SlotSet("requester_name", "Jane Roe"),
        UserUttered("my email is jane.roe@example.com"),
        SlotSet("email", "jane.roe@example.com"),
        SlotSet("requested_slot", "service"),
        BotUttered("Name: Jane Roe, email jane.roe@example.com. Send it?"),
    ):
        tracker.update(event)
    await store.save(tracker)

    stored = _stored_data(database)
    assert "requested_slot" in stored and '"service"' in stored
    readable_part = readable(stored)
    assert "jane.roe" not in readable_part and "Jane" not in readable_part
    assert "Roe" not in readable_part

    loaded = await store.retrieve("c1")
    assert loaded is not None
    assert loaded.get_slot("requester_name") == "Jane Roe"
    assert loaded.get_slot("email") == "jane.roe@example.com"
    assert [e.text for e in loaded.events if isinstance(e, UserUttered)] == [
        "Jane Roe",
        "my email is jane.roe@example.com",
    ]


def test_without_a_key_outside_development_rasa_gets_an_error_naming_it_not_a_memory_store(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Rasa falls back to an in-memory store only when a store's module is missing; a missing
    key reaches `rasa run` as an error, which stops it (checked by hand: exit status 1)."""
    from rasa.core.tracker_store import create_tracker_store
    from rasa.utils.endpoints import EndpointConfig

    from bot.settings_env import SettingsError

    config = EndpointConfig(
        type="bot.stores.encrypted_tracker_store.EncryptedSQLTrackerStore",
        dialect="sqlite",
        db=str(tmp_path / "tracker.db"),
    )
    monkeypatch.delenv("HELPDESK_ENV", raising=False)
    monkeypatch.delenv("TRACKER_ENCRYPTION_KEY", raising=False)
    with pytest.raises(SettingsError, match="TRACKER_ENCRYPTION_KEY is not set"):
        create_tracker_store(config, Domain.empty())
    monkeypatch.setenv("TRACKER_ENCRYPTION_KEY", "k" * 43)
    store = create_tracker_store(config, Domain.empty())
    assert isinstance(store, EncryptedSQLTrackerStore)


def _encrypted_store(url: str) -> EncryptedSQLTrackerStore:
    domain = Domain.from_dict(
        {"slots": {name: {"type": "text", "mappings": [{"type": "custom"}]} for name in SLOTS}}
    )
    return EncryptedSQLTrackerStore(
        domain=domain, dialect="postgresql", host="127.0.0.1", port=5432,
        db=url.rsplit("/", 1)[1], username="postgres", password="",
    )  # fmt: skip


def _stored_types(url: str, sender: str) -> list[str]:
    connection = psycopg2.connect(url)
    with connection.cursor() as cursor:
        cursor.execute("SELECT type_name FROM events WHERE sender_id = %s ORDER BY id", (sender,))
        rows = [type_name for (type_name,) in cursor.fetchall()]
    connection.close()
    return rows


async def test_each_event_is_stored_once_over_turns_saves_and_a_new_session(
    database: str,
) -> None:
    from rasa.shared.core.events import SessionStarted

    store = _encrypted_store(database)
    for text in ("first", "second", "third"):
        await _turn(store, "c1", text)
    tracker = await store.retrieve("c1")
    assert tracker is not None
    tracker.update(UserUttered("fourth"))
    await store.save(tracker)
    tracker.update(ActionExecuted("action_session_start"))  # a new session, same object
    tracker.update(SessionStarted())
    tracker.update(UserUttered("fifth"))
    await store.save(tracker)
    await store.save(tracker)  # nothing new: nothing written

    assert _stored_types(database, "c1") == ["user", "action"] * 3 + [
        "user", "action", "session_started", "user",
    ]  # fmt: skip


async def test_a_copy_of_a_loaded_tracker_is_counted_in_the_database(database: str) -> None:
    store = _encrypted_store(database)
    await _turn(store, "c1", "first")
    loaded = await store.retrieve("c1")
    assert loaded is not None
    copied = loaded.copy()
    copied.update(UserUttered("second"))
    await store.save(copied)
    loaded.update(UserUttered("third"))
    await store.save(loaded)  # the store knows 2 of loaded's events are stored, not 3

    assert _stored_types(database, "c1") == ["user", "action", "user", "user"]


async def test_a_turn_reads_the_session_once_not_again_to_count_it(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _encrypted_store(database)
    await _turn(store, "c1", "first")
    queries = []
    real_query = SQLTrackerStore._event_query

    def counting(self: SQLTrackerStore, *args: object, **kwargs: object) -> object:
        queries.append(kwargs.get("fetch_events_from_all_sessions"))
        return real_query(self, *args, **kwargs)

    monkeypatch.setattr(SQLTrackerStore, "_event_query", counting)
    await _turn(store, "c1", "second")

    assert queries == [False]  # the load; the save knows what is stored


async def test_a_save_whose_commit_broke_after_reaching_the_database_is_not_stored_twice(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlalchemy.exc
    from sqlalchemy.orm import Session

    store = _encrypted_store(database)
    await _turn(store, "c1", "first")
    tracker = await store.retrieve("c1")
    assert tracker is not None
    tracker.update(UserUttered("second"))
    real_commit = Session.commit
    broken: list[bool] = []

    def commit_then_lose_the_connection(session: Session) -> None:
        real_commit(session)
        if not broken:
            broken.append(True)
            raise sqlalchemy.exc.OperationalError("COMMIT", {}, Exception("connection lost"))

    monkeypatch.setattr(Session, "commit", commit_then_lose_the_connection)
    await store.save(tracker)  # the retry counts what the first commit stored

    assert broken == [True]
    assert _stored_types(database, "c1") == ["user", "action", "user"]
