"""What the tracker store encrypts in an event, and that opening gives back exactly the event."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.settings_env import SettingsError
from bot.stores.sealing import (
    DEVELOPMENT_KEY,
    KEY_VARIABLE,
    PREFIX,
    EventSealer,
    UnreadableEvent,
)
from tests.support.readable import readable

KEY = "k" * 43
EMAIL = "jane.doe@example.com"


def _user(text: str) -> dict[str, Any]:
    return {
        "event": "user",
        "timestamp": 1.0,
        "text": text,
        "parse_data": {
            "text": text,
            "intent": {"name": "inform", "confidence": 0.9},
            "entities": [{"entity": "email", "start": 0, "end": len(text), "value": text}],
        },
    }


EVENTS: list[dict[str, Any]] = [
    _user(EMAIL),
    {"event": "slot", "timestamp": 2.0, "name": "email", "value": EMAIL},
    {"event": "slot", "timestamp": 2.0, "name": "requester_name", "value": "Jane Doe"},
    {"event": "slot", "timestamp": 2.0, "name": "requested_slot", "value": "service"},
    {
        "event": "bot",
        "timestamp": 3.0,
        "text": f"Name: Jane Doe, email: {EMAIL}",
        "data": {"buttons": [{"title": "Confirm", "payload": "/affirm"}]},
        "metadata": {"utter_action": "utter_summary", "email": EMAIL, "model_id": "m1"},
    },
    {"event": "active_loop", "timestamp": 3.0, "name": "privacy_request_form"},
    {"event": "entities", "timestamp": 3.0, "entities": [{"entity": "email", "value": EMAIL}]},
    {"event": "slot", "timestamp": 4.0, "name": "email", "value": None},
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda event: event["event"])
def test_opening_a_sealed_event_gives_back_the_same_event(event: dict[str, Any]) -> None:
    sealer = EventSealer([KEY])
    assert sealer.open(sealer.seal(event)) == event


def test_a_sealed_event_holds_no_name_email_or_message_in_clear() -> None:
    sealer = EventSealer([KEY])
    stored = json.dumps([sealer.seal(event) for event in EVENTS])
    assert EMAIL not in readable(stored) and "Jane" not in readable(stored)
    assert PREFIX in stored


def test_what_the_purge_and_the_miner_read_stays_in_clear() -> None:
    sealer = EventSealer([KEY])
    sealed = [sealer.seal(event) for event in EVENTS]
    assert sealed[0]["parse_data"]["intent"] == {"name": "inform", "confidence": 0.9}
    assert sealed[3]["value"] == "service"  # requested_slot is not personal
    assert sealed[5] == EVENTS[5]  # the running form
    assert sealed[7]["value"] is None  # a reset slot
    assert sealed[4]["metadata"]["utter_action"] == "utter_summary"
    assert sealed[4]["metadata"]["model_id"] == "m1"
    assert [event["timestamp"] for event in sealed] == [event["timestamp"] for event in EVENTS]


def test_an_event_stored_before_encryption_still_opens() -> None:
    assert EventSealer([KEY]).open(EVENTS[1]) == EVENTS[1]


def test_sealing_twice_does_not_seal_the_sealed_value_again() -> None:
    sealer = EventSealer([KEY])
    once = sealer.seal(EVENTS[1])
    assert sealer.seal(once) == once


def test_a_rotated_key_still_opens_what_the_old_key_sealed() -> None:
    old = EventSealer(["o" * 43]).seal(EVENTS[1])
    assert EventSealer(["n" * 43, "o" * 43]).open(old) == EVENTS[1]


def test_a_wrong_key_is_an_error_naming_the_variable_not_garbage() -> None:
    sealed = EventSealer(["o" * 43]).seal(EVENTS[1])
    with pytest.raises(UnreadableEvent, match=KEY_VARIABLE):
        EventSealer(["x" * 43]).open(sealed)


def test_development_has_a_default_key_and_production_has_none() -> None:
    assert EventSealer.from_env({"HELPDESK_ENV": "development"})
    with pytest.raises(SettingsError, match=KEY_VARIABLE):
        EventSealer.from_env({})
    with pytest.raises(SettingsError, match="public development value"):
        EventSealer.from_env({KEY_VARIABLE: DEVELOPMENT_KEY})
    with pytest.raises(SettingsError, match="too short"):
        EventSealer.from_env({KEY_VARIABLE: f"{KEY},short"})
    assert EventSealer.from_env({KEY_VARIABLE: f"{KEY},{'o' * 43}"})
