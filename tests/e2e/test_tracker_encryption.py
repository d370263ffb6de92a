"""Customers' details are encrypted in the PostgreSQL tracker store, and a request form half
filled before Rasa restarts carries on afterwards at the next question, with the answers kept.

A `rasa run` of its own on the stack's tracker store and action server (endpoints.production.yml,
EncryptedSQLTrackerStore with the stack's TRACKER_ENCRYPTION_KEY) takes the first answers; it is
stopped, a new process starts on the same database, and the conversation continues there.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterator
from typing import Any

import psycopg2
import pytest

from tests.e2e.conftest import Stack, start_rasa
from tests.support.ports import free_port
from tests.support.rasa_rest import RestConversation
from tests.support.readable import readable

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis]


def _said(replies: list[dict[str, Any]]) -> str:
    return " ".join(str(reply.get("text", "")) for reply in replies)


def _stored_rows(stack: Stack, sender: str) -> str:
    """Everything the tracker store holds about the conversation, as stored."""
    with psycopg2.connect(stack.tracker_database_url) as connection:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT type_name, intent_name, action_name, data FROM events "
                "WHERE sender_id = %s ORDER BY id",
                (sender,),
            )
            return "\n".join(" ".join(str(value) for value in row) for row in cursor.fetchall())


@pytest.fixture
def rasa_instances(stack: Stack) -> Iterator[list[Any]]:
    started: list[Any] = []
    yield started
    for rasa in started:
        rasa.stop()


def _start(stack: Stack, started: list[Any], name: str) -> str:
    port = free_port()
    rasa = start_rasa(name, port, stack.rasa_env)
    started.append(rasa)
    rasa.wait_until_answering(f"http://127.0.0.1:{port}/", 300)
    return f"http://127.0.0.1:{port}"


def test_a_half_filled_form_resumes_after_a_rasa_restart_with_nothing_readable_stored(
    stack: Stack, rasa_instances: list[Any]
) -> None:
    sender = f"e2e-restart-{secrets.token_hex(6)}"
    name = "Robin " + "".join(secrets.choice(string.ascii_lowercase) for _ in range(7)).title()
    email = f"restart.{secrets.token_hex(3)}@example.com"

    before = RestConversation(_start(stack, rasa_instances, "rasa-before-restart"), sender)
    before.say("please delete all the personal data you have about me")
    before.say(name)
    asked = _said(before.say(email))
    assert "Which CASIO service" in asked, before.show()

    stored = readable(_stored_rows(stack, sender))
    assert "privacy_request_form" in stored  # the form and its progress are readable ...
    assert email not in stored and name not in stored  # ... what the customer typed is not
    assert "Robin" not in stored and "example.com" not in stored

    rasa_instances.pop().stop()
    after = RestConversation(_start(stack, rasa_instances, "rasa-after-restart"), sender)
    after.transcript = before.transcript
    asked = _said(after.say("skip"))
    assert "Please describe your request" in asked, after.show()
    summary = _said(after.say("Erase my account on the watch app and its workout history."))
    assert name in summary and email in summary, after.show()
    stored = readable(_stored_rows(stack, sender))
    assert email not in stored and name not in stored and "watch app" not in stored
