"""The privacy request form and the status form: validation, confirmation and questions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import (
    ActionAnswerInForm,
    ActionAskConfirmation,
    ActionSwitchRequestType,
    ActionUnsureInForm,
    ValidatePrivacyRequestForm,
    ValidateRequestStatusForm,
    request_type_for_intent,
)
from actions.slots import NO_SERVICE
from tests.support.responses import rendered, rendered_texts, response, response_text

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
    asked_at: float | None = None,
) -> Tracker:
    """A tracker inside `form`, right after the customer answered `requested_slot` (which the
    bot asked at `asked_at`, if given)."""
    all_slots = {"requested_slot": requested_slot, **(slots or {}), **just_set}
    events: list[dict[str, Any]] = [
        {"event": "active_loop", "name": form, "timestamp": user_timestamp - 10},
        {"event": "slot", "name": "requested_slot", "value": requested_slot},
    ]
    if asked_at is not None:
        events.append({"event": "bot", "text": "Here is what I'll send.", "timestamp": asked_at})
    events += [
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


def inside_a_request(request_type: str, intent: str, text: str) -> Tracker:
    """A tracker inside a `request_type` request, the form asking for the email, right after the
    customer said `text`, which NLU read as `intent`."""
    return form_tracker(
        "privacy_request_form",
        "email",
        {},
        slots={"request_type": request_type},
        intent=intent,
        text=text,
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
    assert rendered_texts(dispatcher.messages) == [response_text("utter_invalid_email")]


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
    assert rendered_texts(dispatcher.messages)[0] == response_text("utter_invalid_requester_name")


@pytest.mark.parametrize("answer", ["skip", "None", "n/a", NO_SERVICE])
async def test_the_service_is_optional(answer: str, domain: dict[str, Any]) -> None:
    slots, dispatcher = await validate_request_form("service", {"service": answer}, domain)
    assert slots["service"] == NO_SERVICE
    assert dispatcher.messages == []


async def test_too_short_details_are_asked_again(domain: dict[str, Any]) -> None:
    slots, dispatcher = await validate_request_form("details", {"details": "hm"}, domain)
    assert slots["details"] is None
    assert rendered_texts(dispatcher.messages)[0] == response_text("utter_invalid_details")


async def confirm(
    domain: dict[str, Any], confirmed_at: float, summary_at: float | None = None
) -> dict[str, Any]:
    """The slots after the customer presses Confirm at `confirmed_at` under a summary sent at
    `summary_at` (none in the events when None)."""
    slots, _ = await validate_request_form(
        "confirmation",
        {"confirmation": "confirmed"},
        domain,
        slots=FILLED,
        intent="affirm",
        user_timestamp=confirmed_at,
        asked_at=summary_at,
    )
    return slots


async def test_without_a_summary_in_the_events_the_confirming_message_marks_it(
    domain: dict[str, Any],
) -> None:
    slots = await confirm(domain, confirmed_at=1764064899.5)
    assert slots["confirmation"] == "confirmed"
    assert slots["submission_marker"] == "1764064899.5"


async def test_confirming_marks_the_submission_with_the_summary_it_confirms(
    domain: dict[str, Any],
) -> None:
    slots = await confirm(domain, confirmed_at=1764064899.5, summary_at=1764064890.125)
    assert slots["submission_marker"] == "1764064890.125"


async def test_a_confirm_sent_again_after_a_lost_turn_files_the_same_submission(
    domain: dict[str, Any],
) -> None:
    """A Rasa worker killed after the ticket was stored, before the conversation was saved: the
    customer presses Confirm again under the same summary (scripts/bench_faults.py). The marker,
    hence the Idempotency-Key, must not change, or the help desk stores a second ticket."""
    first = await confirm(domain, confirmed_at=1764064899.5, summary_at=1764064890.125)
    again = await confirm(domain, confirmed_at=1764064931.75, summary_at=1764064890.125)
    assert first["submission_marker"] == again["submission_marker"]


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
    assert rendered_texts(dispatcher.messages)[0] == response_text("utter_invalid_reference")


async def test_status_form_refuses_a_bad_email(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    tracker = form_tracker("request_status_form", "status_email", {"status_email": "jane"})
    events = await ValidateRequestStatusForm().run(dispatcher, tracker, domain)
    assert slot_values(events)["status_email"] is None
    assert rendered_texts(dispatcher.messages)[0] == response_text("utter_invalid_email")


async def test_the_summary_shows_everything_with_three_buttons(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    tracker = form_tracker("privacy_request_form", "details", {}, slots=FILLED)
    assert await ActionAskConfirmation().run(dispatcher, tracker, domain) == []
    [message] = rendered(dispatcher.messages)
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
    [message] = rendered(dispatcher.messages)
    assert message["text"] == response_text("utter_ask_what_to_change")
    assert '/inform{"form_field":"email"}' in [button["payload"] for button in message["buttons"]]


@pytest.mark.parametrize("form", ["privacy_request_form", "request_status_form"])
def test_the_domain_asks_for_every_slot_of_each_form(form: str, domain: dict[str, Any]) -> None:
    for slot in domain["forms"][form]["required_slots"]:
        assert (
            f"utter_ask_{slot}" in domain["responses"] or f"action_ask_{slot}" in domain["actions"]
        )


def test_the_service_question_offers_a_skip_button() -> None:
    assert response("utter_ask_service")["buttons"] == [{"title": "Skip", "payload": "/deny"}]


@pytest.mark.parametrize(
    ("intent", "text", "extracted"),
    [
        ("faq", "Max Mailer", {"requester_name": "Max Mailer"}),
        ("greet", "Erin Example", {"requester_name": "Erin Example"}),
        ("inform", "my name is Jane Doe", {"requester_name": "Jane Doe"}),
        ("faq", "what do you do with cookies?", {}),
        ("faq", "Stop using my purchase history for marketing and everything else", {}),
        ("bot_challenge", "are you a bot?", {}),
        ("out_of_scope", "what's the weather tomorrow", {}),
        ("request_correction", "actually I just want to correct my address", {}),
        ("request_human", "can I talk to a real person", {}),
        ("stop", "Stop", {}),
    ],
)
async def test_a_reply_that_is_plainly_a_name_is_the_name_whatever_nlu_read(
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


@pytest.mark.parametrize(
    ("request_type", "intent", "text", "extracted"),
    [
        ("stop_use", "stop", "stop sending me emails", {"details": "stop sending me emails"}),
        ("erasure", "stop", "cancel", {}),
        ("erasure", "stop", "never mind", {}),
        ("inquiry", "faq", "do you share my data?", {"details": "do you share my data?"}),
        ("complaint", "faq", "why was my data shared?", {"details": "why was my data shared?"}),
        ("erasure", "faq", "do you use cookies?", {}),  # answered, then asked again
        ("erasure", "inform", "all of it", {}),  # the slot mapping takes it
    ],
)
async def test_details_are_any_text_except_an_explicit_cancel(
    domain: dict[str, Any], request_type: str, intent: str, text: str, extracted: dict[str, Any]
) -> None:
    tracker = form_tracker(
        "privacy_request_form",
        "details",
        {},
        slots={"request_type": request_type},
        intent=intent,
        text=text,
    )

    result = await ValidatePrivacyRequestForm().extract_details(
        CollectingDispatcher(), tracker, domain
    )

    assert result == extracted


async def test_details_are_only_taken_when_they_were_asked_for(domain: dict[str, Any]) -> None:
    tracker = form_tracker(
        "privacy_request_form", "email", {}, intent="stop", text="stop sending me emails"
    )
    result = await ValidatePrivacyRequestForm().extract_details(
        CollectingDispatcher(), tracker, domain
    )
    assert result == {}


async def test_another_request_type_inside_the_form_switches_the_type(
    domain: dict[str, Any],
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = inside_a_request(
        "erasure", "request_correction", "actually I just want to correct my address"
    )

    events = await ActionSwitchRequestType().run(dispatcher, tracker, domain)

    assert events == [SlotSet("request_type", "correction")]
    assert rendered_texts(dispatcher.messages) == [
        response_text("utter_request_type_switched", label="correction")
    ]


async def test_the_same_request_type_inside_the_form_changes_nothing(
    domain: dict[str, Any],
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = form_tracker(
        "privacy_request_form",
        "email",
        {},
        slots={"request_type": "erasure"},
        intent="request_erasure",
        text="I want my data deleted",
    )

    assert await ActionSwitchRequestType().run(dispatcher, tracker, domain) == []
    assert "erasure request" in rendered_texts(dispatcher.messages)[0]


def unsure_in_form(reason: str, ranking: list[tuple[str, float]]) -> Tracker:
    """Inside a correction request, a message the NLU gate made unsure for `reason`, as the gate
    leaves it (for "can I ...?", the request it read)."""
    tracker = inside_a_request(
        "correction", "nlu_fallback", "can I make it a deletion request instead?"
    )
    tracker.latest_message["unsure_reason"] = reason
    if reason == "whether_possible":
        tracker.latest_message["request_read"] = ranking[0][0]
    tracker.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": ranking[0][1]},
        *({"name": name, "confidence": confidence} for name, confidence in ranking),
    ]
    return tracker


async def test_a_request_asked_as_can_i_inside_the_form_changes_the_type(
    domain: dict[str, Any],
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = unsure_in_form("whether_possible", [("request_erasure", 0.9), ("faq", 0.08)])

    events = await ActionUnsureInForm().run(dispatcher, tracker, domain)

    assert events == [SlotSet("request_type", "erasure")]
    assert rendered_texts(dispatcher.messages) == [
        response_text("utter_request_type_switched", label="erasure")
    ]


@pytest.mark.parametrize(
    ("reason", "ranking"),
    [
        ("request_or_question", [("request_erasure", 0.5), ("faq", 0.4)]),
        ("answer_confidence", [("faq", 0.6), ("request_erasure", 0.3)]),
        ("whether_possible", [("faq", 0.9)]),
    ],
)
async def test_anything_else_unsure_inside_the_form_is_not_understood(
    domain: dict[str, Any], reason: str, ranking: list[tuple[str, float]]
) -> None:
    dispatcher = CollectingDispatcher()

    events = await ActionUnsureInForm().run(dispatcher, unsure_in_form(reason, ranking), domain)

    assert events == []
    assert rendered_texts(dispatcher.messages) == [response_text("utter_not_understood_in_form")]


def question_in_form(request_read: str | None) -> Tracker:
    """Inside a correction request, a message NLU answered with the rights answer; if
    `request_read`, the gate answered it instead of that request ("can I make it ...?")."""
    tracker = inside_a_request("correction", "faq", "could I make it an erasure request?")
    answer = {"intent_response_key": "faq/individual_rights"}
    answer["utter_action"] = "utter_faq/individual_rights"
    tracker.latest_message["response_selector"] = {"faq": {"response": answer}}
    if request_read:
        tracker.latest_message["request_read"] = request_read
    return tracker


async def test_a_request_answered_as_a_question_inside_the_form_changes_the_type(
    domain: dict[str, Any],
) -> None:
    dispatcher = CollectingDispatcher()

    events = await ActionAnswerInForm().run(dispatcher, question_in_form("request_erasure"), domain)

    assert events == [SlotSet("request_type", "erasure")]
    assert rendered_texts(dispatcher.messages) == [
        response_text("utter_request_type_switched", label="erasure")
    ]


async def test_a_policy_question_inside_the_form_gets_its_answer(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()

    events = await ActionAnswerInForm().run(dispatcher, question_in_form(None), domain)

    assert events == []
    assert rendered_texts(dispatcher.messages) == [response_text("utter_faq/individual_rights")]


def test_request_types_come_from_the_domain_slot_mappings(domain: dict[str, Any]) -> None:
    assert request_type_for_intent(domain, "request_stop_use") == "stop_use"
    assert request_type_for_intent(domain, "request_human") == "inquiry"
    assert request_type_for_intent(domain, "greet") is None
