"""The use cases on in-memory repositories: the rules without HTTP or a database."""

from __future__ import annotations

import ast
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.helpdesk import services
from bot.helpdesk.models import Status, Ticket, TicketFilter, TicketNotFound, utcnow
from bot.helpdesk.ratelimit import memory_limit
from bot.helpdesk.transitions import TransitionRefused
from bot.helpdesk.validation import ValidationFailed
from tests.unit.helpdesk.fake_repositories import FakeStaffRepository, FakeTicketRepository

HELPDESK = Path(__file__).resolve().parents[3] / "bot" / "helpdesk"
BODY = {"type": "erasure", "requester_name": "Ken", "email": "ken@example.com", "details": "Go"}


async def _open(
    tickets: FakeTicketRepository, key: str = "k", body: dict[str, Any] = BODY
) -> tuple[services.CreatedTicket, list[Ticket]]:
    notified: list[Ticket] = []
    result = await services.open_ticket(
        tickets, body, key, "bot", due_days=14, notify=notified.append
    )
    return result, notified


async def test_a_ticket_is_opened_once_per_key_and_due_after_the_due_days() -> None:
    tickets = FakeTicketRepository()
    first, notified = await _open(tickets)
    retry, notified_again = await _open(tickets)

    assert first.created and not retry.created
    assert retry.ticket == first.ticket and len(tickets.tickets) == 1
    assert first.ticket.due_at - first.ticket.created_at == timedelta(days=14)
    assert notified == [first.ticket] and notified_again == []
    assert [a.action for a in tickets.tickets[first.ticket.reference].audit] == ["created"]


async def test_a_used_key_with_another_body_is_a_conflict() -> None:
    tickets = FakeTicketRepository()
    await _open(tickets)
    with pytest.raises(services.IdempotencyConflict):
        await _open(tickets, body={**BODY, "details": "Something else"})


async def test_an_invalid_request_opens_nothing() -> None:
    tickets = FakeTicketRepository()
    with pytest.raises(ValidationFailed):
        await _open(tickets, body={**BODY, "email": "nope"})
    with pytest.raises(ValidationFailed):
        await _open(tickets, key="has space")
    assert tickets.tickets == {}


async def test_a_chat_request_waits_for_verification_and_a_staff_ticket_does_not() -> None:
    tickets = FakeTicketRepository()
    chat = (await _open(tickets, "chat"))[0].ticket
    staff = (await _open(tickets, "staff", {**BODY, "origin": "console"}))[0].ticket
    assert chat.status is Status.IDENTITY_CHECK and staff.status is Status.NEW


async def test_changes_follow_the_workflow_and_are_audited() -> None:
    tickets = FakeTicketRepository()
    reference = (await _open(tickets, body={**BODY, "origin": "console"}))[0].ticket.reference

    await services.change_status(tickets, reference, Status.IDENTITY_CHECK, "alice")
    with pytest.raises(TransitionRefused):
        await services.change_status(tickets, reference, Status.NEW, "alice")
    await services.assign(tickets, reference, "bob", "alice")
    note = await services.add_note(tickets, reference, "Called back", "alice")
    with pytest.raises(TicketNotFound):
        await services.add_note(tickets, "PR-2222-2222", "x", "alice")

    detail = await services.ticket_detail(tickets, reference)
    assert detail.ticket.status is Status.IDENTITY_CHECK and detail.ticket.assignee == "bob"
    assert detail.notes == [note]
    assert [(a.action, a.detail) for a in detail.audit[1:]] == [
        ("status_changed", {"from": "new", "to": "identity_check"}),
        ("assignee_changed", {"from": None, "to": "bob"}),
        ("note_added", {"length": 11}),
    ]


async def test_a_status_lookup_needs_the_email_and_is_limited() -> None:
    tickets = FakeTicketRepository()
    reference = (await _open(tickets))[0].ticket.reference
    limits = services.StatusLimits(memory_limit("c", 3, 60), memory_limit("e", 3, 60))

    found = await services.ticket_status(
        tickets, limits, reference.lower(), "KEN@example.com", "conv"
    )
    with pytest.raises(services.NoMatchingTicket):
        await services.ticket_status(tickets, limits, reference, "someone@example.com", "conv")
    with pytest.raises(services.NoMatchingTicket):
        await services.ticket_status(tickets, limits, reference, "", "conv")
    with pytest.raises(services.TooManyLookups):
        await services.ticket_status(tickets, limits, reference, "ken@example.com", "conv")
    # Another customer, in another conversation, is not blocked.
    assert await services.ticket_status(tickets, limits, reference, "ken@example.com", "other")

    assert found.reference == reference


