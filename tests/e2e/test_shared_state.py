"""Two separate Rasa instances share every conversation through PostgreSQL and Redis.

The session stack's `rasa run` and a second one started here (another port, another process)
use the same PostgreSQL tracker database, the same Redis lock store and the same action server,
as two machines behind a load balancer without sticky sessions would.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Iterator
from typing import Any

import psycopg2
import pytest

from tests.e2e.conftest import Stack, start_rasa
from tests.support.ports import free_port
from tests.support.rasa_rest import RestConversation

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis]

REFERENCE = re.compile(r"\bPR-[A-Z0-9]{4}-[A-Z0-9]{4}\b")


@pytest.fixture(scope="module")
def second_rasa(stack: Stack) -> Iterator[str]:
    """Another `rasa run` on the stack's tracker store, lock store and action server."""
    port = free_port()
    rasa = start_rasa("rasa-second", port, stack.rasa_env)
    try:
        rasa.wait_until_answering(f"http://127.0.0.1:{port}/", 300)
        yield f"http://127.0.0.1:{port}"
    finally:
        rasa.stop()


def _stored_events(stack: Stack, sender: str) -> list[dict[str, Any]]:
    """The conversation's events as the tracker store holds them, in stored order."""
    with psycopg2.connect(stack.tracker_database_url) as connection:
        with connection.cursor() as cursor:
            cursor.execute("SELECT data FROM events WHERE sender_id = %s ORDER BY id", (sender,))
            return [json.loads(data) for (data,) in cursor.fetchall()]


def _tickets_for(stack: Stack, email: str) -> list[tuple[str, str]]:
    with psycopg2.connect(stack.helpdesk_database_url) as connection:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reference, type FROM tickets WHERE email = %s", (email,))
            return list(cursor.fetchall())


def _turns(events: list[dict[str, Any]]) -> list[list[str]]:
    """The events from each user message up to the next, as 'user:text' / 'action:name' marks."""
    turns: list[list[str]] = []
    for event in events:
        if event["event"] == "user":
            turns.append([f"user:{event.get('text')}"])
        elif turns and event["event"] == "action":
            turns[-1].append(f"action:{event.get('name')}")
    return turns


def _is_whole_turn(turn: list[str]) -> bool:
    """One message, the bot's actions, and back to listening: nothing of another message."""
    users = [mark for mark in turn if mark.startswith("user:")]
    return len(users) == 1 and turn[0] == users[0] and turn[-1] == "action:action_listen"


def test_a_request_form_completes_with_turns_alternating_between_instances(
    stack: Stack, second_rasa: str
) -> None:
    sender = f"e2e-alt-{secrets.token_hex(6)}"
    email = f"alt.{secrets.token_hex(3)}@example.com"
    instances = [RestConversation(stack.rasa_url, sender), RestConversation(second_rasa, sender)]
    transcript: list[str] = []

    def say(turn: int, text: str) -> list[dict[str, Any]]:
        chat = instances[turn % 2]
        replies = chat.say(text)
        transcript.append(f"[{chat.rasa_url}] customer: {text}")
        transcript.extend(f"  bot: {reply.get('text', reply)}" for reply in replies)
        return replies

    texts = [
        "please delete all the personal data you have about me",
        "Alex Alternate",
        email,
        "skip",
        "Please erase my account on the music site and everything linked to it.",
    ]
    summary: list[dict[str, Any]] = []
    for turn, text in enumerate(texts):
        summary = say(turn, text)
    shown = "\n".join(transcript)
    assert any(email in reply.get("text", "") for reply in summary), shown

    confirm = next(
        button["payload"]
        for reply in summary
        for button in reply.get("buttons", [])
        if button["title"] == "Confirm"
    )
    said = " ".join(reply.get("text", "") for reply in say(len(texts), confirm))
    match = REFERENCE.search(said)
    assert match, "\n".join(transcript)

    assert _tickets_for(stack, email) == [(match.group(0), "erasure")]
    turns = _turns(_stored_events(stack, sender))
    assert len(turns) == len(texts) + 1 and all(_is_whole_turn(t) for t in turns), turns


def _send_at_once(urls_and_texts: list[tuple[str, str]], sender: str) -> list[Any]:
    """POST each message to its instance at the same moment; the replies, in order."""
    start = threading.Barrier(len(urls_and_texts))
    replies: list[Any] = [None] * len(urls_and_texts)

    def send(index: int, url: str, text: str) -> None:
        chat = RestConversation(url, sender)
        start.wait()
        try:
            replies[index] = chat.say(text)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            replies[index] = error

    threads = [
        threading.Thread(target=send, args=(i, url, text))
        for i, (url, text) in enumerate(urls_and_texts)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return replies


def test_two_messages_of_one_conversation_at_once_are_handled_one_after_the_other(
    stack: Stack, second_rasa: str
) -> None:
    rounds = 6
    for round_number in range(rounds):
        sender = f"e2e-race-{round_number}-{secrets.token_hex(6)}"
        # half the rounds race on a conversation that does not exist yet
        sent = 0
        if round_number % 2:
            RestConversation(stack.rasa_url, sender).say("hello")
            sent = 1
        replies = _send_at_once(
            [(stack.rasa_url, "do you use cookies?"), (second_rasa, "are you a bot?")], sender
        )
        assert all(isinstance(reply, list) and reply for reply in replies), replies
        assert "cookie" in " ".join(r.get("text", "") for r in replies[0]).lower(), replies

        turns = _turns(_stored_events(stack, sender))
        assert len(turns) == sent + 2, turns
        assert all(_is_whole_turn(turn) for turn in turns), turns
