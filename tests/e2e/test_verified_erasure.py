"""Issue 14, end to end on the production configuration (PostgreSQL tracker store, Redis locks,
the SMTP sink): a customer opens an erasure request in the chat, receives the code by email,
types a wrong code then the right one; staff see the request as verified and complete it; the
conversation is gone from the tracker store (queried directly) and the ticket's excerpt is
redacted. Then the logs of the stack's processes are read for the customer's name and email."""

from __future__ import annotations

import json
import re
import secrets
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from typing import Any

import psycopg2
import pytest

from tests.e2e.conftest import LOGS, Stack
from tests.support.rasa_rest import RestConversation

pytestmark = pytest.mark.e2e

REFERENCE = re.compile(r"\bPR-[A-Z0-9]{4}-[A-Z0-9]{4}\b")
CODE = re.compile(r"verification code: (\d{6})")
NAME = "Verity Quillfeather"


@dataclass(frozen=True)
class Journey:
    sender: str
    email: str
    reference: str
    chat: RestConversation
    wrong_reply: str
    right_reply: str
    events_before: int
    staff_view: dict[str, Any]
    completed: dict[str, Any]
    events_after: int


def _said(replies: list[dict[str, Any]]) -> str:
    return " ".join(reply.get("text", "") for reply in replies)


def _events(database_url: str, sender: str) -> int:
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM events WHERE sender_id = %s", (sender,))
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _code_sent_to(stack: Stack, email: str, reference: str) -> str:
    def mails() -> list[Message]:
        return [
            m for m in stack.mailbox.messages if m["To"] == email and reference in str(m["Subject"])
        ]

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not mails():
        time.sleep(0.2)
    assert mails(), f"no code emailed to the requester about {reference}"
    body = mails()[-1].get_payload(decode=True).decode()
    assert "erasure" in body.lower() and "ignore this email" in body
    assert f"/verify?reference={reference}" in body
    match = CODE.search(body)
    assert match, body
    return match.group(1)


def _staff_api(stack: Stack, method: str, path: str, body: Any = None, token: str = "") -> Any:
    request = urllib.request.Request(
        f"{stack.helpdesk_url}/api/v1{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=15) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def journey(stack: Stack) -> Iterator[Journey]:
    sender = f"e2e-verify-{secrets.token_hex(5)}"
    email = f"verity.{secrets.token_hex(3)}@example.com"
    chat = RestConversation(stack.rasa_url, sender)
    chat.say("I'd like every bit of my personal data erased, please")
    chat.say(NAME)
    chat.say(email)
    chat.say("skip")
    summary = chat.say("Erase my music site account and all the history attached to it.")
    opened = _said(chat.press(summary, "Confirm"))
    match = REFERENCE.search(opened)
    assert match and "6-digit code" in opened and email in opened, chat.show()
    reference = match.group(0)

    code = _code_sent_to(stack, email, reference)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    wrong_reply = _said(chat.say(f"the code is {wrong}"))
    right_reply = _said(chat.say(code))
    events_before = _events(stack.tracker_database_url, sender)

    token = _staff_api(
        stack, "POST", "/staff/sessions",
        {"username": stack.staff_username, "password": stack.staff_password},
    )["token"]  # fmt: skip
    staff_view = _staff_api(stack, "GET", f"/tickets/{reference}", token=token)
    completed: dict[str, Any] = {}
    for status in ("identity_check", "in_progress", "completed"):
        completed = _staff_api(
            stack, "POST", f"/tickets/{reference}/transitions", {"status": status}, token
        )
    completed = _staff_api(stack, "GET", f"/tickets/{reference}", token=token)
    yield Journey(
        sender, email, reference, chat, wrong_reply, right_reply, events_before,
        staff_view, completed, _events(stack.tracker_database_url, sender),
    )  # fmt: skip


def test_the_chat_asks_for_the_emailed_code_and_a_wrong_one_is_refused(
    journey: Journey,
) -> None:
    assert "doesn't match" in journey.wrong_reply, journey.chat.show()
    assert "Attempts left: 2" in journey.wrong_reply, journey.chat.show()


def test_the_right_code_hands_the_request_to_staff_as_verified(journey: Journey) -> None:
    assert "verified" in journey.right_reply, journey.chat.show()
    assert f"now has your request {journey.reference}" in journey.right_reply
    assert journey.staff_view["status"] == "new"
    assert journey.staff_view["verification"] == "verified"
    actions = [entry["action"] for entry in journey.staff_view["audit"]]
    assert actions.count("verification_failed") == 1 and "identity_verified" in actions


def test_completing_it_erases_the_conversation_and_redacts_the_excerpt(journey: Journey) -> None:
    assert journey.events_before > 0, "the conversation was in the tracker store"
    assert journey.events_after == 0, "the tracker store still holds the conversation"
    assert journey.completed["status"] == "completed"
    excerpt = journey.completed["conversation_excerpt"]
    assert len(excerpt) == 1 and excerpt[0]["text"].startswith("conversation erased on 20")
    assert NAME not in json.dumps(excerpt) and journey.email not in json.dumps(excerpt)


def test_the_stack_logs_never_hold_the_customer_name_or_email(journey: Journey) -> None:
    """The help desk, action server and Rasa logs of the whole e2e session, read after this
    customer's journey: their form answers appear in none of them."""
    logs = {
        path.name: path.read_text(encoding="utf-8", errors="replace") for path in LOGS.glob("*.log")
    }
    assert {"helpdesk.log", "actions.log", "rasa.log"} <= set(logs)
    assert all(text.strip() for text in logs.values()), "a process wrote no log at all"
    for name, text in logs.items():
        for secret in (NAME, NAME.split()[1], journey.email, journey.email.split("@")[0]):
            assert secret.lower() not in text.lower(), f"{secret!r} is in {name}"
