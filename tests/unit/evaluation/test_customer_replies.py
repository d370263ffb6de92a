"""How a reply to a held-out customer question is judged."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.evaluation.customer_replies import (
    Case,
    Observed,
    Verdict,
    changes_markdown,
    changes_since,
    judge,
    load_cases,
    score_by_kind,
    scores_by_label_markdown,
    verdicts_by_case,
)

ROOT = Path(__file__).resolve().parents[3]
COOKIES = Case(
    id="c1",
    kind="covered",
    text="do you track me while i browse",
    sections=("Use of cookies",),
    expect_any=("cookie",),
)
COOKIE_ANSWER = Observed(
    texts=("Some services use cookies...\n\nSource: [Use of cookies](/#use-of-cookies)",),
    responses=("utter_faq/cookies_purpose",),
)
RETENTION = Case(
    id="n1", kind="not_covered", text="how long do you keep chats", must_not=("30 days",)
)
SILENT = Observed(
    texts=("The policy doesn't say how long data is kept. Source: [Remarks](/#remarks)",),
    button_payloads=("/request_inquiry",),
)
UNSURE = Observed(
    texts=("I'm not sure which part of the policy you mean.", "Is it one of these?"),
    button_payloads=("What do you use cookies for?", "/request_inquiry"),
    responses=("utter_fallback_sorry", "utter_unsure_topics"),
)


def test_a_cited_answer_with_the_expected_words_is_right() -> None:
    assert judge(COOKIES, COOKIE_ANSWER).verdict is Verdict.RIGHT


@pytest.mark.parametrize(
    "seen",
    [
        Observed(texts=("Source: [Remarks](/#remarks) cookies",)),  # wrong section
        Observed(texts=("Source: [Use of cookies](/#use-of-cookies)",)),  # none of expect_any
        Observed(
            texts=("cookies [Use of cookies](/#use-of-cookies)",),
            active_loop="privacy_request_form",
            request_type="stop_use",
        ),  # opened a form
    ],
)
def test_a_covered_question_answered_otherwise_is_wrong(seen: Observed) -> None:
    assert judge(COOKIES, seen).verdict is Verdict.WRONG


def test_the_unsure_path_is_honest_but_not_right_for_a_covered_question() -> None:
    assert judge(COOKIES, UNSURE).verdict is Verdict.UNSURE


def test_saying_the_policy_is_silent_and_offering_the_help_desk_is_right() -> None:
    assert judge(RETENTION, SILENT).verdict is Verdict.RIGHT
    assert judge(RETENTION, UNSURE).verdict is Verdict.RIGHT


def test_a_confident_policy_answer_to_an_uncovered_question_is_wrong() -> None:
    judgement = judge(RETENTION, COOKIE_ANSWER)
    assert judgement.verdict is Verdict.WRONG
    assert "offers no Help Desk button" in judgement.reasons


def test_an_invented_fact_is_wrong_even_when_the_bot_says_the_policy_is_silent() -> None:
    seen = Observed(
        texts=("The policy doesn't say; we keep chats for 30 days.",),
        button_payloads=("/request_inquiry",),
    )
    assert judge(RETENTION, seen).verdict is Verdict.WRONG


@pytest.mark.parametrize(
    ("seen", "verdict"),
    [
        (Observed(active_loop="privacy_request_form", request_type="erasure"), Verdict.RIGHT),
        (Observed(active_loop="privacy_request_form", request_type="stop_use"), Verdict.WRONG),
        (Observed(active_loop="request_status_form"), Verdict.WRONG),
        (COOKIE_ANSWER, Verdict.WRONG),
        (UNSURE, Verdict.UNSURE),
    ],
)
def test_a_request_is_right_only_when_its_form_starts(seen: Observed, verdict: Verdict) -> None:
    case = Case(id="r1", kind="request", text="delete me", request_type="erasure")
    assert judge(case, seen).verdict is verdict


def test_a_status_request_starts_the_status_form() -> None:
    case = Case(id="r2", kind="request", text="where is PR-1", request_type="status")
    assert judge(case, Observed(active_loop="request_status_form")).verdict is Verdict.RIGHT


def test_small_talk_is_judged_by_the_response_sent() -> None:
    case = Case(id="s1", kind="smalltalk", text="hiya", expect="greet")
    assert judge(case, Observed(responses=("utter_greet",))).verdict is Verdict.RIGHT
    assert judge(case, Observed(responses=("utter_out_of_scope",))).verdict is Verdict.WRONG


def test_scores_count_each_verdict_per_kind() -> None:
    judgements = [judge(COOKIES, COOKIE_ANSWER), judge(COOKIES, UNSURE), judge(RETENTION, SILENT)]
    scores = score_by_kind(judgements)
    assert (scores["covered"].right, scores["covered"].unsure, scores["covered"].wrong) == (1, 1, 0)
    assert scores["covered"].score == 0.5
    assert scores["not_covered"].score == 1.0
    assert scores["request"].total == 0


def test_the_held_out_file_loads_with_every_kind_and_its_floors_in_the_issue() -> None:
    cases = load_cases(ROOT / "tests" / "heldout" / "customer-questions.yml")
    counts = {kind: sum(1 for c in cases if c.kind == kind) for kind in score_by_kind([])}
    assert counts["covered"] >= 150
    assert counts["not_covered"] >= 60
    assert counts["request"] >= 30
    assert counts["smalltalk"] >= 20
    assert len({c.id for c in cases}) == len(cases)


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        Case.from_dict({"id": "x", "kind": "chitchat", "text": "hi"})


def test_scores_by_label_say_what_the_bot_did_instead_without_any_question_text() -> None:
    forms_instead = Observed(
        texts=("What is your name?",),
        active_loop="privacy_request_form",
        request_type="stop_third_party",
    )
    judgements = [
        judge(COOKIES, COOKIE_ANSWER),
        judge(COOKIES, forms_instead),
        judge(COOKIES, UNSURE),
        judge(RETENTION, SILENT),
    ]

    table = scores_by_label_markdown(judgements)

    assert "| covered | Use of cookies | 3 | 1 | 1 | 1 | started stop_third_party ×1 |" in table
    assert "| not_covered | not covered | 1 | 1 | 0 | 0 |  |" in table
    assert COOKIES.text not in table and RETENTION.text not in table


def test_citing_a_part_nested_in_the_wanted_section_is_right_but_not_the_other_way() -> None:
    outline = {"use of cookies": frozenset({"request to customers"})}
    wants_parent = Case(
        id="c2",
        kind="covered",
        text="cookies?",
        sections=("Request to Customers",),
        expect_any=("cookie",),
    )
    cites_parent = Observed(
        texts=("cookies...\n\nSource: [Request to Customers](/#request-to-customers)",)
    )

    assert judge(wants_parent, COOKIE_ANSWER, outline).verdict is Verdict.RIGHT
    assert judge(wants_parent, COOKIE_ANSWER).verdict is Verdict.WRONG  # exact titles only
    assert judge(COOKIES, cites_parent, outline).verdict is Verdict.WRONG


def test_changes_since_the_last_run_list_better_and_worse_cases_without_their_text() -> None:
    last_run = verdicts_by_case([judge(COOKIES, UNSURE), judge(RETENTION, SILENT)])
    wrong_now = Observed(texts=("Source: [Remarks](/#remarks)",), responses=("utter_faq/x",))
    new_case = Case(id="c2", kind="covered", text="cookies?", sections=("Use of cookies",))
    this_run = [
        judge(COOKIES, COOKIE_ANSWER),
        judge(RETENTION, wrong_now),
        judge(new_case, COOKIE_ANSWER),
    ]

    changes = changes_since(last_run, this_run)
    report = changes_markdown(changes)

    assert last_run == {"c1": "unsure", "n1": "right"}
    assert [(c.judgement.case.id, c.before, c.better) for c in changes] == [
        ("c1", Verdict.UNSURE, True),
        ("n1", Verdict.RIGHT, False),
    ]
    assert "1 better, 1 worse." in report
    assert "| n1 | not_covered | not covered | right | wrong | cited remarks |" in report
    assert "| c1 | covered | Use of cookies | unsure | right | cited use of cookies |" in report
    assert report.index("| n1 ") < report.index("| c1 "), "the worse cases come first"
    assert COOKIES.text not in report and RETENTION.text not in report


def test_nothing_changed_is_no_change() -> None:
    judgements = [judge(COOKIES, COOKIE_ANSWER), judge(RETENTION, SILENT)]
    assert changes_since(verdicts_by_case(judgements), judgements) == []
