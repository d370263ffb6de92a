"""Retention and erasure of chat conversations in Rasa's own SQL tracker store, on SQLite and
PostgreSQL: the conversations are written by the store Rasa runs with (Rasa's `SQLTrackerStore`,
encrypting customers' details: bot/stores/encrypted_tracker_store.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url

from bot.contract import Status
from bot.helpdesk import services
from bot.helpdesk.conversations import SqlConversationStore
from bot.helpdesk.db import create_engine
from bot.helpdesk.repository import SqlTicketRepository
from bot.stores.encrypted_tracker_store import EncryptedSQLTrackerStore
from tests.integration.helpdesk.conftest import open_ticket
from tests.support.databases import temporary_postgres_database

DAY = 86400.0


@pytest.fixture
def tracker_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A tracker store on the same kind of database as the help desk's."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'rasa-tracker.db'}"
    else:
        with temporary_postgres_database("tracker_test") as url:
            yield url


def rasa_store(url: str) -> SQLTrackerStore:
    """The tracker store both endpoints files use (details encrypted in its rows)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return EncryptedSQLTrackerStore(Domain.empty(), dialect="sqlite", db=parsed.database)
    return EncryptedSQLTrackerStore(
        Domain.empty(), dialect="postgresql", host=parsed.host, port=parsed.port,
        db=parsed.database, username=parsed.username, password=parsed.password,
    )  # fmt: skip


async def save_conversation(
    store: SQLTrackerStore, sender_id: str, days_ago: float, form: str | None = None
) -> None:
    at = time.time() - days_ago * DAY
    events: list[Any] = [
        ActionExecuted("action_session_start", timestamp=at),
        UserUttered("my name is Erin Example", timestamp=at + 1),
    ]
    if form is not None:
        events.append(ActiveLoop(form, timestamp=at + 2))
    await store.save(DialogueStateTracker.from_events(sender_id, events))


async def stored_senders(store: SQLTrackerStore) -> set[str]:
    return set(await store.keys())


async def test_purge_deletes_only_old_conversations_without_open_requests(
    database_url: str, tracker_url: str, client: Any
) -> None:
    store = rasa_store(tracker_url)
    await save_conversation(store, "old", days_ago=40)
    await save_conversation(store, "recent", days_ago=3)
    await save_conversation(store, "old-in-a-form", days_ago=40, form="erasure_form")
    await save_conversation(store, "old-with-open-ticket", days_ago=40)
    await save_conversation(store, "old-with-closed-ticket", days_ago=40)
    await open_ticket(client, conversation_id="old-with-open-ticket")
    await services_close(
        database_url, await open_ticket(client, conversation_id="old-with-closed-ticket")
    )

    engine = create_engine(database_url)
    conversations = SqlConversationStore.from_url(tracker_url)
    try:
        tickets = SqlTicketRepository(engine)
        report = await services.purge_conversations(tickets, conversations, retention_days=30)
        assert set(report.deleted) == {"old", "old-with-closed-ticket"}
        assert all(count >= 2 for count in report.deleted.values())
        assert set(report.kept) == {"old-in-a-form", "old-with-open-ticket"}
        assert await stored_senders(store) == {
            "recent", "old-in-a-form", "old-with-open-ticket"
        }  # fmt: skip

        again = await services.purge_conversations(tickets, conversations, retention_days=30)
        assert again.deleted == {}
        assert await stored_senders(store) == {"recent", "old-in-a-form", "old-with-open-ticket"}
    finally:
        await conversations.dispose()
        await engine.dispose()


async def services_close(database_url: str, ticket: dict[str, Any]) -> None:
    engine = create_engine(database_url)
    try:
        tickets = SqlTicketRepository(engine)
        await services.change_status(tickets, ticket["reference"], Status.WITHDRAWN, "alice")
    finally:
        await engine.dispose()


