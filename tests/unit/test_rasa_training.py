"""`python -m bot.rasa_training train`: Rasa's training cache keyed by cheaper fingerprints that
still change whenever a token or a feature matrix changes."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot import rasa_training


def sparse_features(matrix: scipy.sparse.spmatrix, origin: str = "word_counts") -> Features:
    return Features(matrix, "sequence", "text", origin)


def test_equal_tokens_have_equal_fingerprints_and_any_change_shows() -> None:
    token = Token("cookies", 4, data={"pattern": {"email": False}})
    same = Token("cookies", 4, data={"pattern": {"email": False}})
    assert rasa_training.token_fingerprint(token) == rasa_training.token_fingerprint(same)

    changed = [
        Token("cookie", 4, data={"pattern": {"email": False}}),
        Token("cookies", 5, data={"pattern": {"email": False}}),
        Token("cookies", 4, end=12, data={"pattern": {"email": False}}),
        Token("cookies", 4, lemma="cookie", data={"pattern": {"email": False}}),
        Token("cookies", 4, data={"pattern": {"email": True}}),
        Token("cookies", 4),
    ]
    fingerprints = {rasa_training.token_fingerprint(t) for t in changed}
    assert rasa_training.token_fingerprint(token) not in fingerprints
    assert len(fingerprints) == len(changed)


def test_a_token_fingerprint_does_not_depend_on_the_order_of_its_data() -> None:
    first = Token("x", 0, data={"a": 1, "b": 2})
    second = Token("x", 0, data={"b": 2, "a": 1})
    assert rasa_training.token_fingerprint(first) == rasa_training.token_fingerprint(second)


def test_the_same_sparse_matrix_has_one_fingerprint_however_it_is_stored() -> None:
    dense = np.array([[0.0, 2.0, 0.0], [1.0, 0.0, 3.0]])
    as_csr = scipy.sparse.csr_matrix(dense)
    as_coo = scipy.sparse.coo_matrix(dense)
    # The same values as unsorted coordinates with a duplicate entry summed on conversion.
    as_unsorted_coo = scipy.sparse.coo_matrix(
        ([3.0, 1.0, 1.5, 0.5], ([1, 1, 0, 0], [2, 0, 1, 1])), shape=(2, 3)
    )
    fingerprints = {
        rasa_training.features_fingerprint(sparse_features(m))
        for m in (as_csr, as_coo, as_unsorted_coo)
    }
    assert len(fingerprints) == 1


@pytest.mark.parametrize(
    "other",
    [
        scipy.sparse.coo_matrix(np.array([[0.0, 2.0, 0.0], [1.0, 0.0, 3.5]])),  # a value
        scipy.sparse.coo_matrix(np.array([[0.0, 2.0, 0.0, 0.0], [1.0, 0.0, 3.0, 0.0]])),  # shape
        scipy.sparse.coo_matrix(np.array([[2.0, 0.0, 0.0], [1.0, 0.0, 3.0]])),  # a position
        scipy.sparse.coo_matrix(np.array([[0, 2, 0], [1, 0, 3]], dtype=np.int64)),  # dtype
    ],
)
def test_a_changed_matrix_changes_the_fingerprint(other: scipy.sparse.spmatrix) -> None:
    original = scipy.sparse.coo_matrix(np.array([[0.0, 2.0, 0.0], [1.0, 0.0, 3.0]]))
    assert rasa_training.features_fingerprint(
        sparse_features(original)
    ) != rasa_training.features_fingerprint(sparse_features(other))


def test_type_origin_and_attribute_are_part_of_a_features_fingerprint() -> None:
    matrix = np.ones((1, 4))
    variants = [
        Features(matrix, "sentence", "text", "sentence_embedding"),
        Features(matrix, "sequence", "text", "sentence_embedding"),
        Features(matrix, "sentence", "response", "sentence_embedding"),
        Features(matrix, "sentence", "text", "char_counts"),
    ]
    assert len({rasa_training.features_fingerprint(f) for f in variants}) == len(variants)


def test_a_features_fingerprint_follows_rasas_cache_on_the_object() -> None:
    features = Features(np.ones((1, 2)), "sentence", "text", "sentence_embedding")
    before = rasa_training.features_fingerprint(features)
    features.combine_with_features(
        Features(np.zeros((1, 2)), "sentence", "text", "sentence_embedding")
    )  # Rasa clears the kept fingerprint when features change
    assert rasa_training.features_fingerprint(features) != before


def message(text: str, counts: list[float], intent: str = "faq") -> Message:
    built = Message.build(text=text, intent=intent)
    built.set("text_tokens", [Token(word, text.index(word)) for word in text.split()])
    built.add_features(sparse_features(scipy.sparse.coo_matrix(np.array([counts]))))
    return built


def test_equal_messages_have_equal_fingerprints_and_any_change_shows() -> None:
    original = message("are cookies used", [1.0, 0.0, 1.0])
    assert rasa_training.message_fingerprint(original) == rasa_training.message_fingerprint(
        message("are cookies used", [1.0, 0.0, 1.0])
    )
    changed = [
        message("are cookie used", [1.0, 0.0, 1.0]),
        message("are cookies used", [1.0, 1.0, 1.0]),
        message("are cookies used", [1.0, 0.0, 1.0], intent="greet"),
    ]
    tokens_changed = message("are cookies used", [1.0, 0.0, 1.0])
    tokens_changed.set("text_tokens", [Token("are", 0), Token("cookies", 4)])
    changed.append(tokens_changed)
    fingerprints = {rasa_training.message_fingerprint(m) for m in changed}
    assert rasa_training.message_fingerprint(original) not in fingerprints
    assert len(fingerprints) == len(changed)


def test_a_message_fingerprint_is_computed_again_after_the_message_changes() -> None:
    changing = message("are cookies used", [1.0, 0.0, 1.0])
    before = rasa_training.message_fingerprint(changing)
    changing.set("intent_response_key", "faq/cookies_purpose")
    after_set = rasa_training.message_fingerprint(changing)
    changing.add_features(Features(np.ones((1, 2)), "sentence", "text", "sentence_embedding"))
    after_features = rasa_training.message_fingerprint(changing)
    assert len({before, after_set, after_features}) == 3


def test_data_json_cannot_sort_falls_back_to_rasas_own_fingerprint() -> None:
    odd = message("are cookies used", [1.0, 0.0, 1.0])
    odd.set("diagnostic", {1: "one", "two": 2})  # keys of mixed types
    fingerprint = rasa_training.message_fingerprint(odd)
    assert fingerprint == rasa_training._rasa_message_fingerprint(odd)


def test_installed_fingerprints_make_training_data_with_other_features_differ(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Rasa's own methods come back after this test.
    monkeypatch.setattr(Message, "fingerprint", Message.fingerprint)
    monkeypatch.setattr(Token, "fingerprint", Token.fingerprint)
    monkeypatch.setattr(Features, "fingerprint", Features.fingerprint)
    monkeypatch.setattr(Features, rasa_training._INSTALLED, False, raising=False)
    rasa_training.install()
    rasa_training.install()  # idempotent

    def tokenised(text: str, counts: list[float]) -> TrainingData:
        return TrainingData([message(text, counts)])

    assert Message.fingerprint is rasa_training.message_fingerprint
    assert Token.fingerprint is rasa_training.token_fingerprint
    assert Features.fingerprint is rasa_training.features_fingerprint
    one = tokenised("are cookies used", [1.0, 0.0, 1.0])
    assert one.fingerprint() == tokenised("are cookies used", [1.0, 0.0, 1.0]).fingerprint()
    assert one.fingerprint() != tokenised("are cookies used", [1.0, 1.0, 1.0]).fingerprint()
    assert one.fingerprint() != tokenised("are cookie used", [1.0, 0.0, 1.0]).fingerprint()
