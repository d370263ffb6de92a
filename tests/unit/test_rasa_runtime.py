"""`python -m bot.rasa_runtime`: Rasa's action response check, with the validator built once."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction

from bot import rasa_runtime

VALID: list[dict[str, Any]] = [
    {"events": [], "responses": []},
    {
        "events": [
            {"event": "slot", "name": "email", "value": "a@example.com"},
            {"event": "active_loop", "name": None},
        ],
        "responses": [{"response": "utter_ask_email", "buttons": []}],
    },
]
INVALID: list[dict[str, Any]] = [
    {"events": [{"event": "slot", "value": "no name"}]},
    {"events": "not a list"},
    {"events": [{"event": "no_such_event"}]},
]


@pytest.fixture(autouse=True)
def installed() -> None:
    rasa_runtime.install()


@pytest.mark.parametrize("result", VALID)
def test_valid_answers_pass_as_with_jsonschema_validate(result: dict[str, Any]) -> None:
    validate(result, RemoteAction.action_response_format_spec())  # Rasa's own check agrees
    assert RemoteAction(name="x", action_endpoint=None)._validate_action_result(result)


@pytest.mark.parametrize("result", INVALID)
def test_invalid_answers_fail_with_rasas_message(result: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        validate(result, RemoteAction.action_response_format_spec())
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        RemoteAction(name="x", action_endpoint=None)._validate_action_result(result)


def test_the_schema_is_checked_once_not_per_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    validator = rasa_runtime.action_response_validator()
    checks: list[object] = []
    monkeypatch.setattr(type(validator), "check_schema", lambda *a, **k: checks.append(a))
    for result in VALID * 3:
        RemoteAction(name="x", action_endpoint=None)._validate_action_result(result)
    assert checks == [] and rasa_runtime.action_response_validator() is validator


def test_install_is_idempotent() -> None:
    rasa_runtime.install()
    assert RemoteAction._validate_action_result is rasa_runtime._validate_action_result
