"""The fuzz campaign's inputs (scripts/fuzz_inputs.py) and its report (scripts/bench_fuzz.py)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from scripts import fuzz_inputs
from scripts.bench_fuzz import Result, Timing, percentile, render_report
from scripts.fuzz_inputs import HUGE, campaign, request_count


@pytest.fixture(scope="module")
def flows() -> list[fuzz_inputs.Flow]:
    return campaign(16)


def test_the_campaign_has_at_least_10000_inputs_on_both_targets(
    flows: list[fuzz_inputs.Flow],
) -> None:
    assert request_count(flows) >= 10_000
    targets = Counter(r.target for flow in flows for r in flow.requests)
    assert targets["rasa"] >= 5_000 and targets["helpdesk"] >= 4_000


def test_the_same_seed_gives_the_same_campaign() -> None:
    first, again, other = campaign(3, 0.02), campaign(3, 0.02), campaign(4, 0.02)
    assert [f.requests for f in first] == [f.requests for f in again]
    assert [f.requests for f in first] != [f.requests for f in other]


def test_the_webhook_gets_every_script_lengths_up_to_100000_and_type_confusion(
    flows: list[fuzz_inputs.Flow],
) -> None:
    kinds = [r.kind for flow in flows for r in flow.requests if r.target == "rasa"]
    for script in fuzz_inputs.SCRIPTS:
        assert any(kind.startswith(f"text: {script},") for kind in kinds), script
    for shape in fuzz_inputs.SHAPES:
        assert any(kind.startswith(f"shape: {shape},") for kind in kinds), shape
    lengths = []
    for flow in flows:
        for request in flow.requests:
            if request.target == "rasa" and request.kind.startswith("text:") and request.body:
                lengths.append(len(json.loads(request.body)["message"]))
    assert max(lengths) == HUGE and min(lengths) == 0
    for field in ("sender", "message", "metadata", "input_channel"):
        assert any(kind.startswith(f"{field}: ") for kind in kinds), field
    assert any(kind.startswith("body: ") for kind in kinds)


def test_every_ticket_field_gets_every_wrong_value(flows: list[fuzz_inputs.Flow]) -> None:
    kinds = {r.kind for flow in flows for r in flow.requests if r.route == "POST /api/v1/tickets"}
    for field in fuzz_inputs.TICKET_FIELDS:
        for label, _ in fuzz_inputs.WRONG_JSON_VALUES:
            assert f"{field}: {label}" in kinds


def test_every_help_desk_route_is_fuzzed(flows: list[fuzz_inputs.Flow]) -> None:
    routes = {r.route for flow in flows for r in flow.requests if r.target == "helpdesk"}
    assert {
        "POST /api/v1/tickets",
        "POST /tickets/{ref}/status",
        "GET /tickets/{ref}",
        "POST /tickets/{ref}/transitions",
        "PATCH /tickets/{ref}",
        "POST /tickets/{ref}/notes",
        "POST /staff/sessions",
        "GET /tickets?filters",
        "GET /helpdesk/tickets/{ref}",
        "POST /helpdesk/login",
        "POST /helpdesk/new",
    } <= routes


def test_percentile_is_nearest_rank() -> None:
    assert percentile([0.1, 0.2, 0.3, 0.4], 0.5) == 0.2
    assert percentile([float(i) for i in range(1, 101)], 0.95) == 95.0


def test_the_report_counts_5xx_and_checks_the_goals() -> None:
    results = [
        Result("rasa", "POST /webhooks/rest/webhook", "text: latin, 5 chars", 200, 0.05, "", True),
        Result("rasa", "POST /webhooks/rest/webhook", "payload /restart", 200, 0.04, "", False),
        Result("rasa", "POST /webhooks/rest/webhook", "body: empty", 400, 0.01),
        Result("helpdesk", "POST /api/v1/tickets", "details: NUL", 500, 0.02),
        Result("helpdesk", "GET /tickets/{ref}", "reference", None, 60.0, "TimeoutError"),
    ]
    answer = "Yes. Source: [Use of cookies](/#use-of-cookies)"
    idle = [Timing("idle", 200, 0.1, answer)] * 3
    during = [Timing("during", 200, 0.2, answer)] * 19 + [Timing("during", 200, 1.5, answer)]
    huge = [Timing("a@", 200, 0.08, "Sorry, that message is too long")]

    report = render_report(results, idle, during, huge, {"machine": "2 cores"}, {"rasa": 0})

    assert "| 5xx answers over 5 inputs: 0 | 1 | no |" in report
    assert "| no answer at all (timeout, connection closed): 0 | 1 | no |" in report
    assert "normal question during the campaign, p95 < 1 s | 200 ms" in report
    assert "| 100,000-character message of any shape answered < 1 s | worst 80 ms | yes |" in report
    assert (
        "## Webhook answers (200) with no bot message, or only the apology for a failed turn: 0"
        in report
    ), "a restart is silent"
    assert "details: NUL" in report and "machine: 2 cores" in report


def test_the_report_says_whether_a_normal_question_kept_its_pace_beside_a_huge_message() -> None:
    answer = "Yes. Source: [Use of cookies](/#use-of-cookies)"
    idle = [Timing("idle", 200, 0.1, answer), Timing("idle", 200, 0.3, answer)]
    huge = [Timing("a@", 200, 0.08, "too long"), Timing("words", 200, 0.09, "too long")]
    on_time = [Timing("beside a@", 200, 0.2, answer), Timing("beside words", 200, 0.25, answer)]
    late = [on_time[0], Timing("beside words", 200, 0.9, answer)]

    with_ordinary = [Timing("beside ordinary", 200, 0.3, answer)] * 2

    kept = render_report([], idle, idle, huge, {}, {}, on_time, with_ordinary)
    missed = render_report([], idle, idle, huge, {}, {}, late, with_ordinary)

    assert "(worst 300 ms; alone: max 300 ms) | worst 250 ms (n=2/2) | yes |" in kept
    assert "| words | 200 | 90 ms | 250 ms |" in kept
    assert "(worst 300 ms; alone: max 300 ms) | worst 900 ms (n=2/2) | no |" in missed


def test_the_apology_for_a_failed_turn_counts_as_no_answer() -> None:
    from scripts.bench_fuzz import _bot_replied, _reply_failed_text

    def body(*texts: str) -> bytes:
        return json.dumps([{"recipient_id": "c", "text": t} for t in texts]).encode()

    assert _bot_replied("application/json", body("Yes, CASIO uses cookies."))
    assert not _bot_replied("application/json", body(_reply_failed_text()))
    assert not _bot_replied("application/json", b"[]")
