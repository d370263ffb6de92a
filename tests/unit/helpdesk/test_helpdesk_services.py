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
from bot.helpdesk.ratelimit import SlidingWindowLimiter
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


async def test_changes_follow_the_workflow_and_are_audited() -> None:
    tickets = FakeTicketRepository()
    reference = (await _open(tickets))[0].ticket.reference

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
    limits = services.StatusLimits(SlidingWindowLimiter(3, 60), SlidingWindowLimiter(3, 60))

    found = await services.ticket_status(
        tickets, limits, reference.lower(), "KEN@example.com", "ip"
    )
    with pytest.raises(services.NoMatchingTicket):
        await services.ticket_status(tickets, limits, reference, "someone@example.com", "ip")
    with pytest.raises(services.NoMatchingTicket):
        await services.ticket_status(tickets, limits, reference, "", "ip")
    with pytest.raises(services.TooManyLookups):
        await services.ticket_status(tickets, limits, reference, "ken@example.com", "ip")

    assert found.reference == reference


async def test_the_export_neutralises_formulas() -> None:
    tickets = FakeTicketRepository()
    await _open(tickets, body={**BODY, "requester_name": "=cmd()"})

    text = await services.export(tickets, TicketFilter())

    assert text.splitlines()[0].startswith("reference,type,status")
    assert "'=cmd()" in text


async def test_login_opens_a_session_until_it_expires_and_limits_failures() -> None:
    staff = FakeStaffRepository()
    await services.add_staff(staff, "alice", "a long password")
    limiter = SlidingWindowLimiter(2, 300)
    hour = timedelta(hours=1)

    opened = await services.login(staff, limiter, "alice", "a long password", "ip", hour)
    for _ in range(2):
        with pytest.raises(services.LoginRefused):
            await services.login(staff, limiter, "alice", "wrong", "ip", hour)
    with pytest.raises(services.TooManyLogins):
        await services.login(staff, limiter, "alice", "a long password", "ip", hour)

    assert await services.staff_session(staff, opened.token) == opened.session
    staff.sessions[opened.token] = replace(opened.session, expires_at=utcnow() - hour)
    assert await services.staff_session(staff, opened.token) is None
    await services.logout(staff, opened.token)
    assert staff.sessions == {}


@pytest.mark.parametrize("adapter", ["api.py", "console.py"])
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
