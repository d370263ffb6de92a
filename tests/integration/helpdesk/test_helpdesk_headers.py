"""Every /api answer carries no-store and nosniff; refusals and reads are logged; ticket views
and CSV exports land in the audit trail; the console cookie stays under /helpdesk."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from tests.integration.helpdesk.conftest import (
    SERVICE,
    STAFF_PASSWORD,
    STAFF_USER,
    console_login,
    open_ticket,
)


async def test_every_api_answer_carries_the_two_headers(client: Any, staff: Any) -> None:
    ticket = await open_ticket(client)
    reference = ticket["reference"]
    answers = [
        await client.get("/api/v1/openapi.yaml"),
        await client.get("/api/v1/tickets"),  # 401
        await client.get("/api/v1/tickets", headers=staff),
        await client.get(f"/api/v1/tickets/{reference}", headers=staff),
        await client.get("/api/v1/tickets/PR-2222-2222", headers=staff),  # 404
        await client.post(
            f"/api/v1/tickets/{reference}/status", json={"email": "x"}, headers=SERVICE
        ),  # fmt: skip
        await client.post("/api/v1/tickets", json={}, headers={**SERVICE, "Idempotency-Key": "k"}),
        await client.post("/api/v1/staff/sessions", json={"username": "x", "password": "y"}),
        await client.get("/api/v1/no-such-route"),
    ]
    for _, resp in answers:
        assert resp.headers.get("cache-control") == "no-store", (resp.status, resp.url)
        assert resp.headers.get("x-content-type-options") == "nosniff", (resp.status, resp.url)


def security_events(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "security"]


async def test_logins_and_refusals_are_logged(
    client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="security")
    await client.post("/api/v1/staff/sessions", json={"username": STAFF_USER, "password": "no"})
    await client.post(
        "/api/v1/staff/sessions", json={"username": STAFF_USER, "password": STAFF_PASSWORD}
    )
    await client.get("/api/v1/tickets")

    events = security_events(caplog)
    names = [e["event"] for e in events]
    assert "login_failed" in names and "login_succeeded" in names
    refused = [e for e in events if e["event"] == "request_refused"]
    assert {e["status"] for e in refused} == {401}
    assert all("at" in e and "client" in e for e in events)
    assert STAFF_PASSWORD not in caplog.text


async def test_views_and_exports_are_audited(
    client: Any, staff: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="security")
    reference = (await open_ticket(client))["reference"]
    await client.get(f"/api/v1/tickets/{reference}", headers=staff)
    await console_login(client)
    _, export = await client.get("/helpdesk/export.csv")
    assert export.status == 200

    _, detail = await client.get(f"/api/v1/tickets/{reference}", headers=staff)
    trail = [(a["actor"], a["action"]) for a in detail.json["audit"]]
    assert (STAFF_USER, "viewed") in trail and (STAFF_USER, "exported") in trail
    names = [e["event"] for e in security_events(caplog)]
    assert "ticket_viewed" in names and "tickets_exported" in names


async def test_the_console_cookie_is_limited_to_the_console(client: Any) -> None:
    await console_login(client)
    _, page = await client.get("/helpdesk/login")
    cookies = [c for c in client.cookies.jar if c.name == "helpdesk_session"]
    assert cookies and all(c.path == "/helpdesk" for c in cookies)
