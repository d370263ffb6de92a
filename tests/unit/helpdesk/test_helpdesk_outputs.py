"""CSV cells, the notification email, and the OpenAPI document."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
import yaml
from sanic import Sanic

from bot.helpdesk.api import OPENAPI_PATH
from bot.helpdesk.app import create_app
from bot.helpdesk.mail import new_ticket_message
from bot.helpdesk.models import Origin, Status, Ticket, TicketType
from bot.helpdesk.services import csv_safe
from bot.helpdesk.settings import Settings

Sanic.test_mode = True


@pytest.mark.parametrize(
    ("value", "cell"),
    [("=1+1", "'=1+1"), ("+31 6", "'+31 6"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"),
     ("\tx", "'\tx"), ("plain", "plain"), (None, ""), ("a=b", "a=b")],
)  # fmt: skip
def test_csv_cells_cannot_become_formulas(value: str | None, cell: str) -> None:
    assert csv_safe(value) == cell


def test_the_email_names_the_ticket_but_not_the_customer() -> None:
    now = datetime(2026, 11, 25, 10, tzinfo=timezone.utc)
    ticket = Ticket(
        reference="PR-7KQ2-M9XD", type=TicketType.ERASURE, status=Status.NEW,
        requester_name="Jane Doe", email="jane@example.com", details="secret details",
        origin=Origin.CHAT, created_at=now, updated_at=now, due_at=now,
    )  # fmt: skip
    message = new_ticket_message(Settings(mail_to="desk@example.com"), ticket)
    assert message["To"] == "desk@example.com"
    assert message["Subject"] == "New erasure request PR-7KQ2-M9XD"
    body = message.get_content()
    assert "PR-7KQ2-M9XD" in body and "Jane Doe" not in body and "secret" not in body


def test_every_api_route_is_documented() -> None:
    app = create_app(Settings())
    documented = {
        (method.upper(), "api/v1" + re.sub(r"\{(\w+)\}", r"<\1:str>", path))
        for path, operations in yaml.safe_load(OPENAPI_PATH.read_text())["paths"].items()
        for method in operations
        if method != "parameters"
    }
    routes = {
        (method, route.path)
        for route in app.router.routes
        for method in route.methods
        if route.path.startswith("api/v1")
    }
    assert routes == documented
