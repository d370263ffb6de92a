"""The gate turns unsure answers and unsure requests into nlu_fallback, and nothing else."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.answer_confidence_gate import (
    AnswerConfidenceGate,
    Thresholds,
    asks_about_earlier_request,
    asks_for_a_person,
    asks_whether_possible,
    unsure_reason,
)

GATE = Thresholds(
    answer_min_confidence=0.5,
    answer_min_margin=0.2,
    request_min_margin=0.3,
    smalltalk_min_margin=0.3,
    out_of_scope_min_confidence=0.95,
)


def intents(*pairs: tuple[str, float]) -> list[dict[str, Any]]:
    return [{"name": name, "confidence": confidence} for name, confidence in pairs]


def answers(*pairs: tuple[str, float]) -> list[dict[str, Any]]:
    return [{"intent_response_key": f"faq/{t}", "confidence": c} for t, c in pairs]


@pytest.mark.parametrize(
    ("intent_ranking", "answer_ranking", "reason"),
    [
        (intents(("faq", 0.95)), answers(("cookies", 0.9), ("law", 0.05)), None),
        (intents(("faq", 0.6)), answers(("cookies", 0.7), ("law", 0.2)), "answer_confidence"),
        (intents(("faq", 0.99)), answers(("cookies", 0.55), ("law", 0.4)), "answer_margin"),
        (intents(("request_erasure", 0.9), ("faq", 0.05)), [], None),
        (intents(("request_complaint", 0.5), ("faq", 0.4)), [], "request_or_question"),
        (intents(("check_request_status", 0.55), ("faq", 0.4)), [], "request_or_question"),
        (
            intents(("greet", 0.5), ("faq", 0.45)),
            answers(("cookies", 0.2)),
            "smalltalk_or_question",
        ),
        (intents(("out_of_scope", 0.44), ("faq", 0.38)), [], "smalltalk_or_question"),
        (intents(("bot_challenge", 0.6), ("faq", 0.35)), [], "smalltalk_or_question"),
        (intents(("out_of_scope", 0.98), ("faq", 0.01)), answers(("cookies", 0.6)), None),
        (intents(("out_of_scope", 0.9), ("faq", 0.04)), [], "out_of_scope_confidence"),
        (intents(("bot_challenge", 0.9), ("faq", 0.04)), [], None),
        (intents(("greet", 0.99)), [], None),
        (intents(("inform", 0.5), ("faq", 0.45)), [], None),
        (intents(("affirm", 0.4), ("faq", 0.35)), [], None),
        (intents(("nlu_fallback", 0.3), ("faq", 0.95)), answers(("cookies", 0.9)), None),
        ([], [], None),
    ],
)
def test_unsure_reason(
    intent_ranking: list[dict[str, Any]], answer_ranking: list[dict[str, Any]], reason: str | None
) -> None:
    assert unsure_reason(intent_ranking, answer_ranking, GATE) == reason


def test_a_refusal_needs_to_be_sure_that_the_message_is_out_of_scope() -> None:
    gate = AnswerConfidenceGate(vars(GATE))
    ranking = intents(("out_of_scope", 0.84), ("faq", 0.16))
    card = "is paying by card on your site stored somewhere?"
    [message] = gate.process([with_text(card, ranking, answers(("payment_cards", 0.7)))])
    assert message.get("intent")["name"] == "nlu_fallback"
    assert message.get("unsure_reason") == "out_of_scope_confidence"
    [weather] = gate.process([with_text("weather in tokyo?", intents(("out_of_scope", 0.99)))])
    assert weather.get("intent")["name"] == "out_of_scope"


def test_zero_thresholds_never_intervene() -> None:
    assert (
        unsure_reason(intents(("faq", 0.01)), answers(("a", 0.01), ("b", 0.01)), Thresholds())
        is None
    )


RIGHTS_BUTTONS = [
    {"title": "See my data (disclosure)", "payload": "/request_disclosure"},
    {"title": "Erase my data", "payload": "/request_erasure"},
]


def parsed(
    intent_ranking: list[dict[str, Any]],
    answer_ranking: list[dict[str, Any]],
    answer_buttons: list[dict[str, str]] | None = None,
) -> Message:
    """A message as the classifier and the answer selector leave it; the chosen answer's
    response has `answer_buttons`."""
    message = Message(data={"text": "is my data sold?"})
    message.set("intent", intent_ranking[0], add_to_output=True)
    message.set("intent_ranking", intent_ranking, add_to_output=True)
    response = {"responses": [{"text": "...", "buttons": answer_buttons or []}]}
    selector = {"faq": {"ranking": answer_ranking, "response": response}}
    message.set("response_selector", selector, add_to_output=True)
    return message


def test_an_unsure_answer_becomes_nlu_fallback_and_keeps_the_rankings() -> None:
    gate = AnswerConfidenceGate(vars(GATE))
    ranking = intents(("faq", 0.99), ("request_stop_use", 0.01))
    [message] = gate.process([parsed(ranking, answers(("selling", 0.55), ("sharing", 0.4)))])
    assert message.get("intent")["name"] == "nlu_fallback"
    assert message.get("unsure_reason") == "answer_margin"
    assert [r["name"] for r in message.get("intent_ranking")] == [
        "nlu_fallback",
        "faq",
        "request_stop_use",
    ]
    assert message.get("response_selector")["faq"]["ranking"][0]["confidence"] == 0.55


def test_a_clear_answer_passes_unchanged() -> None:
    gate = AnswerConfidenceGate(vars(GATE))
    [message] = gate.process([parsed(intents(("faq", 0.97)), answers(("cookies", 0.95)))])
    assert message.get("intent")["name"] == "faq"
    assert message.get("unsure_reason") is None


def test_an_out_of_scope_reading_barely_ahead_of_a_question_becomes_unsure() -> None:
    gate = AnswerConfidenceGate(vars(GATE))
    ranking = intents(("out_of_scope", 0.44), ("faq", 0.38), ("greet", 0.1))
    [message] = gate.process([parsed(ranking, answers(("marketing", 0.48), ("selling", 0.3)))])
    assert message.get("intent")["name"] == "nlu_fallback"
    assert message.get("unsure_reason") == "smalltalk_or_question"


@pytest.mark.parametrize(
    "bad",
    [{"answer_min_margin": 1.5}, {"request_min_margin": "high"}, {"smalltalk_min_margin": -0.1}],
)
def test_bad_thresholds_are_refused_with_the_key_named(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(bad))):
        AnswerConfidenceGate.validate_config(bad)


@pytest.mark.parametrize(
    "text",
    [
        "can I ask you to erase my data completely? like all of it?",
        "plz can my data be corected if its wrong",
        "hi, is it possible to get a copy of what you hold on me?",
        "am i able to have my address removed",
        "Do I have the right to stop you using my data?",
        "cn i get u to wipe my stuff",
    ],
)
def test_asking_whether_one_can_is_a_question(text: str) -> None:
    assert asks_whether_possible(text)


@pytest.mark.parametrize(
    "text",
    [
        "can you delete my data",
        "Could you kindly send me a list of my personal details?",
        "I can't find my data anywhere, delete it",
        "delete my data, can i?",
        "candidly, just erase it",
    ],
)
def test_a_polite_or_plain_request_is_not_asking_whether_one_can(text: str) -> None:
    assert not asks_whether_possible(text)


UNCLEAR_ANSWER = answers(("individual_rights", 0.45), ("account_deletion", 0.4))
CLEAR_ANSWER = answers(("individual_rights", 0.9), ("account_deletion", 0.05))


def with_text(
    text: str,
    intent_ranking: list[dict[str, Any]],
    answer_ranking: list[dict[str, Any]] = UNCLEAR_ANSWER,
    answer_buttons: list[dict[str, str]] = RIGHTS_BUTTONS,
) -> Message:
    message = parsed(intent_ranking, answer_ranking, answer_buttons)
    message.set("text", text)
    return message


def test_a_confident_request_asked_as_can_i_asks_which_the_customer_means() -> None:
    gate = AnswerConfidenceGate(vars(GATE))
    ranking = intents(("request_erasure", 0.98), ("faq", 0.01))
    [message] = gate.process([with_text("can I ask you to erase my data completely?", ranking)])
    assert message.get("intent")["name"] == "nlu_fallback"
    assert message.get("unsure_reason") == "whether_possible"
    assert message.get("request_read") == "request_erasure"


def test_can_i_with_a_clear_answer_gets_the_answer_whose_buttons_open_the_request() -> None:
    gate = AnswerConfidenceGate(vars(GATE))
    ranking = intents(("request_erasure", 0.98), ("faq", 0.01))
    text = "can I ask you to erase my data completely?"
    [message] = gate.process([with_text(text, ranking, CLEAR_ANSWER)])
    assert message.get("intent") == {"name": "faq", "confidence": 0.01}
    assert [r["name"] for r in message.get("intent_ranking")] == ["faq", "request_erasure"]
    assert message.get("unsure_reason") is None
    assert message.get("response_selector")["faq"]["ranking"] == CLEAR_ANSWER


def test_a_request_barely_ahead_of_a_clearly_answered_question_gets_the_answer() -> None:
    gate = AnswerConfidenceGate(vars(GATE))
    ranking = intents(("request_disclosure", 0.58), ("faq", 0.42))
    [message] = gate.process([with_text("could I get a copy of my data", ranking, CLEAR_ANSWER)])
    assert message.get("intent")["name"] == "faq"
    [unclear] = gate.process([with_text("could I get a copy of my data", ranking)])
    assert unclear.get("intent")["name"] == "nlu_fallback"
    assert unclear.get("unsure_reason") == "request_or_question"


def test_a_clear_answer_that_cannot_open_the_request_read_asks_which_is_meant() -> None:
    gate = AnswerConfidenceGate(vars(GATE))
    ranking = intents(("request_erasure", 0.9), ("faq", 0.09))
    revocation = answers(("account_revocation", 0.96), ("account_deletion", 0.01))
    help_desk_only = [{"title": "Ask the Help Desk", "payload": "/request_inquiry"}]
    [message] = gate.process(
        [with_text("can I delete my account", ranking, revocation, help_desk_only)]
    )
    assert message.get("intent")["name"] == "nlu_fallback"
    assert message.get("unsure_reason") == "whether_possible"


def test_a_plain_request_is_not_answered_as_a_question_however_clear_the_answer() -> None:
    gate = AnswerConfidenceGate(vars(GATE))
    ranking = intents(("request_erasure", 0.9), ("faq", 0.1))
    [message] = gate.process([with_text("please erase my data", ranking, CLEAR_ANSWER)])
    assert message.get("intent")["name"] == "request_erasure"


def test_small_talk_near_a_clearly_answered_question_stays_unsure() -> None:
    gate = AnswerConfidenceGate(vars(GATE))
    ranking = intents(("out_of_scope", 0.44), ("faq", 0.38))
    [message] = gate.process([with_text("will you spam me now", ranking, CLEAR_ANSWER)])
    assert message.get("unsure_reason") == "smalltalk_or_question"


def test_a_confident_request_said_plainly_starts() -> None:
    gate = AnswerConfidenceGate(vars(GATE))
    ranking = intents(("request_erasure", 0.98), ("faq", 0.01))
    [message] = gate.process([with_text("please erase my data completely", ranking)])
    assert message.get("intent")["name"] == "request_erasure"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("can i talk to a real person", "request_human"),
        ("can I check where my request is", "check_request_status"),
        ("can i ask the help desk something", "request_inquiry"),
    ],
)
def test_asking_whether_one_can_talk_ask_or_check_is_doing_it(text: str, intent: str) -> None:
    gate = AnswerConfidenceGate(vars(GATE))
    [message] = gate.process([with_text(text, intents((intent, 0.97), ("faq", 0.02)))])
    assert message.get("intent")["name"] == intent


@pytest.mark.parametrize(
    "text",
    [
        "I asked you to delete my data last month, any news?",
        "i sent u my correction weeks ago, has it gone through yet",
        "We requested a copy of our data in March and have heard nothing since.",
        "you promised to stop sharing my details with partners, is that done?",
        "I filled in the form to have my email removed, what's happening with it",
        "my earlier request to stop using my address: where does it stand",
    ],
)
def test_telling_of_an_earlier_request_and_asking_its_progress_is_asking_its_status(
    text: str,
) -> None:
    assert asks_about_earlier_request(text)


@pytest.mark.parametrize(
    "text",
    [
        "please delete my data",  # a new request
        "I asked you to delete my data last month",  # no question of progress
        "I asked you before to update my address: it is now 4 Elm Road",
        "has CASIO ever deleted data without being asked?",  # no earlier request
        "how long does a deletion usually take?",
        "I bought a watch last year, please update my address to 14 Elm Street",
        "is my data processed outside Japan?",
    ],
)
def test_a_request_or_question_without_both_signs_is_not_asking_a_status(text: str) -> None:
    assert not asks_about_earlier_request(text)


STATUS_QUESTION = "I asked you to delete my data last month, any news?"


def test_a_new_request_read_from_words_about_an_earlier_one_looks_that_one_up() -> None:
    gate = AnswerConfidenceGate(vars(GATE))
    ranking = intents(("request_erasure", 0.55), ("check_request_status", 0.36), ("faq", 0.08))
    [message] = gate.process([with_text(STATUS_QUESTION, ranking)])
    assert message.get("intent") == {"name": "check_request_status", "confidence": 0.36}
    assert [r["name"] for r in message.get("intent_ranking")] == [
        "check_request_status",
        "request_erasure",
        "faq",
    ]
    assert message.get("read_as_status") == "request_erasure"
    assert message.get("unsure_reason") is None


def test_a_question_whose_likeliest_request_is_the_status_check_looks_it_up() -> None:
    gate = AnswerConfidenceGate(vars(GATE))
    ranking = intents(("faq", 0.85), ("check_request_status", 0.15), ("request_erasure", 0.0))
    text = "I asked for my data to be deleted two weeks ago, what's the status?"
    [message] = gate.process([with_text(text, ranking, CLEAR_ANSWER)])
    assert message.get("intent")["name"] == "check_request_status"
    assert message.get("read_as_status") == "faq"


def test_a_question_whose_likeliest_request_is_another_keeps_its_reading() -> None:
    gate = AnswerConfidenceGate(vars(GATE))
    ranking = intents(("faq", 0.98), ("request_complaint", 0.02), ("check_request_status", 0.0))
    text = "I reported a leak to the shop and never heard anything back. Who handles this?"
    [message] = gate.process([with_text(text, ranking, CLEAR_ANSWER)])
    assert message.get("intent")["name"] == "faq"
    assert message.get("read_as_status") is None


@pytest.mark.parametrize("intent", ["request_complaint", "request_inquiry", "request_human"])
def test_a_complaint_or_inquiry_about_an_earlier_request_stays_what_it_is(intent: str) -> None:
    gate = AnswerConfidenceGate(vars(GATE))
    ranking = intents((intent, 0.9), ("check_request_status", 0.08), ("faq", 0.02))
    text = "I asked you to delete my data in May and heard nothing, I want to complain about it"
    [message] = gate.process([with_text(text, ranking)])
    assert message.get("intent")["name"] == intent


@pytest.mark.parametrize(
    "text",
    [
        "connect me with whoever handles personal info questions pls",
        "can i talk to an actual person about my personal data",
        "put me through to your privacy team",
        "I'd like to speak with someone about my account",
        "transfer me to a human",
    ],
)
def test_asking_to_be_put_through_to_a_person(text: str) -> None:
    assert asks_for_a_person(text)


@pytest.mark.parametrize(
    "text",
    [
        "do you pass me on to advertisers?",
        "do your staff talk to each other about my data?",
        "I talked to someone at the shop and they couldn't help",
        "who is the person in charge of personal information?",
    ],
)
def test_not_asking_to_be_put_through(text: str) -> None:
    assert not asks_for_a_person(text)


@pytest.mark.parametrize("reading", ["faq", "bot_challenge", "out_of_scope", "request_inquiry"])
def test_a_plain_ask_for_a_person_is_handed_over_whatever_else_it_was_read_as(
    reading: str,
) -> None:
    gate = AnswerConfidenceGate(vars(GATE))
    ranking = intents((reading, 0.61), ("request_inquiry", 0.18), ("request_human", 0.18))
    text = "can i talk to an actual person about my personal data"
    [message] = gate.process([with_text(text, ranking, CLEAR_ANSWER)])
    assert message.get("intent") == {"name": "request_human", "confidence": 0.18}
    assert message.get("hand_over") == reading
    assert message.get("unsure_reason") is None


def test_a_request_that_also_asks_for_a_person_stays_that_request() -> None:
    gate = AnswerConfidenceGate(vars(GATE))
    ranking = intents(("request_erasure", 0.9), ("request_human", 0.05), ("faq", 0.05))
    text = "please delete my data, or connect me with someone who can"
    [message] = gate.process([with_text(text, ranking)])
    assert message.get("intent")["name"] == "request_erasure"


def test_a_plain_ask_for_a_person_barely_ahead_of_a_question_is_handed_over() -> None:
    gate = AnswerConfidenceGate(vars(GATE))
    ranking = intents(("request_human", 0.59), ("faq", 0.4))
    [message] = gate.process([with_text("can I chat with a live agent about my data", ranking)])
    assert message.get("intent")["name"] == "request_human"
    assert message.get("unsure_reason") is None
