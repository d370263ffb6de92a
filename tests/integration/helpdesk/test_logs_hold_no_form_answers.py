"""Logs never carry form answers: a ticket submitted through the API, emailed (and failing to
be emailed), looked up and completed leaves no name or email address in any log record."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

import pytest

from bot.helpdesk.app import create_app
from bot.helpdesk.settings import Settings
from tests.integration.helpdesk.conftest import SERVICE, add_staff, open_ticket, staff_headers
from tests.support.ports import free_port

NAME = "Quentin Logcheck"
EMAIL = "quentin.logcheck@example.org"


@pytest.mark.parametrize("smtp_works", [True, False])
async def test_a_ticket_submission_logs_no_name_or_email(
    settings: Settings, caplog: pytest.LogCaptureFixture, smtp_works: bool
) -> None:
    caplog.set_level(logging.DEBUG)
    if not smtp_works:
        settings = replace(settings, smtp_port=free_port(), mail_timeout_seconds=1)
    await add_staff(settings.database_url)
    app = create_app(settings)
    client: Any = app.asgi_client
    ticket = await open_ticket(client, requester_name=NAME, email=EMAIL)
    await asyncio.sleep(1.5)  # the notification email runs in the background
    _, status = await client.post(
        f"/api/v1/tickets/{ticket['reference']}/status", json={"email": EMAIL}, headers=SERVICE
    )
    assert status.status == 200
    staff = await staff_headers(client)
    _, detail = await client.get(f"/api/v1/tickets/{ticket['reference']}", headers=staff)
    assert detail.json["requester_name"] == NAME

    # httpx is the test's own client (the help desk serves with access_log=False), and
    # mail.log the test's own SMTP server (aiosmtpd logs every recipient it is sent).
    records = [r for r in caplog.records if not r.name.startswith(("httpx", "mail.log"))]
    logged = "\n".join(f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in records)
    assert records, "the test saw no logging at all"
    assert NAME.lower() not in logged.lower()
    assert EMAIL.lower() not in logged.lower()
    assert "logcheck" not in logged.lower()
