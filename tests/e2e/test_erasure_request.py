"""A customer opens an erasure request in the chat; exactly one ticket lands in the help desk."""

from __future__ import annotations

import re
import secrets
import time

import psycopg2
import pytest

from tests.e2e.conftest import Stack
from tests.support.rasa_rest import RestConversation

pytestmark = pytest.mark.e2e

REFERENCE = re.compile(r"\bPR-[A-Z0-9]{4}-[A-Z0-9]{4}\b")


def _tickets_for(database_url: str, email: str) -> list[tuple[str, str, str]]:
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT reference, type, requester_name FROM tickets WHERE email = %s", (email,)
        )
        return list(cursor.fetchall())


def test_an_erasure_request_in_the_chat_becomes_exactly_one_ticket(stack: Stack) -> None:
    email = f"erin.{secrets.token_hex(3)}@example.com"
    chat = RestConversation(stack.rasa_url, sender=f"e2e-{secrets.token_hex(6)}")

    chat.say("please delete all the personal data you have about me")
    chat.say("Erin Example")
    chat.say(email)
    chat.say("skip")
    summary = chat.say("Please erase my account on the music site and everything linked to it.")
    assert any(email in reply.get("text", "") for reply in summary), chat.show()

    confirmation = chat.press(summary, "Confirm")

    said = " ".join(reply.get("text", "") for reply in confirmation)
    match = REFERENCE.search(said)
    assert match, f"no ticket reference in the bot's answer:\n{chat.show()}"
    assert email in said
    tickets = _tickets_for(stack.helpdesk_database_url, email)
    assert tickets == [(match.group(0), "erasure", "Erin Example")], chat.show()


def test_the_help_desk_is_emailed_about_the_new_ticket(stack: Stack) -> None:
    email = f"mail.{secrets.token_hex(3)}@example.com"
    chat = RestConversation(stack.rasa_url, sender=f"e2e-{secrets.token_hex(6)}")
    for text in ("I want you to stop using my data", "Max Mailer", email, "skip"):
        chat.say(text)
    summary = chat.say("Stop using my purchase history for marketing.")
    reference = REFERENCE.search(
        " ".join(reply.get("text", "") for reply in chat.press(summary, "Confirm"))
    )
    assert reference, chat.show()

    # The help desk sends mail after committing the ticket, in the background.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not _mail_mentions(stack, reference.group(0)):
        time.sleep(0.2)
    mails = [message.as_string() for message in stack.mailbox.messages]
    assert _mail_mentions(stack, reference.group(0)), mails


def _mail_mentions(stack: Stack, reference: str) -> bool:
    return any(reference in message.as_string() for message in stack.mailbox.messages)
