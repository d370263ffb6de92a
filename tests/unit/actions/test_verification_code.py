"""The code typed back in the chat: found in the text, sent with the conversation id, and each
answer of the help desk told to the customer from domain.yml (against a fake client)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.helpdesk import (
    HelpDeskError,
    HelpDeskRejected,
    HelpDeskUnavailable,
    VerificationOutcome,
)
from actions.verification import ActionCheckVerificationCode
from bot.contract import find_verification_code
from tests.support.responses import rendered_texts, response_text

REFERENCE = "PR-7KQ2-M9XD"


@dataclass
class FakeHelpDesk:
    answers: list[VerificationOutcome | HelpDeskError] = field(default_factory=list)
    calls: list[tuple[str, str, str]] = field(default_factory=list)

    async def verify_code(
        self, reference: str, code: str, conversation_id: str
    ) -> VerificationOutcome:
        self.calls.append((reference, code, conversation_id))
        answer = self.answers.pop(0)
        if isinstance(answer, HelpDeskError):
            raise answer
        return answer


def tracker(text: str, pending: str | None = REFERENCE) -> Tracker:
    return Tracker.from_dict(
        {
            "sender_id": "chat-42",
            "slots": {"verification_reference": pending},
            "latest_message": {
                "text": text,
                "intent": {"name": "enter_verification_code"},
                "entities": [],
            },
            "events": [],
            "active_loop": {},
        }
    )


async def run(helpdesk: FakeHelpDesk, text: str, pending: str | None = REFERENCE) -> Any:
    dispatcher = CollectingDispatcher()
    action = ActionCheckVerificationCode(client_factory=lambda: helpdesk)
    events = await action.run(dispatcher, tracker(text, pending), {})
    return events, rendered_texts(dispatcher.messages)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("482913", "482913"),
        ("my code is 482 913.", "482913"),
        ("code: 482-913", "482913"),
        ("1234567", None),
        ("12345", None),
        ("PR-7KQ2-M9XD", None),
        ("", None),
    ],
)
def test_the_code_is_found_in_what_the_customer_typed(text: str, code: str | None) -> None:
    assert find_verification_code(text) == code


async def test_the_right_code_hands_the_request_to_the_help_desk() -> None:
    helpdesk = FakeHelpDesk([VerificationOutcome(REFERENCE, "verified")])
    events, said = await run(helpdesk, "the code is 482 913")

    assert helpdesk.calls == [(REFERENCE, "482913", "chat-42")]
    assert said == [response_text("utter_verification_succeeded", reference=REFERENCE)]
    assert f"verified. the help desk now has your request {REFERENCE.lower()}" in said[0].lower()
    assert events == [SlotSet("verification_reference", None)]


async def test_a_wrong_code_says_how_many_attempts_are_left_and_keeps_waiting() -> None:
    helpdesk = FakeHelpDesk([VerificationOutcome(REFERENCE, "wrong", 2)])
    events, said = await run(helpdesk, "111111")

    assert said == [response_text("utter_verification_code_wrong", attempts_left=2)]
    assert "Attempts left: 2" in said[0]
    assert events == []


async def test_the_third_wrong_code_locks_and_says_how_to_reach_the_help_desk() -> None:
    helpdesk = FakeHelpDesk([VerificationOutcome(REFERENCE, "locked", 0)])
    events, said = await run(helpdesk, "111111")

    assert "locked" in said[0] and "Personal Information Protection Help Desk" in said[0]
    assert REFERENCE in said[0]
    assert events == [SlotSet("verification_reference", None)]


async def test_an_expired_code_says_how_to_get_a_new_one() -> None:
    helpdesk = FakeHelpDesk([VerificationOutcome(REFERENCE, "expired", 3)])
    events, said = await run(helpdesk, "482913")

    assert "expired" in said[0] and "new one" in said[0]
    assert events == [], "the new code staff send can still be typed here"


async def test_a_request_no_longer_waiting_is_forgotten() -> None:
    helpdesk = FakeHelpDesk([VerificationOutcome(REFERENCE, "not_pending")])
    events, said = await run(helpdesk, "482913")
    assert said == [response_text("utter_no_verification_pending")]
    assert events == [SlotSet("verification_reference", None)]


async def test_no_code_is_sent_when_none_is_awaited_in_this_chat() -> None:
    helpdesk = FakeHelpDesk()
    events, said = await run(helpdesk, "482913", pending=None)
    assert said == [response_text("utter_no_verification_pending")]
    assert helpdesk.calls == [] and events == []


async def test_a_message_without_six_digits_asks_for_the_code_again() -> None:
    helpdesk = FakeHelpDesk()
    events, said = await run(helpdesk, "my code is 4829")
    assert said == [response_text("utter_verification_code_format")]
    assert helpdesk.calls == [] and events == []


@pytest.mark.parametrize(
    ("failure", "response"),
    [
        (HelpDeskUnavailable("timeout"), "utter_verification_unavailable"),
        (HelpDeskRejected(429, "rate_limited", "slow down"), "utter_verification_rate_limited"),
        (HelpDeskRejected(422, "validation_failed", "code"), "utter_verification_unavailable"),
    ],
)
async def test_a_help_desk_failure_keeps_the_code_awaited(
    failure: HelpDeskError, response: str
) -> None:
    events, said = await run(FakeHelpDesk([failure]), "482913")
    assert said == [response_text(response)]
    assert events == []
