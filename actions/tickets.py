"""Open a privacy request ticket and check a ticket's status through the help desk client.

The actions get their client from `client_factory` (a constructor argument; the default builds
the HTTP client from the environment when the action runs), so tests pass a fake.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timezone
from typing import Any, Callable

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.helpdesk import (
    ExcerptLine,
    HelpDeskClient,
    HelpDeskError,
    HelpDeskRejected,
    HttpHelpDeskClient,
    TicketNotFound,
    TicketRequest,
)
from actions.settings import helpdesk_settings
from actions.slots import (
    NO_SERVICE,
    REQUEST_FORM_SLOTS,
    STATUS_FORM_SLOTS,
    request_type_label,
)
from bot.contract import CLOSED_STATUSES, MAX_EXCERPT_TEXT, Status

logger = logging.getLogger(__name__)

EXCERPT_LINES = 8
ClientFactory = Callable[[], HelpDeskClient]

# After a failure everything entered stays (try_again re-sends it with the same key), but the
# confirmation is withdrawn: a new request started later shows the summary again instead of
# sending the old data unasked.
KEEP_FOR_TRY_AGAIN: list[EventType] = [SlotSet("confirmation", None)]


def default_client() -> HelpDeskClient:
    """The HTTP client configured from the environment (read now, not at import)."""
    return HttpHelpDeskClient.from_settings(helpdesk_settings())


def idempotency_key(conversation_id: str, submission_marker: str) -> str:
    """The Idempotency-Key of one confirmed form submission in one conversation.

    The same conversation and submission always give the same key (so retries and re-runs
    cannot open a second ticket); a new submission gives a new key.
    """
    digest = hashlib.sha256(f"{conversation_id}\n{submission_marker}".encode()).hexdigest()
    return f"chat-{digest[:40]}"


def _iso_utc(timestamp: Any) -> str:
    try:
        moment = datetime.fromtimestamp(float(timestamp), tz=timezone.utc)
    except (TypeError, ValueError, OverflowError):
        return ""
    return moment.isoformat().replace("+00:00", "Z")


def conversation_excerpt(
    events: list[dict[str, Any]], until_timestamp: float | None = None
) -> list[ExcerptLine]:
    """The last few customer and bot texts, up to the moment of `until_timestamp` if given.

    Cutting at the submission keeps the excerpt (and so the request body) identical when
    the same submission is sent again later, as the Idempotency-Key contract requires.
    """
    lines: list[ExcerptLine] = []
    for event in events:
        kind = event.get("event")
        text = event.get("text")
        if kind not in ("user", "bot") or not isinstance(text, str) or not text.strip():
            continue
        timestamp = event.get("timestamp")
        if until_timestamp is not None and isinstance(timestamp, (int, float)):
            if timestamp > until_timestamp:
                continue
        if kind == "user" and text.startswith("/"):
            continue  # a button payload, not something the customer wrote
        sender = "customer" if kind == "user" else "bot"
        lines.append(ExcerptLine(sender, text.strip()[:MAX_EXCERPT_TEXT], _iso_utc(timestamp)))
    return lines[-EXCERPT_LINES:]


def readable_date(iso_timestamp: str) -> str:
    """'9 December 2026' for an ISO timestamp, or the text unchanged when it is not one."""
    try:
        moment = datetime.fromisoformat(iso_timestamp.replace("Z", "+00:00"))
    except ValueError:
        return iso_timestamp
    return f"{moment.day} {moment.strftime('%B %Y')}"


def _marker_timestamp(marker: str) -> float | None:
    try:
        return float(marker)
    except ValueError:
        return None


class ActionSubmitPrivacyRequest(Action):
    """Send the confirmed request to the help desk; report a reference only once it is stored."""

    def __init__(self, client_factory: ClientFactory | None = None) -> None:
        self.client_factory: ClientFactory = client_factory or default_client

    def name(self) -> str:
        return "action_submit_privacy_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        request_type = tracker.get_slot("request_type")
        name = tracker.get_slot("requester_name")
        email = tracker.get_slot("email")
        service = tracker.get_slot("service")
        details = tracker.get_slot("details")
        marker = tracker.get_slot("submission_marker")
        # `confirmation` is not required: it is withdrawn after a failure, the marker remains.
        if not (request_type and name and email and details and marker):
            dispatcher.utter_message(response="utter_no_request_to_send")
            return []

        request = TicketRequest(
            type=request_type,
            requester_name=name,
            email=email,
            details=details,
            service=None if service in (None, NO_SERVICE) else service,
            conversation_id=tracker.sender_id,
            conversation_excerpt=conversation_excerpt(
                tracker.events, until_timestamp=_marker_timestamp(marker)
            ),
        )
        key = idempotency_key(tracker.sender_id, marker)
        try:
            ticket = await self.client_factory().open_ticket(request, key)
        except HelpDeskRejected as rejection:
            logger.warning("help desk refused ticket %s: %s", key, rejection)
            dispatcher.utter_message(**self._rejected_response(rejection))
            return KEEP_FOR_TRY_AGAIN
        except HelpDeskError as error:
            logger.warning("help desk unavailable for ticket %s: %s", key, error)
            dispatcher.utter_message(response="utter_submission_unavailable")
            return KEEP_FOR_TRY_AGAIN

        label = request_type_label(ticket.type or request_type)
        forget = [SlotSet(slot, None) for slot in REQUEST_FORM_SLOTS]
        remember = [SlotSet("last_reference", ticket.reference)]
        if ticket.status == Status.IDENTITY_CHECK.value:
            # The help desk has emailed the requester a code; the customer types it next.
            dispatcher.utter_message(
                response="utter_request_opened_code_sent",
                label=label,
                reference=ticket.reference,
                email=ticket.email or email,
            )
            return forget + remember + [SlotSet("verification_reference", ticket.reference)]
        dispatcher.utter_message(
            response="utter_request_opened",
            label=label,
            reference=ticket.reference,
            email=ticket.email or email,
        )
        dispatcher.utter_message(
            response="utter_request_next_steps",
            due_date=readable_date(ticket.due_at),
            reference=ticket.reference,
        )
        return forget + remember

    @staticmethod
    def _rejected_response(rejection: HelpDeskRejected) -> dict[str, Any]:
        if rejection.status == 429:
            return {"response": "utter_submission_rate_limited"}
        return {"response": "utter_submission_rejected", "reason": rejection.message.rstrip(".")}


class ActionRepeatReference(Action):
    """Confirm pressed again once the request was sent (a double click, or a customer who never
    saw the first answer and pressed it again): the reference again, never a second request."""

    def name(self) -> str:
        return "action_repeat_reference"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        reference = tracker.get_slot("last_reference")
        if reference:
            dispatcher.utter_message(response="utter_request_already_sent", reference=reference)
        else:
            dispatcher.utter_message(response="utter_no_request_to_send")
        return []


class ActionCheckRequestStatus(Action):
    """Report a ticket's status when the reference and email match."""

    def __init__(self, client_factory: ClientFactory | None = None) -> None:
        self.client_factory: ClientFactory = client_factory or default_client

    def name(self) -> str:
        return "action_check_request_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        reference = tracker.get_slot("status_reference")
        email = tracker.get_slot("status_email")
        resets: list[EventType] = [SlotSet(slot, None) for slot in STATUS_FORM_SLOTS]
        if not reference or not email:
            dispatcher.utter_message(response="utter_status_needs_reference_and_email")
            return resets
        try:
            status = await self.client_factory().ticket_status(
                reference, email, conversation_id=tracker.sender_id
            )
        except TicketNotFound:
            dispatcher.utter_message(response="utter_status_not_found")
            return resets
        except HelpDeskRejected as rejection:
            if rejection.status == 429:
                dispatcher.utter_message(response="utter_status_rate_limited")
            else:
                dispatcher.utter_message(response="utter_status_unavailable")
            return resets
        except HelpDeskError as error:
            logger.warning("status check failed: %s", error)
            dispatcher.utter_message(response="utter_status_unavailable")
            return resets
        values = {
            "label": request_type_label(status.type),
            "reference": status.reference,
            "status_label": status.status_label.rstrip("."),
        }
        if status.due_at and status.status not in CLOSED_STATUSES:
            due_date = readable_date(status.due_at)
            dispatcher.utter_message(
                response="utter_status_report_with_due_date", due_date=due_date, **values
            )
        else:
            dispatcher.utter_message(response="utter_status_report", **values)
        return resets


class ActionCancelRequest(Action):
    """Stop whichever request form is running and forget what was typed into it."""

    def name(self) -> str:
        return "action_cancel_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_request_cancelled")
        events: list[EventType] = [ActiveLoop(None), SlotSet("requested_slot", None)]
        events += [SlotSet(slot, None) for slot in REQUEST_FORM_SLOTS + STATUS_FORM_SLOTS]
        return events


class ActionDeleteConversation(Action):
    """The customer asked to delete this chat: the help desk deletes it from the tracker store
    (and once more a few seconds later, to catch this very turn), then the session restarts."""

    def __init__(self, client_factory: ClientFactory | None = None) -> None:
        self.client_factory: ClientFactory = client_factory or default_client

    def name(self) -> str:
        return "action_delete_conversation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        try:
            await self.client_factory().erase_conversation(tracker.sender_id)
        except HelpDeskError as error:
            logger.warning("could not delete a conversation: %s", error)
            dispatcher.utter_message(response="utter_conversation_not_deleted")
            return []
        dispatcher.utter_message(response="utter_conversation_deleted")
        # A fresh start: nothing typed so far is kept, and the bot waits for the customer.
        return [ActiveLoop(None), Restarted(), FollowupAction("action_listen")]
