"""Policy answers say what the policy says, in its words, and nothing it does not (issue #11)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
POLICY = (ROOT / "data" / "policy" / "privacy-policy.md").read_text(encoding="utf-8")
RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
ANSWERS = {
    name.split("/", 1)[1]: variants[0]["text"]
    for name, variants in RESPONSES.items()
    if name.startswith("utter_faq/")
}
CONSENT_DIFFICULT = "and obtaining the consent of the individual would be difficult"
LIFE_AND_HEALTH = f"health, or property, {CONSENT_DIFFICULT}"
CHILDREN = f"healthy development of children, {CONSENT_DIFFICULT}"
GOVERNMENT = "obtaining the consent of the individual may hinder the performance of this work"
TIME_LIMIT = re.compile(r"\b\d+\s*(?:business\s+)?(?:days?|weeks?|months?|years?)\b")


def _flat(text: str) -> str:
    return " ".join(text.lower().split())


def answer(topic: str) -> str:
    return _flat(ANSWERS[topic])


def test_there_are_answers_to_check() -> None:
    assert len(ANSWERS) >= 45


@pytest.mark.parametrize("topic", ["third_party_sharing", "third_party_emergency"])
def test_the_life_and_public_health_exceptions_keep_their_consent_qualifier(topic: str) -> None:
    assert LIFE_AND_HEALTH in answer(topic)
    assert CHILDREN in answer(topic)


@pytest.mark.parametrize("topic", ["third_party_sharing", "third_party_legal"])
def test_the_government_exception_keeps_its_qualifier(topic: str) -> None:
    assert GOVERNMENT in answer(topic)


def test_the_qualifiers_are_the_policys_own_words() -> None:
    for phrase in (LIFE_AND_HEALTH, CHILDREN, GOVERNMENT):
        assert phrase in _flat(POLICY)


def test_account_deletion_does_not_pass_a_chat_ticket_off_as_casios_procedure() -> None:
    text = answer("account_deletion")
    assert "procedures separately determined by casio" in text
    assert "refers to those procedures without describing them" in text


def test_the_international_answer_does_not_claim_the_policy_only_names_japanese_law() -> None:
    assert "only says" not in answer("not_covered_international")


@pytest.mark.parametrize("topic", sorted(ANSWERS))
def test_no_answer_invents_a_time_limit(topic: str) -> None:
    invented = TIME_LIMIT.findall(answer(topic))
    assert not invented, f"{topic} states {invented}; the policy gives no such period"


def quotes_the_policy_lacks(text: str) -> list[str]:
    """What the answer puts in quotation marks as the policy's words that the policy does not
    contain. A "The policy doesn't say X" sentence names X to say it is absent, so only what
    follows "What it does say is" counts in those answers."""
    body = text.split("\n\nSource:")[0]
    if body.startswith("The policy doesn"):
        body = body.partition("What it does say")[2]
    return [q for q in re.findall(r'"([^"]+)"', body) if _flat(q) not in _flat(POLICY)]


@pytest.mark.parametrize("topic", sorted(ANSWERS))
def test_what_an_answer_quotes_is_in_the_policy(topic: str) -> None:
    missing = quotes_the_policy_lacks(ANSWERS[topic])
    assert not missing, f"{topic} quotes {missing}, which the policy does not say"


def test_an_invented_quote_is_caught_but_a_named_absence_is_not() -> None:
    assert quotes_the_policy_lacks('CASIO says "we never share data".') == ["we never share data"]
    absent = 'The policy doesn\'t mention "Do Not Track". What it does say is that "cookies" exist.'
    assert quotes_the_policy_lacks(absent) == []


NOT_COVERED = sorted(topic for topic in ANSWERS if topic.startswith("not_covered_"))


def test_there_are_not_covered_topics_to_check() -> None:
    assert len(NOT_COVERED) >= 20


@pytest.mark.parametrize("topic", NOT_COVERED)
def test_a_not_covered_answer_says_so_cites_the_nearest_section_and_offers_the_help_desk(
    topic: str,
) -> None:
    variant = RESPONSES[f"utter_faq/{topic}"][0]
    assert variant["text"].startswith("The policy doesn't"), variant["text"][:60]
    assert "Source: [" in variant["text"]
    payloads = [button["payload"] for button in variant.get("buttons") or []]
    assert "/request_inquiry" in payloads or "/request_complaint" in payloads, payloads


SECOND_PERSON = frozenset({"you", "your", "yours"})
SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+")


def second_person_inside_policy_words(text: str) -> list[str]:
    """Each "you"/"your" with four of the policy's own words, in order, just before or after it
    in the same sentence: a quoted sentence turned from the policy's third person."""
    policy = _flat(POLICY)
    found = []
    for sentence in SENTENCE_END.split(_flat(text)):
        words = sentence.split()
        for i, word in enumerate(words):
            if word.strip('.,;:"') not in SECOND_PERSON:
                continue
            before = " ".join(words[i - 4 : i]) if i >= 4 else ""
            after = " ".join(words[i + 1 : i + 5]).rstrip(".,;:") if len(words) > i + 4 else ""
            if (before and before in policy) or (after and after in policy):
                found.append(" ".join(words[max(0, i - 4) : i + 5]))
    return found


def test_the_third_person_check_finds_a_quote_turned_to_you() -> None:
    turned = "CASIO may immediately and without prior notice revoke your right to use the service."
    assert second_person_inside_policy_words(turned)
    assert not second_person_inside_policy_words("I can open a correction request for you.")


@pytest.mark.parametrize("topic", sorted(ANSWERS))
def test_a_quoted_policy_sentence_keeps_the_policys_third_person(topic: str) -> None:
    assert second_person_inside_policy_words(ANSWERS[topic]) == []
