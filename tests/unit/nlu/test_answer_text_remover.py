"""The FAQ answers' texts are taken off the training examples before anything featurizes them."""

from __future__ import annotations

from unittest.mock import MagicMock

from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import RESPONSE
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.answer_text_remover import AnswerTextRemover


def faq_training_data() -> TrainingData:
    question = Message.build(text="do you use cookies", intent="faq/cookies_purpose")
    greeting = Message.build(text="hello there", intent="greet")
    responses = {"utter_faq/cookies_purpose": [{"text": "CASIO uses cookies to ..."}]}
    return TrainingData([question, greeting], responses=responses)


def remover() -> AnswerTextRemover:
    return AnswerTextRemover.create({}, MagicMock(), MagicMock(), MagicMock())


def test_rasa_attaches_the_answer_text_to_faq_examples() -> None:
    # What the component exists for: without it every FAQ example carries its answer's text.
    data = faq_training_data()
    assert data.training_examples[0].get(RESPONSE) == "CASIO uses cookies to ..."


def test_the_answer_text_is_cleared_and_nothing_else_changes() -> None:
    data = remover().process_training_data(faq_training_data())
    question, greeting = data.training_examples
    assert question.get(RESPONSE) is None
    assert question.get("text") == "do you use cookies"
    assert question.get_full_intent() == "faq/cookies_purpose"
    assert greeting.get("intent") == "greet"


def test_the_tokenizer_then_makes_no_answer_tokens_and_the_fingerprint_changes() -> None:
    untouched = faq_training_data()
    before = untouched.training_examples[0].fingerprint()
    cleared = remover().process_training_data(untouched)
    assert cleared.training_examples[0].fingerprint() != before
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    tokenizer.process_training_data(cleared)
    assert cleared.training_examples[0].get("response_tokens") is None
    assert cleared.training_examples[0].get("text_tokens")


def test_a_message_being_answered_passes_unchanged() -> None:
    message = Message.build(text="do you sell my data")
    assert remover().process([message]) == [message]
    assert message.get(RESPONSE) is None
