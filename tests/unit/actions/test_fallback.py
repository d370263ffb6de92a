"""The low-confidence fallback offers the closest topics as buttons that reliably answer them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import fallback
from actions.fallback import (
    DEFAULT_TOPICS,
    MAX_SUGGESTIONS,
    ActionSuggestTopics,
    Suggestion,
    faq_suggestions,
    offer_for,
    request_suggestions,
)
from tests.support.responses import rendered, response_text

ROOT = Path(__file__).resolve().parents[3]


DOMAIN = Domain.load(str(ROOT / "domain.yml")).as_dict()
# The buttons, as the action reads them from the domain.
FAQ_TOPICS = faq_suggestions(DOMAIN)
REQUEST_SUGGESTIONS = request_suggestions(DOMAIN)
HELP_DESK = REQUEST_SUGGESTIONS["request_inquiry"]


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    return DOMAIN


def suggestions_for(latest: dict[str, Any]) -> list[Suggestion]:
    return offer_for(latest, DOMAIN).suggestions


def closest_faq_topics(latest: dict[str, Any]) -> list[str]:
    return fallback.closest_faq_topics(latest, FAQ_TOPICS, MAX_SUGGESTIONS)


def faq_training_examples() -> dict[str, list[str]]:
    data = yaml.safe_load((ROOT / "data" / "nlu" / "faq.yml").read_text(encoding="utf-8"))
    examples: dict[str, list[str]] = {}
    for block in data["nlu"]:
        topic = block["intent"].split("/", 1)[1]
        examples[topic] = [line[2:].strip() for line in block["examples"].strip().splitlines()]
    return examples


def ranking(*topics_and_confidences: tuple[str, float]) -> dict[str, Any]:
    return {
        "faq": {
            "ranking": [
                {"id": index, "confidence": confidence, "intent_response_key": f"faq/{topic}"}
                for index, (topic, confidence) in enumerate(topics_and_confidences)
            ]
        }
    }


def message(
    response_selector: dict[str, Any] | None = None,
    intent_ranking: list[dict[str, Any]] | None = None,
    text: str = "something unclear",
) -> dict[str, Any]:
    latest: dict[str, Any] = {
        "text": text,
        "intent": {"name": "nlu_fallback", "confidence": 0.4},
    }
    if response_selector is not None:
        latest["response_selector"] = response_selector
    if intent_ranking is not None:
        latest["intent_ranking"] = intent_ranking
    return latest


def tracker_with(latest_message: dict[str, Any] | None) -> Tracker:
    return Tracker.from_dict(
        {
            "sender_id": "customer-1",
            "slots": {},
            "latest_message": latest_message,
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "utter_fallback_sorry",
        }
    )


async def run_action(latest_message: dict[str, Any] | None, domain: dict[str, Any]) -> list[Any]:
    dispatcher = CollectingDispatcher()
    events = await ActionSuggestTopics().run(dispatcher, tracker_with(latest_message), domain)
    assert events == []
    return rendered(dispatcher.messages)


# --- the catalogue stays in step with the domain and the training data --------------------------


def test_every_faq_answer_in_the_domain_has_a_button(domain: dict[str, Any]) -> None:
    answered = {
        name.split("/", 1)[1] for name in domain["responses"] if name.startswith("utter_faq/")
    }
    assert set(FAQ_TOPICS) == answered


def test_each_button_question_is_a_training_example_of_its_topic() -> None:
    examples = faq_training_examples()
    for topic, suggestion in FAQ_TOPICS.items():
        assert suggestion.payload in examples[topic], topic


def test_out_of_scope_buttons_ask_known_canonical_questions(domain: dict[str, Any]) -> None:
    canonical = {suggestion.payload for suggestion in FAQ_TOPICS.values()}
    buttons = domain["responses"]["utter_out_of_scope"][0]["buttons"]
    assert buttons and all(button["payload"] in canonical for button in buttons)


def test_the_action_is_declared_in_the_domain(domain: dict[str, Any]) -> None:
    assert ActionSuggestTopics().name() in domain["actions"]


# --- choosing the suggestions ---------------------------------------------------------------


async def test_offers_the_best_ranked_topics_in_order_then_the_help_desk(
    domain: dict[str, Any],
) -> None:
    latest = message(
        ranking(("cookies_disable", 0.4), ("cookies_leak", 0.3), ("cookies_purpose", 0.2))
    )
    [reply] = await run_action(latest, domain)
    assert reply["text"] == response_text("utter_unsure_topics")
    assert reply["buttons"] == [
        FAQ_TOPICS["cookies_disable"].as_button(),
        FAQ_TOPICS["cookies_leak"].as_button(),
        FAQ_TOPICS["cookies_purpose"].as_button(),
        HELP_DESK.as_button(),
    ]


@pytest.mark.parametrize(
    "latest",
    [
        pytest.param(None, id="no latest message"),
        pytest.param(message(), id="no response selector"),
        pytest.param(message({}), id="empty response selector"),
        pytest.param(message({"faq": {}}), id="no ranking"),
        pytest.param(message({"faq": {"ranking": []}}), id="empty ranking"),
        pytest.param(message(ranking(("no_such_topic", 0.9))), id="unknown topic only"),
        pytest.param(
            message({"faq": {"ranking": [{"confidence": 0.9}]}}), id="candidate without a key"
        ),
    ],
)
async def test_without_usable_ranking_offers_default_topics_and_the_help_desk(
    latest: dict[str, Any] | None, domain: dict[str, Any]
) -> None:
    [reply] = await run_action(latest, domain)
    assert reply["text"] == response_text("utter_ask_rephrase")
    expected = [FAQ_TOPICS[topic].as_button() for topic in DEFAULT_TOPICS]
    assert reply["buttons"] == [*expected, HELP_DESK.as_button()]


async def test_one_candidate_gives_that_topic_and_the_help_desk(domain: dict[str, Any]) -> None:
    [reply] = await run_action(message(ranking(("joint_use_manager", 0.35))), domain)
    assert reply["text"] == response_text("utter_unsure_topics")
    assert reply["buttons"] == [
        FAQ_TOPICS["joint_use_manager"].as_button(),
        HELP_DESK.as_button(),
    ]


def test_repeated_and_unknown_topics_are_skipped() -> None:
    latest = message(
        ranking(
            ("security_measures", 0.3),
            ("security_measures", 0.2),
            ("retired_topic", 0.2),
            ("not_covered_breach", 0.1),
        )
    )
    assert closest_faq_topics(latest) == ["security_measures", "not_covered_breach"]


def test_never_offers_more_than_the_limit_of_topics() -> None:
    many = [(topic, 0.01) for topic in list(FAQ_TOPICS)[:10]]
    assert len(closest_faq_topics(message(ranking(*many)))) == MAX_SUGGESTIONS


def test_a_likely_request_comes_first_and_is_not_repeated() -> None:
    latest = message(
        ranking(("account_deletion", 0.3), ("individual_rights", 0.2), ("modify_data", 0.1)),
        intent_ranking=[
            {"name": "nlu_fallback", "confidence": 0.4},
            {"name": "request_erasure", "confidence": 0.35},
            {"name": "faq", "confidence": 0.25},
        ],
    )
    assert suggestions_for(latest) == [
        REQUEST_SUGGESTIONS["request_erasure"],
        FAQ_TOPICS["account_deletion"],
        FAQ_TOPICS["individual_rights"],
        HELP_DESK,
    ]


def test_the_help_desk_is_offered_once_when_it_is_the_likely_request() -> None:
    latest = message(
        ranking(("help_desk_contact", 0.3)),
        intent_ranking=[{"name": "request_inquiry", "confidence": 0.5}],
    )
    assert suggestions_for(latest) == [HELP_DESK, FAQ_TOPICS["help_desk_contact"]]


@pytest.mark.parametrize(
    "intent_ranking",
    [
        pytest.param([{"name": "request_erasure", "confidence": 0.05}], id="too unsure"),
        pytest.param([{"name": "greet", "confidence": 0.9}], id="not a request"),
        pytest.param([{"name": "request_erasure", "confidence": None}], id="no confidence"),
        pytest.param([], id="empty intent ranking"),
    ],
)
def test_unlikely_requests_are_not_offered(intent_ranking: list[dict[str, Any]]) -> None:
    latest = message(ranking(("cookies_purpose", 0.3)), intent_ranking=intent_ranking)
    assert suggestions_for(latest) == [FAQ_TOPICS["cookies_purpose"], HELP_DESK]


def test_button_titles_are_short_and_payloads_are_questions_or_intents() -> None:
    for suggestion in [*FAQ_TOPICS.values(), *REQUEST_SUGGESTIONS.values()]:
        assert 0 < len(suggestion.title) <= 40, suggestion.title
        assert suggestion.payload.endswith("?") or suggestion.payload.startswith("/")


@pytest.mark.parametrize("reason", ["request_or_question", "whether_possible"])
async def test_a_request_that_may_be_a_question_asks_which_one_is_meant(
    domain: dict[str, Any], reason: str
) -> None:
    latest = message(ranking(("queries_complaints", 0.6), ("individual_rights", 0.2)))
    latest["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.5},
        {"name": "request_complaint", "confidence": 0.5},
        {"name": "faq", "confidence": 0.45},
    ]
    latest["unsure_reason"] = reason
    [reply] = await run_action(latest, domain)
    assert reply["text"] == response_text("utter_request_or_question")
    payloads = [button["payload"] for button in reply["buttons"]]
    assert payloads[0] == "/request_complaint"
    assert FAQ_TOPICS["queries_complaints"].payload in payloads
    assert payloads[-1] == HELP_DESK.payload


def test_the_reason_key_matches_the_nlu_gate() -> None:
    from actions import fallback
    from bot.nlu import answer_confidence_gate

    assert fallback.UNSURE_REASON == answer_confidence_gate.UNSURE_REASON
    assert (
        answer_confidence_gate.unsure_reason(
            [{"name": "request_complaint", "confidence": 0.5}, {"name": "faq", "confidence": 0.45}],
            [],
            answer_confidence_gate.Thresholds(request_min_margin=0.1),
        )
        == fallback.REQUEST_OR_QUESTION
    )
    assert fallback.WHETHER_POSSIBLE == answer_confidence_gate.WHETHER_POSSIBLE
    assert fallback.REQUEST_READ == answer_confidence_gate.REQUEST_READ
