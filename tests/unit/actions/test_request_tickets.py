"""Submitting a privacy request and checking a status, against a fake help desk client."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.helpdesk import (
    HelpDeskError,
    HelpDeskRejected,
    HelpDeskUnavailable,
    OpenedTicket,
    TicketNotFound,
    TicketRequest,
    TicketStatus,
)
from actions.slots import NO_SERVICE, REQUEST_FORM_SLOTS
from actions.tickets import (
    ActionCancelRequest,
    ActionCheckRequestStatus,
    ActionDeleteConversation,
    ActionRepeatReference,
    ActionSubmitPrivacyRequest,
    conversation_excerpt,
    default_client,
    idempotency_key,
    readable_date,
)
from tests.support.responses import rendered, rendered_texts, response_text

ROOT = Path(__file__).resolve().parents[3]
CONFIRMED_AT = 1764064860.0


@dataclass
class FakeHelpDesk:
    """Stores tickets by Idempotency-Key like the real API; can fail a number of times first."""

    failures: list[HelpDeskError] = field(default_factory=list)
    tickets: dict[str, tuple[TicketRequest, OpenedTicket]] = field(default_factory=dict)
    calls: list[tuple[TicketRequest, str]] = field(default_factory=list)
    statuses: dict[tuple[str, str], TicketStatus] = field(default_factory=dict)
    status_calls: list[tuple[str, str]] = field(default_factory=list)
    erased: list[str] = field(default_factory=list)
    # A chat request waits for its emailed code, as the real API stores it.
    opened_status: str = "identity_check"

    async def open_ticket(self, request: TicketRequest, idempotency_key: str) -> OpenedTicket:
        self.calls.append((request, idempotency_key))
        if self.failures:
            raise self.failures.pop(0)
        if idempotency_key in self.tickets:
            stored_request, ticket = self.tickets[idempotency_key]
            if stored_request != request:
                raise HelpDeskRejected(409, "conflict", "Idempotency-Key reused", {})
            return ticket
        ticket = OpenedTicket(
            reference=f"PR-TEST-{len(self.tickets) + 1:04d}",
            type=request.type,
            status=self.opened_status,
            email=request.email,
            created_at="2026-11-25T10:01:00+00:00",
            due_at="2026-12-09T10:01:00+00:00",
        )
        self.tickets[idempotency_key] = (request, ticket)
        return ticket

    async def ticket_status(
        self, reference: str, email: str, conversation_id: str | None = None
    ) -> TicketStatus:
        self.status_calls.append((reference, email))
        if self.failures:
            raise self.failures.pop(0)
        try:
            return self.statuses[(reference, email.lower())]
        except KeyError:
            raise TicketNotFound(404, "not_found", "No such ticket.") from None

    async def erase_conversation(self, conversation_id: str) -> int:
        if self.failures:
            raise self.failures.pop(0)
        self.erased.append(conversation_id)
        return 7


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    return Domain.load(str(ROOT / "domain.yml")).as_dict()


def conversation_events(after_confirmation: list[dict[str, Any]] | None = None) -> list[Any]:
    return [
        {"event": "action", "name": "action_listen", "timestamp": CONFIRMED_AT - 60},
        {"event": "user", "text": "delete my data", "timestamp": CONFIRMED_AT - 50},
        {"event": "bot", "text": "I can open an erasure request.", "timestamp": CONFIRMED_AT - 49},
        {"event": "user", "text": "Jane Doe", "timestamp": CONFIRMED_AT - 40},
        {"event": "bot", "text": "Here is what I'll send ...", "timestamp": CONFIRMED_AT - 1},
        {"event": "user", "text": "/affirm", "timestamp": CONFIRMED_AT},
        *(after_confirmation or []),
    ]


def request_tracker(
    slots: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
    sender_id: str = "conversation-1",
) -> Tracker:
    filled = {
        "request_type": "erasure",
        "requester_name": "Jane Doe",
        "email": "jane@example.com",
        "service": "CASIO Music Site",
        "details": "Please delete my account.",
        "confirmation": "confirmed",
        "submission_marker": repr(CONFIRMED_AT),
        "last_reference": None,
    }
    filled.update(slots or {})
    return Tracker.from_dict(
        {
            "sender_id": sender_id,
            "slots": filled,
            "latest_message": {"text": "/affirm", "intent": {"name": "affirm"}, "entities": []},
            "events": conversation_events() if events is None else events,
            "active_loop": {},
            "latest_action_name": "privacy_request_form",
        }
    )


def texts(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(rendered_texts(dispatcher.messages))


async def submit(
    helpdesk: FakeHelpDesk, tracker: Tracker, domain: dict[str, Any]
) -> tuple[list[dict[str, Any]], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    action = ActionSubmitPrivacyRequest(client_factory=lambda: helpdesk)
    events = await action.run(dispatcher, tracker, domain)
    return events, dispatcher


# --- idempotency key and excerpt -------------------------------------------------------------


def test_the_same_submission_always_gets_the_same_key() -> None:
    assert idempotency_key("conv-1", "1764064860.0") == idempotency_key("conv-1", "1764064860.0")


def test_a_new_submission_or_another_conversation_gets_a_new_key() -> None:
    key = idempotency_key("conv-1", "1764064860.0")
    assert idempotency_key("conv-1", "1764064999.0") != key
    assert idempotency_key("conv-2", "1764064860.0") != key


def test_the_key_fits_the_api_contract() -> None:
    key = idempotency_key("a" * 500, "1764064860.0")
    assert 1 <= len(key) <= 200
    assert key.isprintable()


def test_the_excerpt_stops_at_the_submission_and_skips_button_payloads() -> None:
    later = [{"event": "user", "text": "try again", "timestamp": CONFIRMED_AT + 30}]
    excerpt = conversation_excerpt(conversation_events(later), until_timestamp=CONFIRMED_AT)
    assert [(line.sender, line.text) for line in excerpt] == [
        ("customer", "delete my data"),
        ("bot", "I can open an erasure request."),
        ("customer", "Jane Doe"),
        ("bot", "Here is what I'll send ..."),
    ]
    assert excerpt[0].timestamp == "2025-11-25T10:00:10Z"


def test_the_excerpt_keeps_only_the_last_lines() -> None:
    events = [
        {"event": "user", "text": f"message {number}", "timestamp": 1000.0 + number}
        for number in range(20)
    ]
    excerpt = conversation_excerpt(events)
    assert len(excerpt) == 8
    assert excerpt[-1].text == "message 19"


def test_due_dates_are_readable() -> None:
    assert readable_date("2026-12-09T10:00:02+00:00") == "9 December 2026"
    assert readable_date("2026-12-09T10:00:02Z") == "9 December 2026"
    assert readable_date("soon") == "soon"


def test_the_default_client_reads_the_settings_only_when_called(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HELPDESK_RETRIES", "not a number")
    with pytest.raises(ValueError, match="HELPDESK_RETRIES"):
        default_client()


# --- submitting --------------------------------------------------------------------------


async def test_success_reports_the_reference_and_asks_for_the_emailed_code(
    domain: dict[str, Any],
) -> None:
    helpdesk = FakeHelpDesk()
    events, dispatcher = await submit(helpdesk, request_tracker(), domain)

    assert texts(dispatcher).startswith(
        "Your erasure request PR-TEST-0001 is recorded. Before the Help Desk acts on it, please "
        "confirm the email address is yours: I've just sent a 6-digit code to jane@example.com. "
        "Type the code here"
    )
    assert SlotSet("verification_reference", "PR-TEST-0001") in events
    [(request, key)] = helpdesk.calls
    assert key == idempotency_key("conversation-1", repr(CONFIRMED_AT))
    assert request.type == "erasure"
    assert request.service == "CASIO Music Site"
    assert request.conversation_id == "conversation-1"
    assert [line.text for line in request.conversation_excerpt][0] == "delete my data"
    assert request.as_json()["origin"] == "chat"


async def test_a_ticket_that_needs_no_code_reports_the_next_steps_and_due_date(
    domain: dict[str, Any],
) -> None:
    events, dispatcher = await submit(FakeHelpDesk(opened_status="new"), request_tracker(), domain)
    assert texts(dispatcher).startswith("Your erasure request PR-TEST-0001 is open.")
    assert "9 December 2026" in texts(dispatcher)
    assert "verification_reference" not in {event.get("name") for event in events}


async def test_success_forgets_the_personal_slots_but_keeps_the_reference(
    domain: dict[str, Any],
) -> None:
    events, _ = await submit(FakeHelpDesk(), request_tracker(), domain)
    assert events == [SlotSet(slot, None) for slot in REQUEST_FORM_SLOTS] + [
        SlotSet("last_reference", "PR-TEST-0001"),
        SlotSet("verification_reference", "PR-TEST-0001"),
    ]
    for personal in ["requester_name", "email", "service", "details"]:
        assert SlotSet(personal, None) in events


async def test_a_skipped_service_is_sent_as_null(domain: dict[str, Any]) -> None:
    helpdesk = FakeHelpDesk()
    await submit(helpdesk, request_tracker({"service": NO_SERVICE}), domain)
    assert helpdesk.calls[0][0].service is None
    assert helpdesk.calls[0][0].as_json()["service"] is None


@pytest.mark.parametrize(
    "failure",
    [
        HelpDeskUnavailable("connection refused"),
        HelpDeskUnavailable("TimeoutError"),
        HelpDeskUnavailable("HTTP 500"),
    ],
    ids=["down", "timeout", "500"],
)
async def test_failure_says_so_plainly_keeps_the_data_and_shows_no_reference(
    failure: HelpDeskError, domain: dict[str, Any]
) -> None:
    events, dispatcher = await submit(FakeHelpDesk(failures=[failure]), request_tracker(), domain)

    # Only the confirmation is withdrawn: "try again" can send the same data.
    assert events == [SlotSet("confirmation", None)]
    said = texts(dispatcher)
    assert said == response_text("utter_submission_unavailable")
    assert "PR-" not in said
    assert "could not record your request" in said
    assert "amendment request form" in said
    assert [button["payload"] for button in rendered(dispatcher.messages)[0]["buttons"]] == [
        "/try_again",
        "/stop",
    ]


@pytest.mark.parametrize(
    ("rejection", "expected"),
    [
        (
            HelpDeskRejected(422, "validation_failed", "Email is invalid.", {"email": "bad"}),
            response_text("utter_submission_rejected", reason="Email is invalid"),
        ),
        (
            HelpDeskRejected(401, "unauthorized", "Missing or wrong service token."),
            response_text("utter_submission_rejected", reason="Missing or wrong service token"),
        ),
        (
            HelpDeskRejected(429, "rate_limited", "Slow down."),
            response_text("utter_submission_rate_limited"),
        ),
    ],
)
async def test_a_refusal_is_reported_without_a_reference(
    rejection: HelpDeskRejected, expected: str, domain: dict[str, Any]
) -> None:
    events, dispatcher = await submit(FakeHelpDesk(failures=[rejection]), request_tracker(), domain)
    assert events == [SlotSet("confirmation", None)]
    assert texts(dispatcher) == expected
    assert "PR-" not in texts(dispatcher)


async def test_try_again_after_a_failure_opens_exactly_one_ticket_with_the_same_key(
    domain: dict[str, Any],
) -> None:
    helpdesk = FakeHelpDesk(failures=[HelpDeskUnavailable("timeout")])
    await submit(helpdesk, request_tracker(), domain)
    later = [
        {
            "event": "bot",
            "text": response_text("utter_submission_unavailable"),
            "timestamp": CONFIRMED_AT + 5,
        },
        {"event": "user", "text": "try again", "timestamp": CONFIRMED_AT + 30},
    ]
    events, dispatcher = await submit(
        helpdesk,
        request_tracker({"confirmation": None}, events=conversation_events(later)),
        domain,
    )

    assert "PR-TEST-0001 is recorded" in texts(dispatcher)
    first_key, second_key = (key for _, key in helpdesk.calls)
    assert first_key == second_key
    assert helpdesk.calls[0][0] == helpdesk.calls[1][0]  # same body: no 409 from the real API
    assert len(helpdesk.tickets) == 1


async def test_running_the_action_twice_does_not_create_a_second_ticket(
    domain: dict[str, Any],
) -> None:
    helpdesk = FakeHelpDesk()
    await submit(helpdesk, request_tracker(), domain)
    await submit(helpdesk, request_tracker(), domain)
    assert len(helpdesk.calls) == 2
    assert len(helpdesk.tickets) == 1


async def test_a_new_submission_opens_a_new_ticket(domain: dict[str, Any]) -> None:
    helpdesk = FakeHelpDesk()
    await submit(helpdesk, request_tracker(), domain)
    _, dispatcher = await submit(
        helpdesk, request_tracker({"submission_marker": repr(CONFIRMED_AT + 600)}), domain
    )
    assert "PR-TEST-0002 is recorded" in texts(dispatcher)
    assert len(helpdesk.tickets) == 2


@pytest.mark.parametrize("missing", ["requester_name", "email", "details", "submission_marker"])
async def test_nothing_is_sent_when_no_confirmed_request_is_waiting(
    missing: str, domain: dict[str, Any]
) -> None:
    helpdesk = FakeHelpDesk()
    events, dispatcher = await submit(helpdesk, request_tracker({missing: None}), domain)
    assert helpdesk.calls == []
    assert events == []
    assert texts(dispatcher) == response_text("utter_no_request_to_send")


async def test_confirm_pressed_again_after_sending_repeats_the_reference_and_sends_nothing(
    domain: dict[str, Any],
) -> None:
    helpdesk = FakeHelpDesk()
    events, _ = await submit(helpdesk, request_tracker(), domain)
    sent = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    after = request_tracker({**sent, "confirmation": None, "submission_marker": None})
    dispatcher = CollectingDispatcher()

    assert await ActionRepeatReference().run(dispatcher, after, domain) == []

    reference = sent["last_reference"]
    assert texts(dispatcher) == response_text("utter_request_already_sent", reference=reference)
    assert reference in texts(dispatcher)
    assert len(helpdesk.calls) == 1  # the first Confirm only


async def test_confirm_with_nothing_sent_says_there_is_no_request(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    await ActionRepeatReference().run(dispatcher, request_tracker({"last_reference": None}), domain)
    assert texts(dispatcher) == response_text("utter_no_request_to_send")


# --- status ---------------------------------------------------------------------------------


def status_tracker(reference: str | None, email: str | None) -> Tracker:
    return Tracker.from_dict(
        {
            "sender_id": "conversation-2",
            "slots": {"status_reference": reference, "status_email": email},
            "latest_message": {"text": email, "intent": {"name": "inform"}, "entities": []},
            "events": [],
            "active_loop": {},
            "latest_action_name": "request_status_form",
        }
    )


async def check(
    helpdesk: FakeHelpDesk, tracker: Tracker, domain: dict[str, Any]
) -> tuple[list[dict[str, Any]], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    action = ActionCheckRequestStatus(client_factory=lambda: helpdesk)
    return await action.run(dispatcher, tracker, domain), dispatcher


STATUS_RESETS = [SlotSet("status_reference", None), SlotSet("status_email", None)]


async def test_status_is_reported_with_its_label_and_due_date(domain: dict[str, Any]) -> None:
    helpdesk = FakeHelpDesk()
    helpdesk.statuses[("PR-7KQ2-M9XD", "jane@example.com")] = TicketStatus(
        reference="PR-7KQ2-M9XD",
        type="erasure",
        status="identity_check",
        status_label="We are verifying your identity",
        created_at="2026-11-25T10:00:02+00:00",
        updated_at="2026-11-26T10:00:02+00:00",
        due_at="2026-12-09T10:00:02+00:00",
    )
    events, dispatcher = await check(
        helpdesk, status_tracker("PR-7KQ2-M9XD", "jane@example.com"), domain
    )
    assert texts(dispatcher) == (
        "Your erasure request PR-7KQ2-M9XD: We are verifying your identity. "
        "It is due by 9 December 2026."
    )
    assert events == STATUS_RESETS


async def test_a_closed_request_has_no_due_date(domain: dict[str, Any]) -> None:
    helpdesk = FakeHelpDesk()
    helpdesk.statuses[("PR-7KQ2-M9XD", "jane@example.com")] = TicketStatus(
        "PR-7KQ2-M9XD", "disclosure", "completed", "Completed", "", "", "2026-12-09T10:00:02Z"
    )
    _, dispatcher = await check(
        helpdesk, status_tracker("PR-7KQ2-M9XD", "jane@example.com"), domain
    )
    assert texts(dispatcher) == "Your disclosure request PR-7KQ2-M9XD: Completed."


@pytest.mark.parametrize(
    ("reference", "email"),
    [("PR-7KQ2-M9XD", "someone.else@example.com"), ("PR-0000-0000", "jane@example.com")],
    ids=["wrong email", "unknown reference"],
)
async def test_not_found_is_the_same_answer_for_either_mistake(
    reference: str, email: str, domain: dict[str, Any]
) -> None:
    helpdesk = FakeHelpDesk()
    helpdesk.statuses[("PR-7KQ2-M9XD", "jane@example.com")] = TicketStatus(
        "PR-7KQ2-M9XD", "erasure", "new", "Received", "", "", ""
    )
    events, dispatcher = await check(helpdesk, status_tracker(reference, email), domain)
    assert texts(dispatcher) == response_text("utter_status_not_found")
    assert events == STATUS_RESETS


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (HelpDeskUnavailable("connection refused"), response_text("utter_status_unavailable")),
        (HelpDeskUnavailable("HTTP 503"), response_text("utter_status_unavailable")),
        (
            HelpDeskRejected(429, "rate_limited", "Too many."),
            response_text("utter_status_rate_limited"),
        ),
        (
            HelpDeskRejected(401, "unauthorized", "Bad token."),
            response_text("utter_status_unavailable"),
        ),
    ],
)
async def test_a_status_check_that_fails_apologises_plainly(
    failure: HelpDeskError, expected: str, domain: dict[str, Any]
) -> None:
    helpdesk = FakeHelpDesk(failures=[failure])
    _, dispatcher = await check(
        helpdesk, status_tracker("PR-7KQ2-M9XD", "jane@example.com"), domain
    )
    assert texts(dispatcher) == expected


async def test_a_status_check_without_reference_asks_to_start_again(
    domain: dict[str, Any],
) -> None:
    helpdesk = FakeHelpDesk()
    _, dispatcher = await check(helpdesk, status_tracker(None, "jane@example.com"), domain)
    assert helpdesk.status_calls == []
    assert texts(dispatcher) == response_text("utter_status_needs_reference_and_email")


# --- cancelling -----------------------------------------------------------------------------


async def test_cancel_stops_the_form_and_forgets_everything_typed(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionCancelRequest().run(dispatcher, request_tracker(), domain)
    assert {"event": "active_loop", "name": None, "timestamp": None} in events
    assert SlotSet("requested_slot", None) in events
    for slot in ["requester_name", "email", "details", "status_reference", "status_email"]:
        assert SlotSet(slot, None) in events
    assert texts(dispatcher) == response_text("utter_request_cancelled")


async def test_delete_conversation_erases_this_chat_then_restarts(domain: dict[str, Any]) -> None:
    helpdesk = FakeHelpDesk()
    dispatcher = CollectingDispatcher()
    action = ActionDeleteConversation(lambda: helpdesk)
    events = await action.run(dispatcher, request_tracker(sender_id="chat-42"), domain)
    assert helpdesk.erased == ["chat-42"]
    assert texts(dispatcher) == response_text("utter_conversation_deleted")
    assert [event["event"] for event in events] == ["active_loop", "restart", "followup"]
    assert events[-1]["name"] == "action_listen"


async def test_delete_conversation_says_so_when_the_help_desk_is_down(
    domain: dict[str, Any],
) -> None:
    helpdesk = FakeHelpDesk(failures=[HelpDeskUnavailable("connection refused")])
    dispatcher = CollectingDispatcher()
    events = await ActionDeleteConversation(lambda: helpdesk).run(
        dispatcher, request_tracker(), domain
    )
    assert events == [] and helpdesk.erased == []
    assert texts(dispatcher) == response_text("utter_conversation_not_deleted")


@pytest.mark.parametrize(
    "failures",
    [
        [],
        [HelpDeskRejected(422, "invalid", "Some fields are not valid.", {"email": "invalid"})],
        [HelpDeskUnavailable("connection refused")],
    ],
)
async def test_a_submission_logs_no_form_answers(
    domain: dict[str, Any], caplog: pytest.LogCaptureFixture, failures: list[HelpDeskError]
) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    await submit(FakeHelpDesk(failures=list(failures)), request_tracker(), domain)
    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records).lower()
    for answer in ("jane doe", "jane@example.com", "please delete my account"):
        assert answer not in logged
