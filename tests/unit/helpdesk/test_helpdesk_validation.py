from __future__ import annotations

from typing import Any

import pytest

from bot.helpdesk.models import Origin, Status, TicketType
from bot.helpdesk.validation import (
    ValidationFailed,
    clean_assignee,
    parse_filters,
    parse_idempotency_key,
    parse_new_ticket,
    parse_status,
)

VALID = {"type": "correction", "requester_name": " Jane ", "email": "jane@example.com",
         "details": "My address\nchanged."}  # fmt: skip


def _fields(payload: Any) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as failed:
        parse_new_ticket(payload)
    return failed.value.fields


def test_a_valid_ticket_is_parsed_and_trimmed() -> None:
    new = parse_new_ticket(VALID)
    assert new.type is TicketType.CORRECTION and new.origin is Origin.CHAT
    assert new.requester_name == "Jane" and new.details == "My address\nchanged."
    assert new.phone is None and new.conversation_excerpt == ()


@pytest.mark.parametrize(
    "email",
    ["", "jane", "jane@", "@example.com", "jane@example", "ja ne@example.com", "a@b@c.com"],
)
def test_invalid_emails_are_named(email: str) -> None:
    assert "email" in _fields({**VALID, "email": email})


@pytest.mark.parametrize("payload", [[], "text", 3, None])
def test_a_body_that_is_not_an_object_is_refused(payload: Any) -> None:
    assert _fields(payload) == {"body": "must be a JSON object"}


def test_control_characters_are_refused_in_one_line_fields() -> None:
    assert "requester_name" in _fields({**VALID, "requester_name": "Jane\x00"})


def test_excerpts_are_bounded() -> None:
    many = [{"sender": "bot", "text": "hi"}] * 51
    assert "conversation_excerpt" in _fields({**VALID, "conversation_excerpt": many})
    long = [{"sender": "bot", "text": "x" * 2001}]
    assert "conversation_excerpt[0].text" in _fields({**VALID, "conversation_excerpt": long})


@pytest.mark.parametrize("key", [None, "", "has space", "x" * 201, "naïve"])
def test_bad_idempotency_keys(key: str | None) -> None:
    with pytest.raises(ValidationFailed) as failed:
        parse_idempotency_key(key)
    assert "Idempotency-Key" in failed.value.fields


def test_status_and_filters() -> None:
    assert parse_status({"status": "in_progress"}) is Status.IN_PROGRESS
    with pytest.raises(ValidationFailed):
        parse_status({"status": "finished"})
    assert parse_filters({"status": "", "type": "erasure", "overdue": "true"}) == (
        None, TicketType.ERASURE, True,
    )  # fmt: skip
    with pytest.raises(ValidationFailed) as failed:
        parse_filters({"overdue": "maybe"})
    assert "overdue" in failed.value.fields


def test_assignee_is_trimmed_and_blank_means_unassigned() -> None:
    assert clean_assignee("  bob ") == "bob"
    assert clean_assignee("   ") is None
    with pytest.raises(ValidationFailed):
        clean_assignee("x" * 101)
