"""Per-customer budgets (issue #13): status lookups are limited per conversation and per email,
new tickets capped per conversation and per email per day, so one customer's mistakes never
block another (every lookup reaches the help desk from the action server's one address)."""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

import pytest

from bot.helpdesk.app import create_app
from bot.helpdesk.ratelimit import RateLimit, limits_storage
from tests.integration.helpdesk.conftest import SERVICE, creation_headers, open_ticket, ticket_body


async def _lookup(
    client: Any, reference: str, email: str = "jane@example.com", conversation: str = "c-jane"
) -> Any:
    _, resp = await client.post(
        f"/api/v1/tickets/{reference}/status",
        json={"email": email, "conversation_id": conversation},
        headers=SERVICE,
    )
    return resp


async def test_guessing_emails_in_one_conversation_does_not_lock_out_the_owner(
    settings: Any, app: Any
) -> None:
    limited = create_app(replace(settings, status_limit_per_conversation=3))
    client = limited.asgi_client
    reference = (await open_ticket(client))["reference"]

    statuses = [
        (await _lookup(client, reference, f"guess{i}@example.com", "c-attacker")).status
        for i in range(4)
    ]

    assert statuses == [404, 404, 404, 429]
    blocked = await _lookup(client, reference, conversation="c-attacker")
    assert blocked.status == 429 and blocked.json["error"] == "rate_limited"
    assert blocked.headers["retry-after"] == "60"
    assert (await _lookup(client, reference)).status == 200  # the owner, in her conversation


async def test_one_emails_lookups_are_limited_across_conversations(settings: Any, app: Any) -> None:
    limited = create_app(replace(settings, status_limit_per_email=3))
    client = limited.asgi_client
    reference = (await open_ticket(client))["reference"]

    statuses = [
        (await _lookup(client, f"PR-2222-{n}{n}{n}{n}", conversation=f"c{n}")).status
        for n in range(2, 6)
    ]

    assert statuses == [404, 404, 404, 429]
    other = await _lookup(client, reference, "mallory@example.com", "c-other")
    assert other.status == 404  # another email is not blocked (and does not match)


async def test_the_status_email_is_not_accepted_in_the_query_string(client: Any) -> None:
    ticket = await open_ticket(client)
    _, resp = await client.get(
        f"/api/v1/tickets/{ticket['reference']}/status",
        params={"email": "jane@example.com"},
        headers=SERVICE,
    )
    assert resp.status in (404, 405)


async def test_new_tickets_are_capped_per_conversation_and_per_email(
    settings: Any, app: Any
) -> None:
    capped = create_app(
        replace(settings, tickets_per_conversation_per_day=2, tickets_per_email_per_day=3)
    )
    client = capped.asgi_client

    async def create(conversation: str, email: str) -> Any:
        body = ticket_body(conversation_id=conversation, email=email)
        _, resp = await client.post("/api/v1/tickets", json=body, headers=creation_headers())
        return resp

    first = [(await create("c1", "jane@example.com")).status for _ in range(3)]
    other_conversation = (await create("c2", "jane@example.com")).status
    same_email = await create("c3", "JANE@example.com")
    someone_else = (await create("c4", "ken@example.com")).status

    assert first == [201, 201, 429]
    assert other_conversation == 201
    assert same_email.status == 429 and same_email.json["error"] == "rate_limited"
    assert someone_else == 201


async def test_a_retry_of_a_stored_ticket_is_not_counted(settings: Any, app: Any) -> None:
    capped = create_app(replace(settings, tickets_per_conversation_per_day=1))
    client = capped.asgi_client
    headers = creation_headers("same-key")
    statuses = []
    for _ in range(3):
        _, resp = await client.post("/api/v1/tickets", json=ticket_body(), headers=headers)
        statuses.append(resp.status)
    assert statuses == [201, 200, 200]


@pytest.mark.redis
async def test_with_redis_every_worker_shares_the_limits() -> None:
    url = "redis://127.0.0.1:6379/8"
    key = f"shared-{secrets.token_hex(4)}"
    worker_a = RateLimit("login-account", 3, 60, limits_storage(url))
    worker_b = RateLimit("login-account", 3, 60, limits_storage(url))
    try:
        results = [await worker_a.hit(key), await worker_b.hit(key), await worker_a.hit(key)]
        assert results == [True, True, True]
        assert await worker_b.hit(key) is False
    finally:
        await worker_a.reset(key)
