"""A long message that is refused or unsure as a whole takes the request one of its sentences
makes; nothing else changes."""

from __future__ import annotations

from typing import Any
from unittest.mock import MagicMock

import pytest
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.answer_confidence_gate import REQUEST_READ, UNSURE_REASON
from bot.nlu.sentence_reading import (
    MAX_SENTENCES,
    READ_FROM_SENTENCE,
    SENTENCE_OF,
    SentenceReadingMerger,
    SentenceSplitter,
    asks_in_so_many_words,
    sentences_of,
)

STORY = (
    "I've bought watches and a keyboard from you over the years. "
    "Please send me a copy of everything you hold about me."
)


def splitter() -> SentenceSplitter:
    return SentenceSplitter.create({}, MagicMock(), MagicMock(), MagicMock())


def merger() -> SentenceReadingMerger:
    return SentenceReadingMerger.create({}, MagicMock(), MagicMock(), MagicMock())


def read_as(message: Message, intent: str, confidence: float) -> None:
    """What the classifiers and the gate would have said about the message."""
    reading = {"name": intent, "confidence": confidence}
    message.set("intent", reading, add_to_output=True)
    message.set("intent_ranking", [reading], add_to_output=True)


def split_and_read(text: str, whole: str, *sentence_intents: tuple[str, float]) -> list[Message]:
    """The batch after the whole pipeline: the message and its sentences, each read."""
    batch = splitter().process([Message(data={TEXT: text})])
    read_as(batch[0], whole, 0.6)
    assert len(batch) == 1 + len(sentence_intents), [m.get(TEXT) for m in batch]
    for sentence, (intent, confidence) in zip(batch[1:], sentence_intents):
        read_as(sentence, intent, confidence)
    return batch


def test_sentences_are_split_at_their_ends_and_short_ones_are_left_out() -> None:
    assert sentences_of("My son's account vanished. Thanks. Can you delete what is left?") == [
        "My son's account vanished.",
        "Can you delete what is left?",
    ]
    assert sentences_of("Line one of it\nline two of it") == ["Line one of it", "line two of it"]


def test_clauses_that_stand_alone_are_read_alone_too() -> None:
    text = "I've had three watches from you, and I'd like to see everything you hold: all of it"
    assert sentences_of(text) == [
        "I've had three watches from you",
        "I'd like to see everything you hold:",
        "all of it",
    ]
    assert sentences_of("My data, my watches and my kids") == []


@pytest.mark.parametrize(
    "text",
    [
        "how do you use cookies?",
        "Thanks. Bye.",
        '/inform{"details": "one thing. another thing here. and a third"}',
        " ".join(f"Sentence number {n} here." for n in range(MAX_SENTENCES + 1)),
    ],
)
def test_no_sentences_are_read_for_one_sentence_a_payload_or_too_many(text: str) -> None:
    assert sentences_of(text) == []
    assert splitter().process([Message(data={TEXT: text})])[1:] == []


def test_each_sentence_joins_the_batch_marked_with_its_message() -> None:
    first, second = Message(data={TEXT: "hello"}), Message(data={TEXT: STORY})
    batch = splitter().process([first, second])
    assert batch[:2] == [first, second]
    assert [(m.get(TEXT), m.get(SENTENCE_OF)) for m in batch[2:]] == [
        ("I've bought watches and a keyboard from you over the years.", 1),
        ("Please send me a copy of everything you hold about me.", 1),
    ]


def test_training_data_passes_through() -> None:
    data = TrainingData([Message.build(text=STORY, intent="request_disclosure")])
    assert splitter().process_training_data(data).training_examples[0].get(TEXT) == STORY


@pytest.mark.parametrize("whole", ["out_of_scope", "nlu_fallback"])
def test_a_refused_or_unsure_message_takes_its_sentences_request(whole: str) -> None:
    batch = split_and_read(STORY, whole, ("out_of_scope", 0.7), ("request_disclosure", 0.99))
    batch[0].set(UNSURE_REASON, "answer_confidence", add_to_output=True)

    [message] = merger().process(batch)

    assert message.get("intent") == {"name": "request_disclosure", "confidence": 0.99}
    assert message.get("intent_ranking")[0]["name"] == "request_disclosure"
    assert message.get(READ_FROM_SENTENCE) == (
        "Please send me a copy of everything you hold about me."
    )
    assert message.get(UNSURE_REASON) is None


def test_the_most_confident_request_sentence_wins() -> None:
    text = "Please stop using my data for ads. And delete my whole account too."
    batch = split_and_read(
        text, "nlu_fallback", ("request_stop_use", 0.7), ("request_erasure", 0.95)
    )
    batch[0].set(REQUEST_READ, "request_stop_use", add_to_output=True)
    [message] = merger().process(batch)
    assert message.get("intent")["name"] == "request_erasure"
    assert message.get(REQUEST_READ) is None


@pytest.mark.parametrize("whole", ["request_correction", "greet"])
def test_a_message_read_clearly_as_a_whole_keeps_its_reading(whole: str) -> None:
    batch = split_and_read(STORY, whole, ("out_of_scope", 0.7), ("request_disclosure", 0.99))
    [message] = merger().process(batch)
    assert message.get("intent")["name"] == whole
    assert message.get(READ_FROM_SENTENCE) is None


def test_a_question_takes_a_sentences_request_asked_in_so_many_words() -> None:
    batch = split_and_read(STORY, "faq", ("out_of_scope", 0.7), ("request_disclosure", 0.99))
    [message] = merger().process(batch)
    assert message.get("intent")["name"] == "request_disclosure"


def test_a_question_keeps_its_reading_when_its_request_sentence_does_not_ask_plainly() -> None:
    text = "My account got shut down with zero warning. I searched and found nothing anywhere."
    batch = split_and_read(text, "faq", ("faq", 0.8), ("check_request_status", 0.9))
    [message] = merger().process(batch)
    assert message.get("intent")["name"] == "faq"
    assert message.get(READ_FROM_SENTENCE) is None


@pytest.mark.parametrize(
    ("sentence", "plain"),
    [
        ("Please delete whatever you still hold about me.", True),
        ("I want you to stop using my address for newsletters", True),
        ("I hereby request a copy of my personal data", True),
        ("Kindly correct my surname", True),
        ("I searched and found nothing anywhere", False),
        ("Did you delete it?", False),
        ("I want to know what happens to my data", False),
    ],
)
def test_asking_in_so_many_words(sentence: str, plain: bool) -> None:
    assert asks_in_so_many_words(sentence) is plain


# A policy question's sentence often needs the story around it ("Could it?"), and "I'd like to
# ask the Help Desk something" says a question follows: neither replaces the whole reading.
@pytest.mark.parametrize(
    "sentence_intents",
    [
        (("faq", 0.95), ("nlu_fallback", 0.4)),
        (("request_inquiry", 0.97), ("faq", 0.8)),
        (("nlu_fallback", 0.5), ("out_of_scope", 0.9)),
    ],
)
def test_only_a_sentences_data_request_replaces_the_whole_reading(
    sentence_intents: Any,
) -> None:
    batch = split_and_read(STORY, "nlu_fallback", *sentence_intents)
    [message] = merger().process(batch)
    assert message.get("intent")["name"] == "nlu_fallback"


def test_the_merger_returns_the_messages_in_their_order_without_their_sentences() -> None:
    hello, story = Message(data={TEXT: "hello"}), Message(data={TEXT: STORY})
    batch = splitter().process([hello, story])
    for message in batch:
        read_as(message, "greet", 0.9)
    assert merger().process(batch) == [hello, story]
