"""Validation of the privacy request form and the status form, and the confirmation question.

Every sentence the customer sees is a response in domain.yml: the forms ask with
`utter_ask_<slot>`, and these actions send `utter_invalid_<slot>` and friends by name.
"""

from __future__ import annotations

import uuid
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.fallback import REQUEST_READ, faq_selection
from actions.slots import (
    NO_SERVICE,
    REQUEST_TYPE_DESCRIPTIONS,
    request_type_label,
)
from actions.slots import as_text as _as_text
from actions.validators import (
    is_explicit_cancel,
    is_skip_answer,
    name_answer,
    normalize_details,
    normalize_email,
    normalize_name,
    normalize_reference,
    normalize_service,
)

CONFIRMED = "confirmed"
CHANGE = "change"
EDITABLE_SLOTS = ("requester_name", "email", "service", "details")
# Whose details are themselves a question or a complaint: a policy question typed as the details
# of an inquiry is the inquiry, not a digression.
QUESTION_REQUESTS = ("inquiry", "complaint")


def request_type_for_intent(domain: DomainDict, intent: str | None) -> str | None:
    """The request type an intent starts, read from the `request_type` slot's mappings."""
    for mapping in ((domain.get("slots") or {}).get("request_type") or {}).get("mappings") or []:
        if mapping.get("type") == "from_intent" and mapping.get("intent") == intent:
            return str(mapping.get("value"))
    return None


def _latest_intent(tracker: Tracker) -> str | None:
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    return None if intent is None else str(intent)


def _first_valid_email(value: Any) -> str | None:
    candidates = value if isinstance(value, list) else [value]
    for candidate in candidates:
        email = normalize_email(None if candidate is None else str(candidate))
        if email:
            return email
    return None


def latest_user_timestamp(tracker: Tracker) -> float | None:
    for event in reversed(tracker.events):
        if event.get("event") == "user" and isinstance(event.get("timestamp"), (int, float)):
            return float(event["timestamp"])
    return None


def summary_timestamp(tracker: Tracker) -> float | None:
    """When the bot last spoke before the customer's latest message: the summary confirmed.

    A Confirm sent again because its first turn was lost (a Rasa worker killed after the ticket
    was stored, before the conversation was saved) follows the same summary, so it gets the same
    marker, and so the same Idempotency-Key and the same ticket, not a second one.
    """
    seen_user = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            seen_user = True
        elif kind == "bot" and seen_user and isinstance(event.get("timestamp"), (int, float)):
            return float(event["timestamp"])
    return None