async def test_new_tickets_are_capped_per_conversation_and_email() -> None:
    tickets = FakeTicketRepository()
    caps = services.TicketCaps(memory_limit("tc", 2, 86400), memory_limit("te", 3, 86400))

    async def open_one(key: str, conversation: str, email: str) -> services.CreatedTicket:
        body = {**BODY, "conversation_id": conversation, "email": email, "details": key}
        return await services.open_ticket(
            tickets, body, key, "bot", due_days=14, notify=lambda t: None, caps=caps
        )

    await open_one("k1", "c1", "a@example.com")
    again = await open_one("k1", "c1", "a@example.com")  # a retry is not a new ticket
    await open_one("k2", "c1", "a@example.com")
    with pytest.raises(services.TooManyTickets):
        await open_one("k3", "c1", "a@example.com")
    await open_one("k4", "c2", "a@example.com")
    with pytest.raises(services.TooManyTickets):
        await open_one("k5", "c3", "A@example.com")
    assert not again.created
    assert (await open_one("k6", "c4", "b@example.com")).created


async def test_the_export_neutralises_formulas() -> None:
    tickets = FakeTicketRepository()
    await _open(tickets, body={**BODY, "requester_name": "=cmd()"})

    text = await services.export(tickets, TicketFilter())

    assert text.splitlines()[0].startswith('"reference","type","status"')
    assert "'=cmd()" in text


async def test_login_opens_a_session_until_it_expires_and_limits_failures() -> None:
    staff = FakeStaffRepository()
    await services.add_staff(staff, "alice", "a long password")
    limits = services.LoginLimits(memory_limit("ip", 10, 300), memory_limit("account", 2, 300))
    hour = timedelta(hours=1)
    lifetime = services.SessionLifetime(idle=hour, absolute=hour)

    opened = await services.login(staff, limits, "alice", "a long password", "ip", lifetime)
    for _ in range(2):
        with pytest.raises(services.LoginRefused):
            await services.login(staff, limits, "alice", "wrong", "ip", lifetime)
    with pytest.raises(services.TooManyLogins):
        await services.login(staff, limits, "alice", "a long password", "ip", lifetime)

    assert await services.staff_session(staff, opened.token) == opened.session
    staff.sessions[opened.token] = replace(opened.session, expires_at=utcnow() - hour)
    assert await services.staff_session(staff, opened.token) is None
    await services.logout(staff, opened.token)
    assert staff.sessions == {}


@pytest.mark.parametrize("adapter", ["api.py", "console.py", "verify_api.py"])
def test_the_http_adapters_stay_thin(adapter: str) -> None:
    source = (HELPDESK / adapter).read_text(encoding="utf-8")
    functions = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]
    nested = [
        inner.name
        for outer in functions
        for inner in ast.walk(outer)
        if inner is not outer and isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]
    assert len(source.splitlines()) <= 150
    assert nested == [], "handlers are module-level functions"
    assert "try:" not in source, "exceptions become responses in the bp.exception handlers"


async def test_every_login_attempt_from_an_address_counts_before_any_hashing() -> None:
    staff = FakeStaffRepository()
    await services.add_staff(staff, "alice", "a long password")
    limits = services.LoginLimits(memory_limit("ip", 3, 300), memory_limit("account", 5, 300))
    lifetime = services.SessionLifetime()

    for name in ("x1", "x2", "x3"):
        with pytest.raises(services.LoginRefused):
            await services.login(staff, limits, name, "wrong", "ip", lifetime)
    with pytest.raises(services.TooManyLogins):  # even the right password, from that address
        await services.login(staff, limits, "alice", "a long password", "ip", lifetime)
    assert await services.login(staff, limits, "alice", "a long password", "other", lifetime)


async def test_an_idle_session_expires_and_use_keeps_it_alive_up_to_its_lifetime() -> None:
    staff = FakeStaffRepository()
    await services.add_staff(staff, "alice", "a long password")
    limits = services.LoginLimits(memory_limit("ip", 9, 300), memory_limit("account", 9, 300))
    lifetime = services.SessionLifetime(idle=timedelta(minutes=30), absolute=timedelta(hours=8))
    opened = await services.login(staff, limits, "alice", "a long password", "ip", lifetime)
    token, now = opened.token, utcnow()
    assert opened.session.expires_at <= now + timedelta(minutes=30)

    # Used 20 minutes after login: the idle deadline moves on to 30 minutes from now.
    staff.sessions[token] = replace(
        opened.session,
        created_at=now - timedelta(minutes=20),
        expires_at=now + timedelta(minutes=10),
    )
    used = await services.staff_session(staff, token, lifetime)
    assert used is not None and used.expires_at > now + timedelta(minutes=29)
    assert staff.sessions[token].expires_at == used.expires_at
    # Idle past the deadline: gone.
    staff.sessions[token] = replace(used, expires_at=now - timedelta(seconds=1))
    assert await services.staff_session(staff, token, lifetime) is None
    # In use all along, but past the absolute lifetime: gone too.
    staff.sessions[token] = replace(
        used, created_at=now - timedelta(hours=8, seconds=1), expires_at=now + timedelta(minutes=5)
    )
    assert await services.staff_session(staff, token, lifetime) is None
