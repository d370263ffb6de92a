"""Customer status lookups are rate limited per client and per reference."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.helpdesk.app import create_app
from tests.integration.helpdesk.conftest import SERVICE, open_ticket


async def _lookup(client: Any, reference: str, email: str = "jane@example.com") -> Any:
    _, resp = await client.get(
        f"/api/v1/tickets/{reference}/status", params={"email": email}, headers=SERVICE
    )
    return resp


async def test_guessing_emails_for_one_reference_is_stopped(settings: Any, app: Any) -> None:
    limited = create_app(replace(settings, status_limit_per_reference=3))
    client = limited.asgi_client
    reference = (await open_ticket(client))["reference"]

    statuses = [
        (await _lookup(client, reference, f"guess{i}@example.com")).status for i in range(4)
    ]

    assert statuses == [404, 404, 404, 429]
    blocked = await _lookup(client, reference)
    assert blocked.status == 429 and blocked.json["error"] == "rate_limited"
    assert blocked.headers["retry-after"] == "60"


async def test_guessing_references_from_one_client_is_stopped(settings: Any, app: Any) -> None:
    limited = create_app(replace(settings, status_limit_per_client=5))
    client = limited.asgi_client

    statuses = [(await _lookup(client, f"PR-2222-{n}{n}{n}{n}")).status for n in range(2, 8)]

    assert statuses == [404] * 5 + [429]
