"""The privacy request form and the status form: validation, confirmation and questions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import messages
from actions.forms import (
    ActionAskConfirmation,
    ActionAskEmail,
    ActionAskRequesterName,
    ActionAskService,
    ActionAskStatusReference,
    ValidatePrivacyRequestForm,
    ValidateRequestStatusForm,
)
from actions.slots import NO_SERVICE

ROOT = Path(__file__).resolve().parents[3]
FILLED = {
    "request_type": "erasure",
    "requester_name": "Jane Doe",
    "email": "jane@example.com",
    "service": "CASIO Music Site",
    "details": "Please delete my account.",
}


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    return Domain.load(str(ROOT / "domain.yml")).as_dict()


def form_tracker(
    form: str,
    requested_slot: str,
    just_set: dict[str, Any],
    slots: dict[str, Any] | None = None,
    intent: str = "inform",
    text: str = "",
    user_timestamp: float = 1764064800.25,
) -> Tracker:
    """A tracker inside `form`, right after the customer answered `requested_slot`."""
    all_slots = {"requested_slot": requested_slot, **(slots or {}), **just_set}
    events: list[dict[str, Any]] = [
        {"event": "active_loop", "name": form, "timestamp": user_timestamp - 10},
        {"event": "slot", "name": "requested_slot", "value": requested_slot},
        {
            "event": "user",
            "text": text,
            "timestamp": user_timestamp,
            "parse_data": {"intent": {"name": intent, "confidence": 1.0}, "entities": []},
        },
    ]
    events += [{"event": "slot", "name": name, "value": value} for name, value in just_set.items()]
    return Tracker.from_dict(
        {
            "sender_id": "conversation-1",
            "slots": all_slots,
            "latest_message": {"text": text, "intent": {"name": intent}, "entities": []},
            "events": events,
            "active_loop": {"name": form},
            "latest_action_name": "action_listen",
        }
    )


def slot_values(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


async def validate_request_form(
    requested_slot: str, just_set: dict[str, Any], domain: dict[str, Any], **kwargs: Any
) -> tuple[dict[str, Any], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    tracker = form_tracker("privacy_request_form", requested_slot, just_set, **kwargs)
    events = await ValidatePrivacyRequestForm().run(dispatcher, tracker, domain)
    return slot_values(events), dispatcher


async def test_a_good_email_is_kept_lower_cased(domain: dict[str, Any]) -> None:
    slots, dispatcher = await validate_request_form(
        "email", {"email": "Jane@Example.com"}, domain, slots={"requester_name": "Jane Doe"}
    )
    assert slots["email"] == "jane@example.com"
    assert dispatcher.messages == []


async def test_a_bad_email_gets_a_friendly_sentence_and_is_asked_again(
    domain: dict[str, Any],
) -> None:
    slots, dispatcher = await validate_request_form(
        "email", {"email": "jane at example dot com"}, domain
    )
    assert slots["email"] is None
    assert [message["text"] for message in dispatcher.messages] == [messages.INVALID_EMAIL]


async def test_an_email_found_by_two_extractors_is_accepted(domain: dict[str, Any]) -> None:
    slots, _ = await validate_request_form(
        "email", {"email": ["x@y.com", "x@y.com"]}, domain, slots={"requester_name": "Jane Doe"}
    )
    assert slots["email"] == "x@y.com"


async def test_a_name_that_is_an_email_is_refused_politely(domain: dict[str, Any]) -> None:
    slots, dispatcher = await validate_request_form(
        "requester_name", {"requester_name": "jane@example.com"}, domain
    )
    assert slots["requester_name"] is None
    assert dispatcher.messages[0]["text"] == messages.INVALID_REQUESTER_NAME


@pytest.mark.parametrize("answer", ["skip", "None", "n/a", NO_SERVICE])
async def test_the_service_is_optional(answer: str, domain: dict[str, Any]) -> None:
    slots, dispatcher = await validate_request_form("service", {"service": answer}, domain)
    assert slots["service"] == NO_SERVICE
    assert dispatcher.messages == []


async def test_too_short_details_are_asked_again(domain: dict[str, Any]) -> None:
    slots, dispatcher = await validate_request_form("details", {"details": "hm"}, domain)
    assert slots["details"] is None
    assert dispatcher.messages[0]["text"] == messages.INVALID_DETAILS


async def test_confirming_marks_the_submission_with_the_confirming_message(
    domain: dict[str, Any],
) -> None:
    slots, _ = await validate_request_form(
        "confirmation",
        {"confirmation": "confirmed"},
        domain,
        slots=FILLED,
        intent="affirm",
        user_timestamp=1764064899.5,
    )
    assert slots["confirmation"] == "confirmed"
    assert slots["submission_marker"] == "1764064899.5"


async def test_change_something_keeps_every_field_and_asks_again(domain: dict[str, Any]) -> None:
    slots, _ = await validate_request_form(
        "confirmation", {"confirmation": "change"}, domain, slots=FILLED, intent="deny"
    )
    assert slots == {"confirmation": None}


@pytest.mark.parametrize("field", ["requester_name", "email", "service", "details"])
async def test_picking_a_field_clears_it_so_the_form_asks_for_it_again(
    field: str, domain: dict[str, Any]
) -> None:
    slots, _ = await validate_request_form(
        "confirmation", {"confirmation": field}, domain, slots=FILLED
    )
    assert slots == {"confirmation": None, field: None}


async def test_a_corrected_email_at_the_confirmation_step_replaces_the_old_one(
    domain: dict[str, Any],
) -> None:
    slots, _ = await validate_request_form(
        "confirmation",
        {"email": "new@example.org"},
        domain,
        slots=FILLED,
        text="my email is actually new@example.org",
    )
    assert slots == {"email": "new@example.org"}


async def test_status_form_normalizes_the_reference(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    tracker = form_tracker(
        "request_status_form", "status_reference", {"status_reference": "it's pr-7kq2-m9xd"}
    )
    events = await ValidateRequestStatusForm().run(dispatcher, tracker, domain)
    assert slot_values(events)["status_reference"] == "PR-7KQ2-M9XD"


async def test_status_form_refuses_something_that_is_not_a_reference(
    domain: dict[str, Any],
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = form_tracker(
        "request_status_form", "status_reference", {"status_reference": "my order 12345"}
    )
    events = await ValidateRequestStatusForm().run(dispatcher, tracker, domain)
    assert slot_values(events)["status_reference"] is None
    assert dispatcher.messages[0]["text"] == messages.INVALID_REFERENCE


async def test_status_form_refuses_a_bad_email(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    tracker = form_tracker("request_status_form", "status_email", {"status_email": "jane"})
    events = await ValidateRequestStatusForm().run(dispatcher, tracker, domain)
    assert slot_values(events)["status_email"] is None
    assert dispatcher.messages[0]["text"] == messages.INVALID_EMAIL


async def test_the_summary_shows_everything_with_three_buttons(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    tracker = form_tracker("privacy_request_form", "details", {}, slots=FILLED)
    assert await ActionAskConfirmation().run(dispatcher, tracker, domain) == []
    [message] = dispatcher.messages
    for value in ["Erasure of your personal data", "Jane Doe", "jane@example.com"]:
        assert value in message["text"]
    assert "CASIO Music Site" in message["text"]
    assert "Please delete my account." in message["text"]
    assert [button["payload"] for button in message["buttons"]] == ["/affirm", "/deny", "/stop"]
    assert [button["title"] for button in message["buttons"]] == [
        "Confirm",
        "Change something",
        "Cancel",
    ]


async def test_after_change_something_the_question_is_which_field(
    domain: dict[str, Any],
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = form_tracker("privacy_request_form", "confirmation", {}, slots=FILLED, intent="deny")
    await ActionAskConfirmation().run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert message["text"] == messages.ASK_WHAT_TO_CHANGE
    assert '/inform{"form_field":"email"}' in [button["payload"] for button in message["buttons"]]


@pytest.mark.parametrize(
    ("action", "name", "text"),
    [
        (ActionAskRequesterName(), "action_ask_requester_name", messages.ASK_REQUESTER_NAME),
        (ActionAskEmail(), "action_ask_email", messages.ASK_EMAIL),
        (ActionAskService(), "action_ask_service", messages.ASK_SERVICE),
        (ActionAskStatusReference(), "action_ask_status_reference", messages.ASK_STATUS_REFERENCE),
    ],
)
async def test_each_question_asks_for_its_slot(
    action: Any, name: str, text: str, domain: dict[str, Any]
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = form_tracker("privacy_request_form", "requester_name", {})
    assert action.name() == name
    assert name in domain["actions"]
    await action.run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["text"] == text


async def test_the_service_question_offers_a_skip_button(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    await ActionAskService().run(dispatcher, form_tracker("privacy_request_form", "x", {}), domain)
    assert dispatcher.messages[0]["buttons"] == [{"title": "Skip", "payload": "/deny"}]


@pytest.mark.parametrize(
    ("intent", "text", "extracted"),
    [
        ("faq", "Max Mailer", {"requester_name": "Max Mailer"}),
        ("faq", "what do you do with cookies?", {}),
        ("faq", "Stop using my purchase history for marketing and everything else", {}),
        ("inform", "Max Mailer", {}),  # the slot mapping already takes it
    ],
)
async def test_a_bare_name_mistaken_for_a_policy_question_is_still_the_name(
    domain: dict[str, Any], intent: str, text: str, extracted: dict[str, Any]
) -> None:
    tracker = form_tracker("privacy_request_form", "requester_name", {}, intent=intent, text=text)

    result = await ValidatePrivacyRequestForm().extract_requester_name(
        CollectingDispatcher(), tracker, domain
    )

    assert result == extracted


async def test_names_are_only_taken_from_faq_messages_when_the_name_was_asked_for(
    domain: dict[str, Any],
) -> None:
    tracker = form_tracker("privacy_request_form", "email", {}, intent="faq", text="Max Mailer")

    result = await ValidatePrivacyRequestForm().extract_requester_name(
        CollectingDispatcher(), tracker, domain
    )

    assert result == {}
