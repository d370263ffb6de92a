"""The aiohttp help desk client against a small fake help desk served on a random local port.

The fake follows the API contract of docs/architecture.md: it stores tickets by
Idempotency-Key, and can be told to fail, or to answer slowly, a number of times first.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from actions.helpdesk import (
    ExcerptLine,
    HelpDeskRejected,
    HelpDeskUnavailable,
    HttpHelpDeskClient,
    TicketNotFound,
    TicketRequest,
)
from tests.support.ports import free_port

TOKEN = "test-service-token"
REQUEST = TicketRequest(
    type="erasure",
    requester_name="Jane Doe",
    email="jane@example.com",
    details="Please delete my account.",
    service="CASIO Music Site",
    conversation_id="conversation-1",
    conversation_excerpt=[ExcerptLine("customer", "delete my data", "2026-11-25T10:00:00Z")],
)


@dataclass
class FakeHelpDesk:
    # Each planned answer is used once, in order, before normal service: an HTTP status to
    # fail with, or "slow" to store the ticket but answer after the client gave up.
    plan: list[int | str] = field(default_factory=list)
    slow_seconds: float = 1.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    tickets: dict[str, dict[str, Any]] = field(default_factory=dict)

    def ticket_for(self, key: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if key in self.tickets:
            return 200, self.tickets[key]
        ticket = {
            "reference": f"PR-AAAA-{len(self.tickets) + 1:04d}",
            "type": body["type"],
            "status": "new",
            "email": body["email"],
            "created_at": "2026-11-25T10:00:02+00:00",
            "due_at": "2026-12-09T10:00:02+00:00",
        }
        self.tickets[key] = ticket
        return 201, ticket

    async def open_ticket(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(
            {
                "authorization": request.headers.get("Authorization"),
                "key": request.headers.get("Idempotency-Key"),
                "body": body,
            }
        )
        step = self.plan.pop(0) if self.plan else None
        if step == "slow":
            self.ticket_for(request.headers["Idempotency-Key"], body)
            await asyncio.sleep(self.slow_seconds)
        elif isinstance(step, int):
            return error_response(step)
        status, ticket = self.ticket_for(request.headers["Idempotency-Key"], body)
        return web.json_response(ticket, status=status)

    async def ticket_status(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(
            {
                "authorization": request.headers.get("Authorization"),
                "reference": request.match_info["reference"],
                "email": body.get("email"),
                "conversation_id": body.get("conversation_id"),
                "query": dict(request.query),
            }
        )
        step = self.plan.pop(0) if self.plan else None
        if isinstance(step, int):
            return error_response(step)
        if request.match_info["reference"] == "PR-7KQ2-M9XD" and (
            str(body.get("email", "")).lower() == "jane@example.com"
        ):
            return web.json_response(
                {
                    "reference": "PR-7KQ2-M9XD",
                    "type": "erasure",
                    "status": "identity_check",
                    "status_label": "We are verifying your identity",
                    "created_at": "2026-11-25T10:00:02+00:00",
                    "updated_at": "2026-11-26T09:00:00+00:00",
                    "due_at": "2026-12-09T10:00:02+00:00",
                }
            )
        return error_response(404)

    async def verify_code(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append({"reference": request.match_info["reference"], "body": body})
        step = self.plan.pop(0) if self.plan else None
        if isinstance(step, int):
            return error_response(step)
        right = body.get("code") == "482913"
        answer = {"reference": request.match_info["reference"], "result": "verified"}
        return web.json_response(
            {**answer, "attempts_left": 0}
            if right
            else {**answer, "result": "wrong", "attempts_left": 2}
        )


ERRORS = {
    401: ("unauthorized", "Missing or wrong service token.", None),
    404: ("not_found", "No such ticket.", None),
    409: ("conflict", "This key was used with another body.", {"Idempotency-Key": "reused"}),
    422: ("validation_failed", "Some fields are wrong.", {"email": "not an email address"}),
    429: ("rate_limited", "Too many requests.", None),
}


def error_response(status: int) -> web.Response:
    if status >= 500:
        return web.Response(status=status, text="<html>Internal Server Error</html>")
    code, message, fields = ERRORS[status]
    body: dict[str, Any] = {"error": code, "message": message}
    if fields:
        body["fields"] = fields
    return web.Response(status=status, text=json.dumps(body), content_type="application/json")


@pytest.fixture
def fake() -> FakeHelpDesk:
    return FakeHelpDesk()


@pytest.fixture
async def base_url(fake: FakeHelpDesk) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/api/v1/tickets", fake.open_ticket)
    app.router.add_post("/api/v1/tickets/{reference}/status", fake.ticket_status)
    app.router.add_post("/api/v1/tickets/{reference}/verification", fake.verify_code)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def client(base_url: str, retries: int = 2, timeout: float = 2.0) -> HttpHelpDeskClient:
    return HttpHelpDeskClient(
        base_url, TOKEN, timeout_seconds=timeout, retries=retries, retry_delay_seconds=0.01
    )


async def test_a_ticket_is_opened_with_the_token_the_key_and_the_contract_body(
    base_url: str, fake: FakeHelpDesk
) -> None:
    ticket = await client(base_url).open_ticket(REQUEST, "chat-key-1")

    assert ticket.reference == "PR-AAAA-0001"
    assert ticket.due_at == "2026-12-09T10:00:02+00:00"
    [sent] = fake.requests
    assert sent["authorization"] == f"Bearer {TOKEN}"
    assert sent["key"] == "chat-key-1"
    assert sent["body"] == {
        "type": "erasure",
        "requester_name": "Jane Doe",
        "email": "jane@example.com",
        "phone": None,
        "membership_id": None,
        "service": "CASIO Music Site",
        "details": "Please delete my account.",
        "origin": "chat",
        "conversation_id": "conversation-1",
        "conversation_excerpt": [
            {"sender": "customer", "text": "delete my data", "timestamp": "2026-11-25T10:00:00Z"}
        ],
    }


async def test_5xx_answers_are_retried_with_the_same_key_and_one_ticket_results(
    base_url: str, fake: FakeHelpDesk
) -> None:
    fake.plan = [500, 503]
    ticket = await client(base_url, retries=2).open_ticket(REQUEST, "chat-key-2")

    assert ticket.reference == "PR-AAAA-0001"
    assert [sent["key"] for sent in fake.requests] == ["chat-key-2"] * 3
    assert len(fake.tickets) == 1


async def test_a_timeout_is_retried_and_the_stored_ticket_is_returned_not_duplicated(
    base_url: str, fake: FakeHelpDesk
) -> None:
    fake.plan = ["slow"]
    fake.slow_seconds = 1.0
    ticket = await client(base_url, retries=1, timeout=0.3).open_ticket(REQUEST, "chat-key-3")

    assert ticket.reference == "PR-AAAA-0001"
    assert len(fake.requests) == 2
    assert {sent["key"] for sent in fake.requests} == {"chat-key-3"}
    assert len(fake.tickets) == 1


async def test_a_help_desk_that_keeps_failing_is_reported_unavailable_after_the_retries(
    base_url: str, fake: FakeHelpDesk
) -> None:
    fake.plan = [500, 500, 500, 500]
    with pytest.raises(HelpDeskUnavailable, match="HTTP 500"):
        await client(base_url, retries=2).open_ticket(REQUEST, "chat-key-4")
    assert len(fake.requests) == 3
    assert fake.tickets == {}


async def test_timeouts_every_time_are_reported_unavailable(
    base_url: str, fake: FakeHelpDesk
) -> None:
    fake.plan = ["slow", "slow"]
    fake.slow_seconds = 0.6
    with pytest.raises(HelpDeskUnavailable):
        await client(base_url, retries=1, timeout=0.2).open_ticket(REQUEST, "chat-key-5")
    assert len(fake.requests) == 2


@pytest.mark.parametrize("status", [401, 409, 422, 429])
async def test_4xx_answers_are_never_retried(
    status: int, base_url: str, fake: FakeHelpDesk
) -> None:
    fake.plan = [status]
    with pytest.raises(HelpDeskRejected) as raised:
        await client(base_url, retries=2).open_ticket(REQUEST, "chat-key-6")
    assert raised.value.status == status
    assert raised.value.code == ERRORS[status][0]
    assert len(fake.requests) == 1


async def test_a_validation_error_names_the_fields(base_url: str, fake: FakeHelpDesk) -> None:
    fake.plan = [422]
    with pytest.raises(HelpDeskRejected) as raised:
        await client(base_url).open_ticket(REQUEST, "chat-key-7")
    assert raised.value.fields == {"email": "not an email address"}
    assert raised.value.message == "Some fields are wrong."


async def test_a_help_desk_that_is_not_running_is_reported_unavailable() -> None:
    port = free_port()  # nothing listens here
    with pytest.raises(HelpDeskUnavailable):
        await client(f"http://127.0.0.1:{port}", retries=1).open_ticket(REQUEST, "chat-key-8")


async def test_the_status_is_read_with_the_email_in_the_body_not_the_url(
    base_url: str, fake: FakeHelpDesk
) -> None:
    status = await client(base_url).ticket_status("PR-7KQ2-M9XD", "Jane@Example.com", "conv-1")

    assert status.status == "identity_check"
    assert status.status_label == "We are verifying your identity"
    assert fake.requests == [
        {
            "authorization": f"Bearer {TOKEN}",
            "reference": "PR-7KQ2-M9XD",
            "email": "Jane@Example.com",
            "conversation_id": "conv-1",
            "query": {},
        }
    ]


async def test_an_unknown_ticket_is_not_found_without_retrying(
    base_url: str, fake: FakeHelpDesk
) -> None:
    with pytest.raises(TicketNotFound):
        await client(base_url).ticket_status("PR-0000-0000", "jane@example.com")
    assert len(fake.requests) == 1


async def test_a_status_check_retries_a_5xx(base_url: str, fake: FakeHelpDesk) -> None:
    fake.plan = [502]
    status = await client(base_url, retries=1).ticket_status("PR-7KQ2-M9XD", "jane@example.com")
    assert status.reference == "PR-7KQ2-M9XD"
    assert len(fake.requests) == 2


async def test_a_typed_code_is_sent_with_its_conversation_and_the_answer_read(
    base_url: str, fake: FakeHelpDesk
) -> None:
    wrong = await client(base_url).verify_code("PR-7KQ2-M9XD", "111111", "conversation-1")
    right = await client(base_url).verify_code("PR-7KQ2-M9XD", "482913", "conversation-1")

    assert (wrong.result, wrong.attempts_left) == ("wrong", 2)
    assert (right.reference, right.result) == ("PR-7KQ2-M9XD", "verified")
    assert fake.requests[0]["body"] == {"code": "111111", "conversation_id": "conversation-1"}


async def test_a_typed_code_is_never_retried_so_one_wrong_code_counts_once(
    base_url: str, fake: FakeHelpDesk
) -> None:
    fake.plan = [503, 503]
    with pytest.raises(HelpDeskUnavailable):
        await client(base_url, retries=2).verify_code("PR-7KQ2-M9XD", "111111", "c")
    assert len(fake.requests) == 1
