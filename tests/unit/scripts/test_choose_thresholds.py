"""Choosing the gate's thresholds on the dev set: a grid point gives each question the verdict
of the reply the gate's decision leads to (act, answer the question, or unsure) on its rankings
and words."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rasa.shared.nlu.training_data.message import Message

from bot.nlu.answer_confidence_gate import AnswerConfidenceGate, Thresholds
from scripts.choose_thresholds import (
    ACT,
    GRID,
    UNSURE,
    DevParsed,
    beats,
    configured_thresholds,
    dev_cost,
    dev_grid_search,
    dev_verdict,
    forced_decision,
    main,
    rights_of,
    trade_off,
)


def case(
    kind: str, faq: float, answer: float, answered: str, unsure: str, second: float = 0.0
) -> DevParsed:
    return DevParsed(
        id=f"{kind}-{faq}-{answer}",
        kind=kind,
        text="what do you do with my data",
        intent_ranking=[{"name": "faq", "confidence": faq}],
        answer_ranking=[
            {"intent_response_key": "faq/a", "confidence": answer},
            {"intent_response_key": "faq/b", "confidence": second},
        ],
        answer_offers=[],
        answered=answered,
        as_question=answered,
        unsure=unsure,
    )


def request(text: str, answer: float) -> DevParsed:
    """A request that barely leads its FAQ reading, whose answer is `answer` sure."""
    return DevParsed(
        id=f"request-{text}",
        kind="request",
        text=text,
        intent_ranking=[
            {"name": "request_erasure", "confidence": 0.55},
            {"name": "faq", "confidence": 0.4},
        ],
        answer_ranking=[{"intent_response_key": "faq/rights", "confidence": answer}],
        answer_offers=["request_erasure"],
        answered="right",
        as_question="wrong",
        unsure="unsure",
    )


SURE_RIGHT = case("covered", 0.95, 0.9, "right", "unsure")
UNSURE_WRONG = case("covered", 0.6, 0.5, "wrong", "unsure")
SILENT_GUESS = case("not_covered", 0.7, 0.6, "wrong", "right")
REQUEST = request("erase my data", answer=0.0)
CASES = [SURE_RIGHT, UNSURE_WRONG, SILENT_GUESS, REQUEST]


def test_the_gate_open_keeps_every_answer_and_shut_makes_every_one_unsure() -> None:
    assert [dev_verdict(c, Thresholds()) for c in CASES] == ["right", "wrong", "wrong", "right"]
    shut = Thresholds(1.0, 1.0, 1.0)
    assert [dev_verdict(c, shut) for c in CASES] == ["unsure", "unsure", "right", "unsure"]


def test_the_cost_counts_each_kind_and_weighs_a_wrong_reply() -> None:
    row = dev_cost(CASES, Thresholds(answer_min_confidence=0.5), wrong_cost=3)
    assert row["covered_right"] == 1 and row["covered_unsure"] == 1
    assert row["not_covered_right"] == 1 and row["request_right"] == 1
    assert row["wrong"] == 0 and row["cost"] == 1
    assert dev_cost(CASES, Thresholds(), wrong_cost=3)["cost"] == 6


def test_the_grid_prefers_no_wrong_reply_then_more_right_answers() -> None:
    best = dev_grid_search(CASES, wrong_cost=3)[0]
    assert best["wrong"] == 0 and best["covered_right"] == 1 and best["request_right"] == 1
    assert 0.3 < best["answer_min_confidence"] <= 0.85


def test_ties_go_to_the_more_cautious_setting() -> None:
    best = dev_grid_search(CASES, wrong_cost=3)[0]
    # every request margin up to 0.1 keeps REQUEST (it leads the FAQ reading by 0.15)
    assert best["request_min_margin"] == 0.1
    assert best["answer_min_margin"] == max(GRID["answer_min_margin"])


def test_beating_the_current_bot_takes_more_covered_and_not_covered_right() -> None:
    current = {"covered": 10, "not_covered": 5, "request": 3, "smalltalk": 2}
    row = {"covered_right": 11, "not_covered_right": 6, "request_right": 3, "smalltalk_right": 2}
    assert beats(row, current)
    assert not beats({**row, "not_covered_right": 5}, current)
    assert not beats({**row, "request_right": 2}, current)


def test_the_current_bots_rights_come_from_its_summary(tmp_path: Path) -> None:
    summary = tmp_path / "summary.json"
    kinds = {
        k: {"right": r, "unsure": 0, "wrong": 0}
        for k, r in [("covered", 9), ("not_covered", 8), ("request", 7), ("smalltalk", 6)]
    }
    summary.write_text(json.dumps({"kinds": kinds}))
    assert rights_of(summary) == {"covered": 9, "not_covered": 8, "request": 7, "smalltalk": 6}


def test_the_trade_off_keeps_only_rows_nothing_beats_on_both_sides() -> None:
    rows: list[dict[str, Any]] = [
        {"covered_right": 10, "not_covered_right": 5, "wrong": 4, "cost": 9},
        {"covered_right": 10, "not_covered_right": 6, "wrong": 3, "cost": 8},
        {"covered_right": 9, "not_covered_right": 6, "wrong": 3, "cost": 9},
        {"covered_right": 8, "not_covered_right": 7, "wrong": 2, "cost": 9},
    ]
    assert [(r["covered_right"], r["not_covered_right"]) for r in trade_off(rows)] == [
        (10, 6),
        (8, 7),
    ]


def test_a_request_near_a_clearly_answered_question_gets_the_answer() -> None:
    near = request("erase my data", answer=0.9)
    assert dev_verdict(near, Thresholds(request_min_margin=0.3)) == "wrong"  # the answer's verdict
    assert dev_verdict(near, Thresholds(0.95, 0.0, 0.3)) == "unsure"  # the answer is not clear
    assert dev_verdict(near, Thresholds(request_min_margin=0.1)) == "right"  # the request leads


def test_can_i_gets_the_answer_when_it_is_clear_whatever_the_margin() -> None:
    asked = request("can I ask you to erase my data?", answer=0.9)
    assert dev_verdict(asked, Thresholds()) == "wrong"
    assert dev_verdict(asked, Thresholds(answer_min_confidence=0.95)) == "unsure"


def test_an_answer_without_the_requests_button_never_replaces_asking() -> None:
    asked = request("can I ask you to erase my data?", answer=0.9)
    elsewhere = DevParsed(**{**vars(asked), "answer_offers": ["request_inquiry"]})
    assert dev_verdict(elsewhere, Thresholds()) == "unsure"


def gate_input() -> Message:
    message = Message(data={"text": "can I have my data erased?"})
    ranking = [{"name": "request_erasure", "confidence": 0.6}, {"name": "faq", "confidence": 0.4}]
    message.set("intent", ranking[0], add_to_output=True)
    message.set("intent_ranking", ranking, add_to_output=True)
    answers = [{"intent_response_key": "faq/a", "confidence": 0.9}]
    response = {"responses": [{"text": "...", "buttons": [{"payload": "/request_erasure"}]}]}
    selector = {"faq": {"ranking": answers, "response": response}}
    message.set("response_selector", selector, add_to_output=True)
    return message


def test_a_forced_decision_overrides_the_loaded_gates_config() -> None:
    gate = AnswerConfidenceGate({"answer_min_confidence": 0.5})
    decided = {}
    for decision in (ACT, "answer_the_question", UNSURE):
        with forced_decision(decision):
            [message] = gate.process([gate_input()])
        decided[decision] = message.get("intent")["name"]
    [unforced] = gate.process([gate_input()])
    assert decided == {ACT: "request_erasure", "answer_the_question": "faq", UNSURE: "nlu_fallback"}
    assert unforced.get("intent")["name"] == "faq"


def test_configured_thresholds_are_read_from_the_pipeline(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text(
        "pipeline:\n  - name: WhitespaceTokenizer\n"
        "  - name: bot.nlu.answer_confidence_gate.AnswerConfidenceGate\n"
        "    answer_min_confidence: 0.5\n    request_min_margin: 0.2\n"
    )
    assert configured_thresholds(config) == Thresholds(0.5, 0.0, 0.2)


def test_main_rescores_a_saved_dev_run_without_the_bot(tmp_path: Path) -> None:
    parsed = tmp_path / "dev-parsed.json"
    parsed.write_text(json.dumps([vars(c) for c in CASES]))
    out = tmp_path / "out"
    argv = ["--dev-cases", "unused.yml", "--from-parsed", str(parsed), "--out", str(out)]
    assert main(argv) == 0
    report = (out / "dev-thresholds.md").read_text()
    assert "4 questions" in report and "## Trade-off" in report
    assert "beat the current bot" not in report
    summary = tmp_path / "summary.json"
    kinds = {k: {"right": 0} for k in ("covered", "not_covered", "request", "smalltalk")}
    summary.write_text(json.dumps({"kinds": kinds}))
    assert main([*argv, "--beat", str(summary)]) == 0
    assert "beat the current bot" in (out / "dev-thresholds.md").read_text()
