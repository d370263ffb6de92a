"""A customer asks the chat to delete the conversation: it is gone from the PostgreSQL tracker
store (queried directly), including the turn that asked, and the chat starts afresh."""

from __future__ import annotations

import secrets
import time

import psycopg2
import pytest

from tests.e2e.conftest import Stack
from tests.support.rasa_rest import RestConversation

pytestmark = pytest.mark.e2e


def _events(database_url: str, sender: str) -> int:
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM events WHERE sender_id = %s", (sender,))
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def test_delete_this_conversation_empties_the_tracker_store(stack: Stack) -> None:
    sender = f"e2e-delete-{secrets.token_hex(4)}"
    chat = RestConversation(stack.rasa_url, sender)
    chat.say("hello")
    chat.say("do you use cookies?")
    assert _events(stack.tracker_database_url, sender) > 0

    said = " ".join(reply.get("text", "") for reply in chat.say("delete this conversation"))
    assert "deleted this conversation" in said, chat.show()
    # The help desk deletes again a few seconds later, catching the turn Rasa saved after.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and _events(stack.tracker_database_url, sender):
        time.sleep(0.5)
    assert _events(stack.tracker_database_url, sender) == 0, chat.show()

    replies = chat.say("do you use cookies?")
    assert any("cookie" in reply.get("text", "").lower() for reply in replies), chat.show()
    assert _events(stack.tracker_database_url, sender) > 0
