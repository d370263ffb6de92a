"""The code a customer types in the chat, through POST /api/v1/tickets/<ref>/verification (the
action server's route): wrong, then right; three wrong lock; expired; only the conversation
that opened the ticket; rate limited; bad input named by field. Real HTTP, real databases."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.contract import (
    STATUS_LABELS,
    VERIFICATION_LOCKED_LABEL,
    WAITING_FOR_EMAIL_VERIFICATION_LABEL,
    Status,
)
from bot.helpdesk.app import create_app
from bot.helpdesk.db import create_engine
from bot.helpdesk.models import AuditEntry, Change, utcnow
from bot.helpdesk.repository import SqlTicketRepository
from bot.helpdesk.settings import Settings
from tests.integration.helpdesk.conftest import SERVICE, add_staff, open_ticket
from tests.integration.helpdesk.test_identity_verification import emailed_code
from tests.support.mail import SmtpServer

CONVERSATION = "5f1c0a"  # ticket_body's conversation_id


async def try_code(
    client: Any, reference: str, code: str, conversation: str = CONVERSATION
) -> dict[str, Any]:
    _, resp = await client.post(
        f"/api/v1/tickets/{reference}/verification",
        json={"code": code, "conversation_id": conversation},
        headers=SERVICE,
    )
    assert resp.status == 200, resp.text
    answer: dict[str, Any] = resp.json
    return answer


async def status_label(client: Any, reference: str) -> str:
    _, resp = await client.post(
        f"/api/v1/tickets/{reference}/status", json={"email": "jane@example.com"}, headers=SERVICE
    )
    assert resp.status == 200, resp.text
    return str(resp.json["status_label"])


def other_than(code: str) -> str:
    return "000000" if code != "000000" else "111111"


async def chat_request(client: Any, smtp: SmtpServer) -> tuple[str, str]:
    reference = (await open_ticket(client))["reference"]
    return reference, await emailed_code(smtp, reference)


async def test_a_wrong_code_then_the_right_one_hands_the_request_to_staff(
    client: Any, smtp_server: SmtpServer, staff: dict[str, str]
) -> None:
    reference, code = await chat_request(client, smtp_server)
    assert await status_label(client, reference) == WAITING_FOR_EMAIL_VERIFICATION_LABEL

    wrong = await try_code(client, reference.lower(), other_than(code))
    right = await try_code(client, reference, f"{code[:3]} {code[3:]}")
    again = await try_code(client, reference, code)

    assert wrong == {"reference": reference, "result": "wrong", "attempts_left": 2}
    assert right == {"reference": reference, "result": "verified", "attempts_left": 0}
    assert again["result"] == "not_pending"
    assert await status_label(client, reference) == STATUS_LABELS[Status.NEW]
    _, detail = await client.get(f"/api/v1/tickets/{reference}", headers=staff)
    assert detail.json["status"] == "new" and detail.json["verification"] == "verified"
    assert code not in detail.text
    actions = [a["action"] for a in detail.json["audit"]]
    assert "verification_failed" in actions and "identity_verified" in actions


async def test_three_wrong_codes_in_the_chat_lock_the_verification(
    client: Any, smtp_server: SmtpServer, staff: dict[str, str]
) -> None:
    reference, code = await chat_request(client, smtp_server)

    answers = [await try_code(client, reference, other_than(code)) for _ in range(3)]
    after_lock = await try_code(client, reference, code)

    assert [(a["result"], a["attempts_left"]) for a in answers] == [
        ("wrong", 2), ("wrong", 1), ("locked", 0),
    ]  # fmt: skip
    assert after_lock["result"] == "locked"
    assert await status_label(client, reference) == VERIFICATION_LOCKED_LABEL
    _, detail = await client.get(f"/api/v1/tickets/{reference}", headers=staff)
    assert detail.json["status"] == "identity_check" and detail.json["verification"] == "locked"


async def test_an_expired_code_typed_in_the_chat_is_refused(
    client: Any, smtp_server: SmtpServer, database_url: str
) -> None:
    reference, code = await chat_request(client, smtp_server)
    engine = create_engine(database_url)
    try:
        expired = utcnow() - timedelta(minutes=1)
        await SqlTicketRepository(engine).update(
            reference,
            lambda t: Change(
                replace(t, verification_expires_at=expired),
                AuditEntry("test", "clock_moved", {}, utcnow()),
            ),
        )
    finally:
        await engine.dispose()

    assert (await try_code(client, reference, code))["result"] == "expired"


async def test_only_the_conversation_that_opened_the_request_can_verify_it(
    client: Any, smtp_server: SmtpServer
) -> None:
    reference, code = await chat_request(client, smtp_server)

    elsewhere = [await try_code(client, reference, code, "another-chat") for _ in range(3)]
    here = await try_code(client, reference, code)

    assert {a["result"] for a in elsewhere} == {"not_pending"}
    assert here["result"] == "verified", "another conversation's tries count nothing"


@pytest.mark.parametrize(
    ("reference", "body", "field"),
    [
        ("PR-2222-2222", {"conversation_id": "c"}, "code"),
        ("PR-2222-2222", {"code": "12345", "conversation_id": "c"}, "code"),
        ("PR-2222-2222", {"code": "1234567", "conversation_id": "c"}, "code"),
        ("PR-2222-2222", {"code": 123456, "conversation_id": "c"}, "code"),
        ("PR-2222-2222", {"code": "123456"}, "conversation_id"),
        ("PR-2222-2222", {"code": "123456", "conversation_id": "x" * 201}, "conversation_id"),
        ("not-a-reference", {"code": "123456", "conversation_id": "c"}, "reference"),
    ],
)
async def test_a_malformed_attempt_is_a_422_naming_the_field(
    client: Any, reference: str, body: dict[str, Any], field: str
) -> None:
    _, resp = await client.post(
        f"/api/v1/tickets/{reference}/verification", json=body, headers=SERVICE
    )
    assert resp.status == 422 and resp.json["error"] == "validation_failed"
    assert set(resp.json["fields"]) == {field}


async def test_a_body_that_is_not_json_is_a_400(client: Any) -> None:
    _, resp = await client.post(
        "/api/v1/tickets/PR-2222-2222/verification", content=b"{nope", headers=SERVICE
    )
    assert resp.status == 400 and resp.json["error"] == "invalid_json"


async def test_codes_typed_in_one_conversation_are_rate_limited(
    settings: Settings, smtp_server: SmtpServer
) -> None:
    await add_staff(settings.database_url)
    client = create_app(replace(settings, verification_limit=2)).asgi_client
    reference, code = await chat_request(client, smtp_server)
    for _ in range(2):
        await try_code(client, reference, code, "a-busy-chat")

    _, limited = await client.post(
        f"/api/v1/tickets/{reference}/verification",
        json={"code": code, "conversation_id": "a-busy-chat"},
        headers=SERVICE,
    )
    assert limited.status == 429 and limited.json["error"] == "rate_limited"
