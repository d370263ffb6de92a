"""The load benchmark's pure parts: the conversation mix, percentiles, ticket counting, report."""

from __future__ import annotations

from scripts.bench_load import (
    CONFIRM,
    LAST_EMAIL,
    LAST_REFERENCE,
    DeploymentResult,
    Ledger,
    LevelResult,
    conversation_script,
    markdown,
    percentile,
    scaling_lines,
    ticket_count,
    turn_kind,
)


def test_the_mix_rotates_questions_a_confirmed_request_and_a_status_check() -> None:
    scripts = [conversation_script(kind, 0, "a@example.com") for kind in range(3)]
    assert all(5 <= len(script) <= 7 for script in scripts)
    kinds = [{turn_kind(text) for text in script} for script in scripts]
    assert kinds[0] == {"policy", "smalltalk"}
    assert scripts[1][-1] == CONFIRM and "a@example.com" in scripts[1]
    assert LAST_REFERENCE in scripts[2] and LAST_EMAIL in scripts[2]


def test_percentile_is_nearest_rank() -> None:
    values = list(range(1, 101))
    assert percentile(values, 0.5) == 50
    assert percentile(values, 0.99) == 99
    assert percentile([7.0], 0.95) == 7.0


def test_tickets_are_matched_to_what_customers_were_told() -> None:
    ledger = Ledger(
        submitted={"a@x", "b@x", "c@x"},
        confirmed=[("PR-AAAA-0001", "a@x"), ("PR-AAAA-0009", "c@x")],
    )
    stored = [
        ("PR-AAAA-0001", "a@x"),
        ("PR-AAAA-0002", "b@x"),  # stored, the customer never got the reference
        ("PR-AAAA-0003", "b@x"),  # and a duplicate of it
        ("PR-ZZZZ-0000", "warmup@x"),  # not a measured request
    ]
    count = ticket_count(ledger, stored)
    assert count.confirmed == 2 and count.stored == 3
    assert count.confirmed_not_stored == 1  # PR-AAAA-0009 was promised but is not stored
    assert count.stored_not_confirmed == 2
    assert count.duplicates == 1


def _level(name: str, concurrency: int, throughput: float) -> LevelResult:
    return LevelResult(name, name, concurrency, 10, 100, 0, 10, 20, 30, 40, throughput, 1, 10, 0.5)


def test_the_report_shows_the_scaling_ratio_and_every_level() -> None:
    results = [
        DeploymentResult("prod-1", "one", [_level("prod-1", 32, 10.0)], 1, 1, 0, 0, 0, 100),
        DeploymentResult("prod-2", "two", [_level("prod-2", 32, 15.0)], 1, 1, 0, 0, 0, 200),
    ]
    assert scaling_lines(results) == ["- 32 conversations: 15.0 / 10.0 = 1.50x"]
    meta = {"date": "today", "cores": 2, "load_start": 1.0, "load_end": 2.0, "seconds": 5}
    text = markdown(results, meta)
    assert "| one | 32 | 10.0 |" in text and "| two | 32 | 15.0 |" in text
    assert "load average 1.0" in text
