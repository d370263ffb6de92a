"""The fault benchmark's pure parts: the plan, what a reply to Confirm says, the accounting of
tickets, and which fault an interrupted conversation is counted under."""

from __future__ import annotations

from typing import Any

from scripts.bench_faults import (
    FAULTS,
    ConversationLog,
    FaultResult,
    Injection,
    RequestLog,
    confirm_outcome,
    error_kind,
    fault_kind,
    fault_rows,
    helpdesk_call_failures,
    markdown,
    schedule,
)
from scripts.bench_load import Ledger, ticket_count


def test_every_fault_is_injected_each_round_spread_over_the_run() -> None:
    plan = schedule(FAULTS, 5)
    assert len(plan) == 25
    assert all(plan.count(fault) == 5 for fault in FAULTS)
    assert plan[:5] == list(FAULTS) and plan[5:10] == list(FAULTS)


def test_customers_mostly_file_requests() -> None:
    kinds = [fault_kind(n) for n in range(8)]
    assert kinds.count(1) == 6 and kinds.count(2) == 2


def _reply(text: str, *buttons: str) -> list[dict[str, Any]]:
    return [{"text": text, "buttons": [{"title": b, "payload": f"/{b}"} for b in buttons]}]


def test_a_reply_to_confirm_is_a_reference_a_failure_or_neither() -> None:
    assert confirm_outcome(_reply("Your erasure request PR-MBR7-BMKH is recorded.")) == "reference"
    assert confirm_outcome(_reply("I could not record your request.", "Try again")) == "failed"
    assert confirm_outcome(_reply("There's no request waiting to be sent.")) == "other"
    assert confirm_outcome([]) == "other"


def test_lost_duplicated_and_unconfirmed_tickets_are_counted_per_request() -> None:
    ledger = Ledger(
        submitted={"a@x", "b@x", "c@x", "d@x", "e@x", "f@x"},
        confirmed=[
            ("PR-AAAA-0001", "a@x"),  # stored: fine
            ("PR-AAAA-0009", "c@x"),  # never stored: lost
            ("PR-AAAA-0004", "d@x"),  # stored, but for another request: lost too
            ("PR-AAAA-0006", "f@x"),  # f was given two references,
            ("PR-AAAA-0007", "f@x"),  # both stored: a duplicate
        ],
    )
    stored = [
        ("PR-AAAA-0001", "a@x"),
        ("PR-AAAA-0002", "b@x"),  # told it failed, but stored
        ("PR-AAAA-0003", "b@x"),  # and stored twice
        ("PR-AAAA-0004", "e@x"),
        ("PR-AAAA-0006", "f@x"),
        ("PR-AAAA-0007", "f@x"),
        ("PR-ZZZZ-0000", "warmup@x"),  # not a measured request
    ]
    count = ticket_count(ledger, stored)
    assert count.requests == 6
    assert count.confirmed == 5
    assert count.stored == 6
    assert count.confirmed_not_stored == 2  # 0009 (c) and 0004 (given to d, stored for e)
    assert count.duplicates == 2  # b twice, f twice
    assert count.requests_stored_not_confirmed == 2  # b and e
    assert count.two_references == 1  # f


def test_nothing_lost_when_every_confirmed_request_is_stored_once() -> None:
    ledger = Ledger(submitted={"a@x", "b@x"}, confirmed=[("PR-AAAA-0001", "a@x")])
    count = ticket_count(ledger, [("PR-AAAA-0001", "a@x")])  # b was told it failed
    assert (count.confirmed_not_stored, count.duplicates) == (0, 0)
    assert count.requests_stored_not_confirmed == 0


def test_errors_are_sorted_into_kinds() -> None:
    assert error_kind("HTTP 500") == "5xx"
    assert error_kind("HTTP 413") == "4xx"
    assert error_kind("ServerTimeoutError") == "timeout"
    assert error_kind("TimeoutError") == "timeout"
    assert error_kind("ClientConnectorError") == "connection"
    assert error_kind("ServerDisconnectedError") == "connection"
    assert error_kind("empty reply") == "empty reply"
    assert error_kind("apology") == "apology"


