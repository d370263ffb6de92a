"""The customer types the code emailed to them after a chat request: check it with the help desk.

`action_submit_privacy_request` keeps the new ticket's reference in `verification_reference`
while the code is awaited. Any message that NLU reads as `enter_verification_code` runs this
action, which finds the 6-digit code in the text (the contract's pattern), sends it with the
conversation id, and says what happened. The reference is forgotten once nothing more can be
typed for it (verified, locked, or no longer pending); a wrong or expired code keeps it, so the
customer can try again or type the new code staff send.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.helpdesk import HelpDeskError, HelpDeskRejected
from actions.tickets import ClientFactory, default_client
from bot.contract import find_verification_code

logger = logging.getLogger(__name__)

PENDING_SLOT = "verification_reference"
# What the customer is told for each answer of the help desk, and whether the code is still
# awaited afterwards.
RESPONSES: dict[str, tuple[str, bool]] = {
    "verified": ("utter_verification_succeeded", False),
    "wrong": ("utter_verification_code_wrong", True),
    "expired": ("utter_verification_code_expired", True),
    "locked": ("utter_verification_locked", False),
    "not_pending": ("utter_no_verification_pending", False),
}


class ActionCheckVerificationCode(Action):
    def __init__(self, client_factory: ClientFactory | None = None) -> None:
        self.client_factory: ClientFactory = client_factory or default_client

    def name(self) -> str:
        return "action_check_verification_code"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        reference = tracker.get_slot(PENDING_SLOT)
        if not reference:
            dispatcher.utter_message(response="utter_no_verification_pending")
            return []
        code = find_verification_code(tracker.latest_message.get("text"))
        if code is None:
            dispatcher.utter_message(response="utter_verification_code_format")
            return []
        try:
            outcome = await self.client_factory().verify_code(reference, code, tracker.sender_id)
        except HelpDeskRejected as rejection:
            logger.warning("help desk refused a verification attempt: %s", rejection.code)
            limited = rejection.status == 429
            dispatcher.utter_message(
                response="utter_verification_rate_limited"
                if limited
                else "utter_verification_unavailable"
            )
            return []
        except HelpDeskError as error:
            logger.warning("verification check failed: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_verification_unavailable")
            return []
        response, still_pending = RESPONSES.get(outcome.result, RESPONSES["not_pending"])
        dispatcher.utter_message(
            response=response, reference=reference, attempts_left=outcome.attempts_left
        )
        return [] if still_pending else [SlotSet(PENDING_SLOT, None)]
