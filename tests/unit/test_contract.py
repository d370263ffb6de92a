"""The bot/help desk contract: one module, used by both sides, importing nothing heavy."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from actions import slots, tickets, validators
from actions.helpdesk import TicketRequest
from bot import contract
from bot.helpdesk import models, validation

ROOT = Path(__file__).resolve().parents[2]


def test_the_contract_imports_only_the_standard_library() -> None:
    tree = ast.parse((ROOT / "bot" / "contract.py").read_text(encoding="utf-8"))
    imported = {
        (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert {name.split(".")[0] for name in imported} <= set(sys.stdlib_module_names)


def test_the_action_server_never_loads_the_database_or_the_help_desk() -> None:
    code = (
        "import json, sys, actions.forms, actions.tickets, actions.fallback;"
        "print(json.dumps(sorted(sys.modules)))"
    )
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout
    )
    assert "bot.contract" in loaded
    forbidden = ("sqlalchemy", "asyncpg", "aiosqlite", "psycopg2", "bot.helpdesk", "bot.site")
    assert not [name for name in loaded if name.startswith(forbidden)]


def test_both_sides_use_the_contracts_request_types_and_labels() -> None:
    assert models.TicketType is contract.RequestType
    assert set(slots.REQUEST_TYPE_LABELS) == {t.value for t in contract.RequestType}
    assert set(slots.REQUEST_TYPE_DESCRIPTIONS) == {t.value for t in contract.RequestType}
    assert set(models.TYPE_LABELS) == set(contract.RequestType)
    assert set(contract.STATUS_LABELS) == set(contract.Status)
    assert set(tickets.CLOSED_STATUSES) == {s.value for s in contract.Status} - {
        s.value for s in models.OPEN_STATUSES
    }


def test_the_bots_limits_are_the_help_desks_limits() -> None:
    limits = contract.MAX_FIELD_LENGTHS
    assert validators.MAX_NAME_LENGTH == limits["requester_name"]
    assert validators.MAX_EMAIL_LENGTH == limits["email"]
    assert validators.MAX_SERVICE_LENGTH == limits["service"]
    assert validators.MAX_DETAILS_LENGTH == limits["details"]


def test_a_ticket_the_bot_can_build_is_one_the_help_desk_accepts() -> None:
    long_text = "x" * (contract.MAX_EXCERPT_TEXT + 500)
    events = [{"event": "user", "text": long_text, "timestamp": 1_700_000_000}]
    excerpt = tickets.conversation_excerpt(events)
    request = TicketRequest(
        type=contract.RequestType.ERASURE.value,
        requester_name="n" * validators.MAX_NAME_LENGTH,
        email=str(validators.normalize_email("Jane.Doe@Example.com")),
        details="d" * validators.MAX_DETAILS_LENGTH,
        service="s" * validators.MAX_SERVICE_LENGTH,
        conversation_excerpt=excerpt,
    )

    new = validation.parse_new_ticket(request.as_json())

    assert len(new.conversation_excerpt[0].text) == contract.MAX_EXCERPT_TEXT
    assert new.origin is contract.Origin.CHAT


@pytest.mark.parametrize(
    ("address", "valid"),
    [
        ("jane@example.com", True),
        ("taro+casio@mail.example.jp", True),
        ("o'brien@example.ie", True),
        ("jane@example", False),
        ("jane..doe@example.com", False),
        (".jane@example.com", False),
        ("x" * 65 + "@example.com", False),
        ("jane@example.com and more", False),
    ],
)
def test_one_email_rule(address: str, valid: bool) -> None:
    assert contract.is_email(address) is valid
    if valid:  # what the bot accepts from a customer, the help desk accepts from the bot
        assert validators.normalize_email(address) == address.lower()


@pytest.mark.parametrize(
    ("text", "in_a_message", "on_its_own"),
    [
        ("PR-7KQ2-M9XD", "PR-7KQ2-M9XD", "PR-7KQ2-M9XD"),
        ("pr 7kq2 m9xd", "PR-7KQ2-M9XD", "PR-7KQ2-M9XD"),
        ("my reference is PR7KQ2M9XD", "PR-7KQ2-M9XD", None),
        ("7KQ2M9XD", None, "PR-7KQ2-M9XD"),
        ("PR-7KQ2-M9XD9", None, None),
    ],
)
def test_one_reference_format(text: str, in_a_message: str | None, on_its_own: str | None) -> None:
    assert contract.normalize_reference(text) == in_a_message
    assert validators.normalize_reference(text) == in_a_message
    assert contract.parse_reference(text) == on_its_own
    for reference in filter(None, (in_a_message, on_its_own)):
        assert contract.REFERENCE_PATTERN.match(reference)
