"""Identity verification by emailed code through the help desk: staff send a code from the
console, the requester enters it on the /verify page (no chat, no login), three wrong codes
lock it, and staff see the state (never the code) and can send a new one."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

from bot.helpdesk.db import create_engine
from bot.helpdesk.models import utcnow
from bot.helpdesk.repository import SqlTicketRepository
from tests.integration.helpdesk.conftest import csrf_of, open_ticket
from tests.support.mail import SmtpServer


async def emailed_code(smtp: SmtpServer, reference: str, after: int = 0) -> str:
    """The code in the newest email to the requester about `reference`, once more than `after`
    of them have arrived (they are sent in the background)."""

    def to_requester() -> list[Any]:
        return [
            m
            for m in smtp.mailbox.messages
            if m["To"] == "jane@example.com" and reference in str(m["Subject"])
        ]

    for _ in range(50):
        if len(to_requester()) > after:
            break
        await asyncio.sleep(0.1)
    email = to_requester()[-1]
    body = email.get_payload(decode=True).decode()
    assert reference in body and "erasure" in body
    assert f"/verify?reference={reference}" in body and "ignore this email" in body
    match = re.search(r"verification code: (\d{6})", body)
    assert match is not None
    return match.group(1)


async def chat_ticket(client: Any, smtp: SmtpServer) -> tuple[str, str, str]:
    """A request opened by the bot: stored in identity_check, its code emailed at once. The
    reference, the console's CSRF token and the code."""
    ticket = await open_ticket(client)
    assert ticket["status"] == "identity_check"
    code = await emailed_code(smtp, ticket["reference"])
    _, page = await client.get(f"/helpdesk/tickets/{ticket['reference']}")
    return ticket["reference"], csrf_of(page.text), code


async def send_code(client: Any, smtp: SmtpServer, reference: str, token: str) -> str:
    """Staff send a new code from the ticket page; the code the requester receives."""
    before = sum(
        reference in str(m["Subject"])
        for m in smtp.mailbox.messages
        if m["To"] == "jane@example.com"
    )
    _, sent = await client.post(
        f"/helpdesk/tickets/{reference}/verification",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert sent.status == 303, sent.text
    return await emailed_code(smtp, reference, before)


async def enter(client: Any, reference: str, code: str) -> Any:
    _, page = await client.post("/verify", data={"reference": reference.lower(), "code": code})
    return page


async def test_the_code_page_verifies_without_the_chat(
    logged_in_client: Any, smtp_server: SmtpServer
) -> None:
    client = logged_in_client
    reference, _, code = await chat_ticket(client, smtp_server)

    _, form = await client.get(f"/verify?reference={reference}")
    assert form.status == 200 and f'value="{reference}"' in form.text
    wrong = await enter(client, reference, "000000" if code != "000000" else "111111")
    assert wrong.status == 422 and "2 more attempt" in wrong.text
    right = await enter(client, reference, code)
    assert right.status == 200 and "verify-done" in right.text

    _, staff_page = await client.get(f"/helpdesk/tickets/{reference}")
    assert 'id="status">new' in staff_page.text
    assert ">verified<" in staff_page.text
    assert code not in staff_page.text
    assert "identity_verified" in staff_page.text


async def test_three_wrong_codes_lock_until_staff_send_a_new_one(
    logged_in_client: Any, smtp_server: SmtpServer
) -> None:
    client = logged_in_client
    reference, token, code = await chat_ticket(client, smtp_server)
    wrong = "000000" if code != "000000" else "111111"
    pages = [await enter(client, reference, wrong) for _ in range(3)]
    assert (
        "locked" in pages[-1].text and "Personal Information Protection Help Desk" in pages[-1].text
    )
    assert "locked" in (await enter(client, reference, code)).text

    _, staff_page = await client.get(f"/helpdesk/tickets/{reference}")
    assert "locked" in staff_page.text and "Send a new verification code" in staff_page.text
    fresh = await send_code(client, smtp_server, reference, token)
    assert (await enter(client, reference, fresh)).status == 200


async def test_an_expired_code_is_refused(
    logged_in_client: Any, smtp_server: SmtpServer, database_url: str
) -> None:
    client = logged_in_client
    reference, _, code = await chat_ticket(client, smtp_server)
    engine = create_engine(database_url)
    try:
        from dataclasses import replace

        from bot.helpdesk.models import AuditEntry, Change

        past = utcnow() - timedelta(hours=25)
        await SqlTicketRepository(engine).update(
            reference,
            lambda t: Change(
                replace(t, verification_expires_at=past + timedelta(hours=24)),
                AuditEntry("test", "clock_moved", {}, utcnow()),
            ),
        )
    finally:
        await engine.dispose()
    expired = await enter(client, reference, code)
    assert expired.status == 422 and "expired" in expired.text
