"""Validation of the privacy request form and the status form, and the confirmation question."""

from __future__ import annotations

import uuid
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import messages
from actions.slots import EDITABLE_FIELDS, NO_SERVICE, REQUEST_TYPE_DESCRIPTIONS
from actions.slots import as_text as _as_text
from actions.validators import (
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


class ValidatePrivacyRequestForm(FormValidationAction):
    def name(self) -> str:
        return "validate_privacy_request_form"

    async def extract_requester_name(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Keep a name that NLU mistook for a policy question ("Max Mailer" read as faq).

        The slot mapping ignores `faq` messages so real questions get answered mid-form;
        a bare name, asked for and given, is still the customer's answer.
        """
        if tracker.get_slot("requested_slot") != "requester_name":
            return {}
        if (tracker.latest_message.get("intent") or {}).get("name") != "faq":
            return {}
        name = name_answer(tracker.latest_message.get("text"))
        return {"requester_name": name} if name else {}

    def validate_requester_name(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        name = normalize_name(_as_text(slot_value))
        if name is None:
            dispatcher.utter_message(text=messages.INVALID_REQUESTER_NAME)
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
            dispatcher.utter_message(text=messages.INVALID_EMAIL)
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
            dispatcher.utter_message(text=messages.INVALID_SERVICE)
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
            dispatcher.utter_message(text=messages.INVALID_DETAILS)
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
            timestamp = latest_user_timestamp(tracker)
            marker = repr(timestamp) if timestamp is not None else uuid.uuid4().hex
            return {"confirmation": CONFIRMED, "submission_marker": marker}
        if answer in EDITABLE_FIELDS:
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
            dispatcher.utter_message(text=messages.INVALID_REFERENCE)
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
            dispatcher.utter_message(text=messages.INVALID_EMAIL)
        return {"status_email": email}


def request_summary(tracker: Tracker) -> str:
    request_type = tracker.get_slot("request_type") or "inquiry"
    service = tracker.get_slot("service")
    return "\n".join(
        [
            "Here is what I'll send to the Personal Information Protection Help Desk:",
            f"- Request: {REQUEST_TYPE_DESCRIPTIONS.get(request_type, request_type)}",
            f"- Name: {tracker.get_slot('requester_name')}",
            f"- Email: {tracker.get_slot('email')}",
            f"- Service or website: {service if service else NO_SERVICE}",
            f"- Details: {tracker.get_slot('details')}",
            "Shall I send it?",
        ]
    )


class ActionAskConfirmation(Action):
    """Show everything back and ask to confirm, or, after "Change something", ask what."""

    def name(self) -> str:
        return "action_ask_confirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        latest_intent = (tracker.latest_message.get("intent") or {}).get("name")
        if tracker.get_slot("requested_slot") == "confirmation" and latest_intent == "deny":
            dispatcher.utter_message(
                text=messages.ASK_WHAT_TO_CHANGE,
                buttons=[
                    {"title": title, "payload": f'/inform{{"form_field":"{field}"}}'}
                    for field, title in EDITABLE_FIELDS.items()
                ],
            )
            return []
        dispatcher.utter_message(
            text=request_summary(tracker),
            buttons=[
                {"title": "Confirm", "payload": "/affirm"},
                {"title": "Change something", "payload": "/deny"},
                {"title": "Cancel", "payload": "/stop"},
            ],
        )
        return []


class _AskQuestion:
    """Asks for one form slot (Rasa runs `action_ask_<slot>` when the form needs it).

    A mixin rather than an Action subclass, so the action server registers only the
    concrete questions below.
    """

    slot_name = ""
    question = ""
    buttons: list[dict[str, str]] = []

    def name(self) -> str:
        return f"action_ask_{self.slot_name}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(text=self.question, buttons=list(self.buttons))
        return []


class ActionAskRequesterName(_AskQuestion, Action):
    slot_name = "requester_name"
    question = messages.ASK_REQUESTER_NAME


class ActionAskEmail(_AskQuestion, Action):
    slot_name = "email"
    question = messages.ASK_EMAIL


class ActionAskService(_AskQuestion, Action):
    slot_name = "service"
    question = messages.ASK_SERVICE
    buttons = [{"title": "Skip", "payload": "/deny"}]


class ActionAskDetails(_AskQuestion, Action):
    slot_name = "details"
    question = messages.ASK_DETAILS


class ActionAskStatusReference(_AskQuestion, Action):
    slot_name = "status_reference"
    question = messages.ASK_STATUS_REFERENCE


class ActionAskStatusEmail(_AskQuestion, Action):
    slot_name = "status_email"
    question = messages.ASK_STATUS_EMAIL
