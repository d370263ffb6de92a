"""One rule judges every system's answers to the held-out questions."""

from __future__ import annotations

import pytest

from scripts.eval_heldout import (
    Answer,
    Example,
    answer_from_parse,
    is_right,
    parse_nlu_yaml,
    score,
    topic_sections,
)

SECTIONS = topic_sections(
    """
sections:
  - id: use-of-cookies
    topics: [cookies_what, cookies_disable]
  - id: joint-use
    topics: [joint_use]
"""
)
COOKIES = Example("do you use cookies", "faq", "faq/cookies_what")
ERASE = Example("delete my data", "request_erasure", None)


def test_nlu_yaml_gives_intents_response_keys_and_plain_text() -> None:
    examples = parse_nlu_yaml(
        """
version: "3.1"
nlu:
  - intent: faq/joint_use
    examples: |
      - who shares my data
  - intent: inform
    examples: |
      - my email is [jane@example.com](email)
      - it's [PR-1234-ABCD]{"entity": "reference"}
  - synonym: erase
    examples: |
      - delete
"""
    )

    assert examples == [
        Example("who shares my data", "faq", "faq/joint_use"),
        Example("my email is jane@example.com", "inform", None),
        Example("it's PR-1234-ABCD", "inform", None),
    ]


def test_faq_answer_is_right_when_it_comes_from_the_cited_section() -> None:
    same_section_other_topic = Answer("faq", "use-of-cookies", "faq/cookies_disable")

    assert is_right(COOKIES, same_section_other_topic, SECTIONS)
    assert not is_right(COOKIES, Answer("faq", "joint-use", "faq/joint_use"), SECTIONS)
    assert not is_right(COOKIES, Answer("nlu_fallback"), SECTIONS)


def test_other_questions_need_the_right_intent_so_retrieval_always_misses_them() -> None:
    assert is_right(ERASE, Answer("request_erasure"), SECTIONS)
    assert not is_right(ERASE, Answer("faq", "joint-use"), SECTIONS)


def test_score_counts_faq_sections_exact_keys_and_other_intents() -> None:
    answers = [Answer("faq", "use-of-cookies", "faq/cookies_disable"), Answer("request_erasure")]

    result = score([COOKIES, ERASE], answers, SECTIONS, has_response_keys=True)

    assert (result.correct, result.total) == (2, 2)
    assert result.faq_section_accuracy == 1.0
    assert result.faq_key_accuracy == 0.0
    assert result.other_accuracy == 1.0


def test_score_without_response_keys_reports_no_exact_key_score() -> None:
    result = score([COOKIES], [Answer("faq", "use-of-cookies")], SECTIONS, has_response_keys=False)

    assert result.faq_key_accuracy is None


def test_score_refuses_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="2 examples but 1 answers"):
        score([COOKIES, ERASE], [Answer("faq")], SECTIONS, has_response_keys=False)


def test_answer_from_rasa_parse_reads_the_selected_response_key() -> None:
    parse = {
        "intent": {"name": "faq", "confidence": 0.9},
        "response_selector": {
            "faq": {"response": {"intent_response_key": "faq/joint_use", "confidence": 0.8}}
        },
    }

    assert answer_from_parse(parse, SECTIONS) == Answer("faq", "joint-use", "faq/joint_use")
    assert answer_from_parse({"intent": {"name": "greet"}}, SECTIONS) == Answer("greet")
