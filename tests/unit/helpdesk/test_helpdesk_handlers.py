"""API handlers against in-memory repositories: the contract without a database."""

from __future__ import annotations

from typing import Any

import pytest
from sanic import Sanic

from bot.helpdesk import services
from bot.helpdesk.app import create_app
from bot.helpdesk.models import Ticket
from bot.helpdesk.repository import TicketRepository
from bot.helpdesk.settings import Settings
from tests.unit.helpdesk.fake_repositories import FakeStaffRepository, FakeTicketRepository

Sanic.test_mode = True
TOKEN = "unit-token"
SERVICE = {"Authorization": f"Bearer {TOKEN}"}
BODY = {
    "type": "stop_use",
    "requester_name": "Ken",
    "email": "Ken@Example.com",
    "details": "Stop using my data for marketing.",
}
STAFF_BODY = {**BODY, "origin": "console"}


@pytest.fixture
def tickets() -> FakeTicketRepository:
    return FakeTicketRepository()


@pytest.fixture
def emailed() -> list[str]:
    return []


@pytest.fixture
def coded() -> list[str]:
    return []


@pytest.fixture
async def app(tickets: FakeTicketRepository, emailed: list[str], coded: list[str]) -> Sanic:
    staff = FakeStaffRepository()
    await services.add_staff(staff, "alice", "a long password")
    app = create_app(
        Settings(database_url="sqlite:///unused.db", service_token=TOKEN),
        tickets=tickets,
        staff=staff,
    )

    async def record_email(settings: Settings, repo: TicketRepository, ticket: Ticket) -> None:
        emailed.append(ticket.reference)

    async def record_code(settings: Settings, repo: TicketRepository, ticket: Ticket) -> None:
        coded.append(ticket.reference)

    app.ctx.notify = record_email
    app.ctx.send_first_code = record_code
    return app


async def _create(client: Any, key: str, body: dict[str, Any] = BODY) -> Any:
    _, resp = await client.post(
        "/api/v1/tickets", json=body, headers={**SERVICE, "Idempotency-Key": key}
    )
    return resp


async def test_a_new_ticket_is_created_once_and_emailed_once(
    app: Sanic, tickets: FakeTicketRepository, emailed: list[str], coded: list[str]
) -> None:
    client = app.asgi_client
    first = await _create(client, "key-1")
    retry = await _create(client, "key-1")
    conflict = await _create(client, "key-1", {**BODY, "details": "other"})

    assert (first.status, retry.status, conflict.status) == (201, 200, 409)
    assert retry.json == first.json
    assert len(tickets.tickets) == 1
    assert emailed == [first.json["reference"]]
    assert coded == [first.json["reference"]], "one verification code, not one per retry"


async def test_a_ticket_staff_open_gets_no_verification_code(
    app: Sanic, emailed: list[str], coded: list[str]
) -> None:
    created = await _create(app.asgi_client, "key-staff", STAFF_BODY)
    assert created.status == 201 and created.json["status"] == "new"
    assert emailed == [created.json["reference"]] and coded == []


async def test_the_created_ticket_answers_in_the_contract_shape(app: Sanic) -> None:
    resp = await _create(app.asgi_client, "key-2")
    assert set(resp.json) == {"reference", "type", "status", "email", "created_at", "due_at"}
    assert resp.json["status"] == "identity_check" and resp.json["type"] == "stop_use"


async def test_status_lookup_hides_whether_a_reference_exists(app: Sanic) -> None:
    client = app.asgi_client
    reference = (await _create(client, "key-3")).json["reference"]

    async def lookup(ref: str, email: str) -> Any:
        _, resp = await client.post(
            f"/api/v1/tickets/{ref}/status", json={"email": email}, headers=SERVICE
        )
        return resp

    found = await lookup(reference, "ken@example.COM")
    wrong_email = await lookup(reference, "ken@example.org")
    no_email = await lookup(reference, "")
    unknown = await lookup("PR-2222-2222", "ken@example.com")

    assert found.status == 200 and found.json["status_label"] == "We are verifying your identity"
    assert wrong_email.body == unknown.body == no_email.body
    assert unknown.status == 404


async def test_a_lowercase_reference_typed_by_a_customer_is_found(app: Sanic) -> None:
    client = app.asgi_client
    reference = (await _create(client, "key-4")).json["reference"]
    _, resp = await client.post(
        f"/api/v1/tickets/{reference.lower()}/status",
        json={"email": "ken@example.com"},
        headers=SERVICE,
    )
    assert resp.status == 200 and resp.json["reference"] == reference


async def test_staff_changes_go_through_the_repository(
    app: Sanic, tickets: FakeTicketRepository
) -> None:
    client = app.asgi_client
    reference = (await _create(client, "key-5", STAFF_BODY)).json["reference"]
    _, login = await client.post(
        "/api/v1/staff/sessions", json={"username": "alice", "password": "a long password"}
    )
    staff = {"Authorization": f"Bearer {login.json['token']}"}

    _, moved = await client.post(
        f"/api/v1/tickets/{reference}/transitions", json={"status": "identity_check"}, headers=staff
    )
    _, refused = await client.post(
        f"/api/v1/tickets/{reference}/transitions", json={"status": "new"}, headers=staff
    )

    assert moved.status == 200 and refused.status == 409
    actions = [a.action for a in tickets.tickets[reference].audit]
    assert actions == ["created", "status_changed"]
