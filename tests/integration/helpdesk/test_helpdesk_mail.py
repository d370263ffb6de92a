"""A new ticket emails the help desk through a real SMTP server; a failed email loses nothing."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from bot.helpdesk.app import create_app
from tests.integration.helpdesk.conftest import SmtpServer, open_ticket, staff_headers
from tests.support.ports import free_port


async def test_a_new_ticket_is_emailed_to_the_help_desk(
    client: Any, smtp_server: SmtpServer, staff: dict[str, str]
) -> None:
    reference = (await open_ticket(client))["reference"]

    to_staff = [m for m in smtp_server.mailbox.messages if m["To"] == "helpdesk@localhost"]
    assert len(to_staff) == 1
    message = to_staff[0]
    assert message["From"] == "privacy-assistant@localhost"
    assert reference in message["Subject"]
    body = message.get_payload()
    assert f"/helpdesk/tickets/{reference}" in body
    assert "jane@example.com" not in body  # personal data stays in the help desk
    _, detail = await client.get(f"/api/v1/tickets/{reference}", headers=staff)
    assert detail.json["notified_at"] is not None
    assert "notification_sent" in [a["action"] for a in detail.json["audit"]]


async def test_a_retry_does_not_send_a_second_email(client: Any, smtp_server: SmtpServer) -> None:
    """One email to the help desk and one code to the requester, however often the bot retries."""
    from tests.integration.helpdesk.conftest import creation_headers, ticket_body

    headers = creation_headers("mail-once")
    await client.post("/api/v1/tickets", json=ticket_body(), headers=headers)
    await client.post("/api/v1/tickets", json=ticket_body(), headers=headers)
    await asyncio.sleep(0.5)
    recipients = sorted(str(m["To"]) for m in smtp_server.mailbox.messages)
    assert recipients == ["helpdesk@localhost", "jane@example.com"]


async def test_a_failed_email_still_stores_the_ticket_and_records_the_failure(
    settings: Any, app: Any
) -> None:
    unreachable = create_app(replace(settings, smtp_port=free_port(), mail_timeout_seconds=2))
    client = unreachable.asgi_client

    ticket = await open_ticket(client)
    staff = await staff_headers(client)
    _, detail = await client.get(f"/api/v1/tickets/{ticket['reference']}", headers=staff)

    assert detail.status == 200
    assert detail.json["notified_at"] is None
    failure = [a for a in detail.json["audit"] if a["action"] == "notification_failed"]
    assert len(failure) == 1 and failure[0]["actor"] == "system"
    assert "Connection" in failure[0]["detail"]["detail"]
