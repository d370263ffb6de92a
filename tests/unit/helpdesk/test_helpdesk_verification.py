"""Identity verification by emailed code, on the in-memory repository."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.contract import Status
from bot.helpdesk import verification
from bot.helpdesk.models import NewTicket, Ticket, TicketDetail, TicketType, utcnow
from bot.helpdesk.ratelimit import RateLimit, memory_limit
from bot.helpdesk.verification import VerificationRefused
from tests.unit.helpdesk.fake_repositories import FakeTicketRepository

SECRET = "test-secret-key"
REFERENCE = "PR-7KQ2-M9XD"


@pytest.fixture
def tickets() -> FakeTicketRepository:
    repository = FakeTicketRepository()
    new = NewTicket(TicketType.ERASURE, "Jane Doe", "jane@example.com", "Delete my account.")
    ticket = replace(Ticket.open(new, REFERENCE, utcnow(), 14), status=Status.IDENTITY_CHECK)
    repository.tickets[REFERENCE] = TicketDetail(ticket, audit=[])
    return repository


def limiter(limit: int = 100) -> RateLimit:
    return memory_limit("verification-test", limit, 60)


async def test_the_right_code_moves_the_request_to_staff(tickets: FakeTicketRepository) -> None:
    ticket, code = await verification.issue_code(tickets, REFERENCE, SECRET, "system")
    assert len(code) == 6 and code.isdigit()
    assert ticket.verification_code_hash and code not in ticket.verification_code_hash
    assert ticket.verification_state == "pending"
    verified = await verification.verify_code(
        tickets, limiter(), REFERENCE, f" {code[:3]} {code[3:]} ", SECRET, "ip"
    )
    assert verified.status is Status.NEW and verified.verification_state == "verified"
    assert verified.verification_code_hash is None
    actions = [entry.action for entry in tickets.tickets[REFERENCE].audit]
    assert actions == ["verification_code_sent", "identity_verified"]
    assert all(code not in str(entry.detail) for entry in tickets.tickets[REFERENCE].audit)


async def test_three_wrong_codes_lock_the_verification(tickets: FakeTicketRepository) -> None:
    _, code = await verification.issue_code(tickets, REFERENCE, SECRET, "system")
    wrong = "000000" if code != "000000" else "111111"
    left = []
    for _ in range(3):
        with pytest.raises(VerificationRefused) as refused:
            await verification.verify_code(tickets, limiter(), REFERENCE, wrong, SECRET, "ip")
        left.append((refused.value.reason, refused.value.attempts_left))
    assert left == [("wrong", 2), ("wrong", 1), ("locked", 0)]
    with pytest.raises(VerificationRefused, match="locked"):
        await verification.verify_code(tickets, limiter(), REFERENCE, code, SECRET, "ip")
    ticket = tickets.tickets[REFERENCE].ticket
    assert ticket.status is Status.IDENTITY_CHECK and ticket.verification_state == "locked"

    # Staff send a new code: the lock is lifted, the new code works, the old one does not.
    _, fresh = await verification.issue_code(tickets, REFERENCE, SECRET, "alice")
    assert tickets.tickets[REFERENCE].ticket.verification_state == "pending"
    verified = await verification.verify_code(tickets, limiter(), REFERENCE, fresh, SECRET, "ip")
    assert verified.status is Status.NEW


async def test_an_expired_code_is_refused(tickets: FakeTicketRepository) -> None:
    _, code = await verification.issue_code(tickets, REFERENCE, SECRET, "system")
    detail = tickets.tickets[REFERENCE]
    detail.ticket = replace(detail.ticket, verification_expires_at=utcnow() - timedelta(seconds=1))
    with pytest.raises(VerificationRefused, match="expired"):
        await verification.verify_code(tickets, limiter(), REFERENCE, code, SECRET, "ip")
    assert tickets.tickets[REFERENCE].ticket.status is Status.IDENTITY_CHECK


async def test_attempts_are_rate_limited_per_client(tickets: FakeTicketRepository) -> None:
    _, code = await verification.issue_code(tickets, REFERENCE, SECRET, "system")
    tight = limiter(limit=1)
    with pytest.raises(VerificationRefused):
        await verification.verify_code(tickets, tight, REFERENCE, "999999x", SECRET, "ip")
    with pytest.raises(verification.TooManyVerificationAttempts):
        await verification.verify_code(tickets, tight, REFERENCE, code, SECRET, "ip")


async def test_unknown_or_settled_tickets_have_nothing_to_verify(
    tickets: FakeTicketRepository,
) -> None:
    with pytest.raises(VerificationRefused, match="not_pending"):
        await verification.verify_code(tickets, limiter(), "PR-2222-2222", "123456", SECRET, "ip")
    with pytest.raises(VerificationRefused, match="not_pending"):
        await verification.verify_code(tickets, limiter(), REFERENCE, "123456", SECRET, "ip")
    detail = tickets.tickets[REFERENCE]
    detail.ticket = replace(detail.ticket, status=Status.NEW)
    with pytest.raises(VerificationRefused, match="not_pending"):
        await verification.issue_code(tickets, REFERENCE, SECRET, "alice")


def test_codes_are_bound_to_the_key_and_the_reference() -> None:
    assert verification.code_hash(SECRET, REFERENCE, "123456") != verification.code_hash(
        "other", REFERENCE, "123456"
    )
    assert verification.code_hash(SECRET, REFERENCE, "123456") != verification.code_hash(
        SECRET, "PR-2222-2222", "123456"
    )


async def test_the_status_check_says_when_the_customer_must_verify(
    tickets: FakeTicketRepository,
) -> None:
    from bot.helpdesk.documents import ticket_status

    assert (
        "verifying your identity"
        in ticket_status(tickets.tickets[REFERENCE].ticket)["status_label"]
    )
    ticket, _ = await verification.issue_code(tickets, REFERENCE, SECRET, "system")
    assert "waiting for you to verify your email" in ticket_status(ticket)["status_label"]
    for _ in range(3):
        with pytest.raises(VerificationRefused):
            await verification.verify_code(tickets, limiter(), REFERENCE, "x", SECRET, "ip")
    locked = tickets.tickets[REFERENCE].ticket
    assert "contact the Personal Information" in ticket_status(locked)["status_label"]