class ValidatePrivacyRequestForm(FormValidationAction):
    def name(self) -> str:
        return "validate_privacy_request_form"

    async def extract_requester_name(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Keep a reply that is plainly a name, whatever NLU read it as ("Max Mailer" as faq).

        The slot mapping ignores questions and digressions (faq, bot_challenge, out_of_scope,
        request_human, other requests), so they are answered and the name asked again; a bare
        name, asked for and given, is still the customer's answer.
        """
        if tracker.get_slot("requested_slot") != "requester_name":
            return {}
        if _latest_intent(tracker) == "stop":
            return {}
        name = name_answer(tracker.latest_message.get("text"))
        return {"requester_name": name} if name else {}

    async def extract_details(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Details are any text but an explicit cancel, and a question is an inquiry's details.

        "stop sending me emails" may be read as `stop`; only "cancel", "never mind" and the
        like stop the form. A policy question is answered at the details step of other requests.
        """
        if tracker.get_slot("requested_slot") != "details":
            return {}
        text = tracker.latest_message.get("text")
        intent = _latest_intent(tracker)
        if intent == "stop" and not is_explicit_cancel(text):
            return {"details": text}
        if intent == "faq" and tracker.get_slot("request_type") in QUESTION_REQUESTS:
            return {"details": text}
        return {}

    def validate_requester_name(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        name = normalize_name(_as_text(slot_value))
        if name is None:
            dispatcher.utter_message(response="utter_invalid_requester_name")
        return {"requester_name": name}

    def validate_email(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        email = _first_valid_email(slot_value)
        if email is None:
            dispatcher.utter_message(response="utter_invalid_email")
        return {"email": email}

    def validate_service(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        text = _as_text(slot_value)
        if text == NO_SERVICE or is_skip_answer(text):
            return {"service": NO_SERVICE}
        service = normalize_service(text)
        if service is None:
            dispatcher.utter_message(response="utter_invalid_service")
        return {"service": service}

    def validate_details(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        details = normalize_details(_as_text(slot_value))
        if details is None:
            dispatcher.utter_message(response="utter_invalid_details")
        return {"details": details}

    def validate_confirmation(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        answer = _as_text(slot_value)
        if answer == CONFIRMED:
            # Marks this submission: the Idempotency-Key and the excerpt are derived from it.
            # The summary's time, not the Confirm's: a Confirm sent again keeps the marker.
            timestamp = summary_timestamp(tracker) or latest_user_timestamp(tracker)
            marker = repr(timestamp) if timestamp is not None else uuid.uuid4().hex
            return {"confirmation": CONFIRMED, "submission_marker": marker}
        if answer in EDITABLE_SLOTS:
            # Clearing the field makes the form ask for it again, then show the summary again.
            return {"confirmation": None, answer: None}
        # "Change something" (the question which field comes from action_ask_confirmation).
        return {"confirmation": None}


class ValidateRequestStatusForm(FormValidationAction):
    def name(self) -> str:
        return "validate_request_status_form"

    def validate_status_reference(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        reference = normalize_reference(_as_text(slot_value))
        if reference is None:
            dispatcher.utter_message(response="utter_invalid_reference")
        return {"status_reference": reference}

    def validate_status_email(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        email = _first_valid_email(slot_value)
        if email is None:
            dispatcher.utter_message(response="utter_invalid_email")
        return {"status_email": email}


def summary_values(tracker: Tracker) -> dict[str, Any]:
    """The values `utter_request_summary` shows back before sending."""
    request_type = tracker.get_slot("request_type") or "inquiry"
    return {
        "request_description": REQUEST_TYPE_DESCRIPTIONS.get(request_type, request_type),
        "requester_name": tracker.get_slot("requester_name"),
        "email": tracker.get_slot("email"),
        "service": tracker.get_slot("service") or NO_SERVICE,
        "details": tracker.get_slot("details"),
    }


class ActionAskConfirmation(Action):
    """Show everything back and ask to confirm, or, after "Change something", ask what."""

    def name(self) -> str:
        return "action_ask_confirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if (
            tracker.get_slot("requested_slot") == "confirmation"
            and _latest_intent(tracker) == "deny"
        ):
            dispatcher.utter_message(response="utter_ask_what_to_change")
            return []
        dispatcher.utter_message(response="utter_request_summary", **summary_values(tracker))
        return []


def switch_request_type(
    dispatcher: CollectingDispatcher, tracker: Tracker, wanted: str | None
) -> list[EventType]:
    """Changes the open request's type to `wanted`, saying so, or says it stays what it is."""
    current = tracker.get_slot("request_type")
    if wanted is None or wanted == current:
        label = request_type_label(current or "inquiry")
        dispatcher.utter_message(response="utter_request_type_unchanged", label=label)
        return []
    dispatcher.utter_message(
        response="utter_request_type_switched", label=request_type_label(wanted)
    )
    return [SlotSet("request_type", wanted)]


class ActionSwitchRequestType(Action):
    """Inside the request form, "actually I want to correct my address" changes the type."""

    def name(self) -> str:
        return "action_switch_request_type"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return switch_request_type(
            dispatcher, tracker, request_type_for_intent(domain, _latest_intent(tracker))
        )


def _request_read(tracker: Tracker, domain: DomainDict) -> str | None:
    """The request type of the request the NLU gate read but did not act on because of how it
    was asked ("can I make it a deletion request?"), if any."""
    return request_type_for_intent(domain, (tracker.latest_message or {}).get(REQUEST_READ))


class ActionUnsureInForm(Action):
    """Inside the request form, an answer NLU was unsure of. "Can I make it a deletion request
    instead?" changes the type as "make it a deletion request" does; anything else is "Sorry, I
    didn't get that", and the form asks its question again."""

    def name(self) -> str:
        return "action_unsure_in_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        wanted = _request_read(tracker, domain)
        if wanted is None:
            dispatcher.utter_message(response="utter_not_understood_in_form")
            return []
        return switch_request_type(dispatcher, tracker, wanted)


class ActionAnswerInForm(Action):
    """Inside the request form, a policy question is answered, and the form then asks its question
    again. "Could I change this to a correction request?", which the NLU gate answers as a
    question when the answer is clear (its buttons open the request), changes the request's type
    instead, as "make it a correction request" does."""

    def name(self) -> str:
        return "action_answer_in_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        wanted = _request_read(tracker, domain)
        if wanted is not None:
            return switch_request_type(dispatcher, tracker, wanted)
        selection = faq_selection(tracker.latest_message or {})
        answer = (selection.get("response") or {}).get("utter_action")
        dispatcher.utter_message(response=str(answer) if answer else "utter_not_understood_in_form")
        return []