def test_an_interrupted_conversation_counts_under_the_fault_before_its_first_error() -> None:
    injections = [
        Injection("helpdesk", 10.0, 4.0, 3.0),
        Injection("redis", 30.0, 2.5, 2.1),
        Injection("helpdesk", 50.0, 6.0, 5.0),
    ]
    logs = [
        ConversationLog(0, "s0", errors=[(11.0, "HTTP 500")], answered=[5.0, 14.0]),  # resumed
        ConversationLog(1, "s1", errors=[(31.0, "ClientConnectorError")], answered=[20.0]),
        ConversationLog(2, "s2", errors=[(52.0, "empty reply")], answered=[55.0]),
        ConversationLog(3, "s3", errors=[(3.0, "HTTP 502")], answered=[4.0]),  # before any fault
        ConversationLog(4, "s4", answered=[12.0, 33.0]),  # not interrupted
    ]
    logs[1].stuck = True
    requests = [RequestLog("a@x", "reference", 16.0, 1), RequestLog("b@x", "failed", 40.0, 6)]
    rows = {row.fault: row for row in fault_rows(injections, logs, requests)}
    assert rows["helpdesk"].injected == 2
    assert rows["helpdesk"].conversations_hit == 2 and rows["helpdesk"].resumed == 2
    assert rows["helpdesk"].errors == {"5xx": 1, "empty reply": 1}
    assert rows["helpdesk"].recovery_median == 5.0 and rows["helpdesk"].recovery_max == 6.0
    assert rows["helpdesk"].first_confirmation_after == 6.0  # only the first one had a next
    assert rows["redis"].conversations_hit == 1 and rows["redis"].stuck == 1
    assert rows["redis"].resumed == 0
    assert rows["none"].conversations_hit == 1 and rows["none"].injected == 0


def test_the_report_shows_the_tickets_and_every_fault() -> None:
    injections = [Injection(fault, 10.0 * i, 3.0, 2.0, "") for i, fault in enumerate(FAULTS)]
    ledger = Ledger(submitted={"a@x"}, confirmed=[("PR-AAAA-0001", "a@x")])
    result = FaultResult(
        meta={
            "date": "2026-11-27",
            "cores": 2,
            "load_start": (0.5, 0.4, 0.3),
            "load_end": (2.0, 1.5, 1.0),
            "deployment": "PostgreSQL + Redis, 2 workers",
            "customers": 10,
            "seconds": 300,
            "redis": "a private redis-server",
            "work": "/tmp/x",
        },
        tickets=ticket_count(ledger, [("PR-AAAA-0001", "a@x")]),
        outcomes={"reference": 1},
        injections=injections,
        rows=fault_rows(injections, [], []),
        replies=100,
        errors={"connection": 3},
        p50_ms=100.0,
        p95_ms=900.0,
        conversations=20,
        interrupted=3,
        resumed=3,
        stuck=0,
        unclear_samples=[],
    )
    text = markdown(result)
    assert "| 1 | 1 | 1 | 0 | 0 | 0 | 0 |" in text
    for fault in FAULTS:
        assert f"| {fault} | 1 |" in text


def test_failed_help_desk_calls_are_counted_by_cause() -> None:
    log = "\n".join(
        [
            "WARNING:actions.helpdesk:help desk POST /api/v1/tickets failed (attempt 1 of 3): "
            "ClientConnectorError: Cannot connect to host 127.0.0.1:48091",
            "WARNING:actions.helpdesk:help desk POST /api/v1/tickets failed (attempt 2 of 3): "
            "HTTP 503",
            "WARNING:actions.helpdesk:help desk POST /api/v1/tickets/PR-X/status failed "
            "(attempt 1 of 3): ClientConnectorError: Cannot connect to host",
            "INFO: something else",
        ]
    )
    assert helpdesk_call_failures(log) == {"ClientConnectorError": 2, "HTTP 503": 1}


def test_an_error_right_after_a_kill_counts_under_that_kill() -> None:
    injections = [Injection("postgres", 132.61, 0.6), Injection("redis", 143.46, 3.0)]
    logs = [ConversationLog(0, "s0", errors=[(143.47, "apology")], answered=[150.0])]
    rows = {row.fault: row for row in fault_rows(injections, logs, [])}
    assert rows["redis"].conversations_hit == 1 and rows["postgres"].conversations_hit == 0