async def test_purge_of_a_tracker_store_rasa_never_created(tmp_path: Path) -> None:
    conversations = SqlConversationStore.from_url(f"sqlite:///{tmp_path / 'none.db'}")
    try:
        assert await conversations.inactive_since(time.time()) == []
        assert await conversations.delete("anyone") == 0
    finally:
        await conversations.dispose()


async def test_completing_an_erasure_erases_its_conversation(
    database_url: str, tracker_url: str, client: Any
) -> None:
    store = rasa_store(tracker_url)
    await save_conversation(store, "erase-me", days_ago=0)
    await save_conversation(store, "someone-else", days_ago=0)
    ticket = await open_ticket(client, conversation_id="erase-me")
    engine = create_engine(database_url)
    conversations = SqlConversationStore.from_url(tracker_url)
    try:
        tickets = SqlTicketRepository(engine)
        # A chat request starts in identity_check (staff may check identity another way).
        for status in (Status.IN_PROGRESS, Status.COMPLETED):
            await services.change_status(
                tickets, ticket["reference"], status, "alice", conversations
            )
        detail = await services.ticket_detail(tickets, ticket["reference"])
    finally:
        await conversations.dispose()
        await engine.dispose()
    assert await stored_senders(store) == {"someone-else"}
    assert len(detail.ticket.conversation_excerpt) == 1
    assert detail.ticket.conversation_excerpt[0].text.startswith("conversation erased on 20")
    assert detail.ticket.status is Status.COMPLETED
    erased = [entry for entry in detail.audit if entry.action == "conversation_erased"]
    assert len(erased) == 1 and erased[0].actor == "alice"
    assert erased[0].detail["events_deleted"] >= 2


async def test_the_bot_can_erase_a_conversation_through_the_api(
    settings: Any, tracker_url: str
) -> None:
    from dataclasses import replace

    from bot.helpdesk.app import create_app
    from tests.integration.helpdesk.conftest import SERVICE

    store = rasa_store(tracker_url)
    await save_conversation(store, "chat-to-erase", days_ago=0)
    await save_conversation(store, "another-chat", days_ago=0)
    app = create_app(replace(settings, tracker_store_url=tracker_url))
    _, refused = await app.asgi_client.delete("/api/v1/conversations/chat-to-erase")
    assert refused.status == 401
    _, resp = await app.asgi_client.delete("/api/v1/conversations/chat-to-erase", headers=SERVICE)
    assert resp.status == 200, resp.text
    assert resp.json["events_deleted"] >= 2
    assert await stored_senders(store) == {"another-chat"}

    # Rasa saves the turn that asked after the action answers: the second pass removes it.
    await save_conversation(store, "chat-to-erase", days_ago=0)
    conversations = SqlConversationStore.from_url(tracker_url)
    try:
        assert await services.erase_conversation(conversations, "chat-to-erase") >= 2
    finally:
        await conversations.dispose()
    assert await stored_senders(store) == {"another-chat"}


async def test_the_purge_command_reports_what_it_deleted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    from bot.helpdesk import cli

    tracker = f"sqlite:///{tmp_path / 'rasa-tracker.db'}"
    store = rasa_store(tracker)
    await save_conversation(store, "stale-chat", days_ago=10)
    await save_conversation(store, "fresh-chat", days_ago=1)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'helpdesk.db'}")
    monkeypatch.setenv("TRACKER_STORE_URL", tracker)
    monkeypatch.setenv("CONVERSATION_RETENTION_DAYS", "7")
    assert await asyncio.to_thread(cli.main, ["purge-conversations"]) == 0
    first = capsys.readouterr().out
    assert "Deleted 1 conversation(s)" in first and "deleted stale-chat" in first
    assert "retention 7 days" in first
    assert await asyncio.to_thread(cli.main, ["purge-conversations"]) == 0
    assert "Deleted 0 conversation(s)" in capsys.readouterr().out
    assert await stored_senders(store) == {"fresh-chat"}
