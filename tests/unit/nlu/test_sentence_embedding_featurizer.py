"""The featurizer gives every message a scaled sentence embedding, empty text included."""

from __future__ import annotations

from typing import Any
from unittest.mock import MagicMock

import numpy as np
import pytest
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.sentence_embedding_featurizer import SentenceEmbeddingFeaturizer
from bot.nlu.sentence_encoder import SentenceEncoder


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return SentenceEncoder()


def featurizer(encoder: SentenceEncoder, **config: Any) -> SentenceEmbeddingFeaturizer:
    return SentenceEmbeddingFeaturizer(
        {"alias": "sentence_embedding", **config}, "embedding_node", encoder
    )


def sentence_feature(message: Message) -> np.ndarray:
    _, sentence = message.get_dense_features(TEXT)
    assert sentence is not None
    return np.asarray(sentence.features)


def test_adds_one_sentence_feature_and_no_sequence_feature(encoder: SentenceEncoder) -> None:
    message = Message(data={TEXT: "how do you use cookies?"})

    featurizer(encoder).process([message])

    assert sentence_feature(message).shape == (1, encoder.dimension)
    types = {feature.type for feature in message.features}
    assert types == {FEATURE_TYPE_SENTENCE}


def test_scales_the_unit_embedding(encoder: SentenceEncoder) -> None:
    message = Message(data={TEXT: "delete my data"})

    featurizer(encoder, feature_scale=20).process([message])

    assert np.linalg.norm(sentence_feature(message)) == pytest.approx(20.0, rel=1e-4)


def test_empty_text_still_gets_a_feature(encoder: SentenceEncoder) -> None:
    # The intent classifier needs the same feature shape for every message.
    message = Message(data={TEXT: ""})

    featurizer(encoder).process([message])

    assert sentence_feature(message).shape == (1, encoder.dimension)


def test_messages_without_text_are_left_alone(encoder: SentenceEncoder) -> None:
    message = Message(data={"action_name": "utter_greet"})

    featurizer(encoder).process([message])

    assert message.features == []


def test_training_data_is_featurized(encoder: SentenceEncoder) -> None:
    examples = [Message(data={TEXT: "hi", "intent": "greet"})]

    featurizer(encoder).process_training_data(TrainingData(training_examples=examples))

    assert sentence_feature(examples[0]).shape == (1, encoder.dimension)


@pytest.mark.parametrize("scale", [0, -1, "big"])
def test_rejects_a_scale_that_is_not_positive(scale: object) -> None:
    with pytest.raises(ValueError, match="feature_scale"):
        featurizer(MagicMock(spec=SentenceEncoder), feature_scale=scale)
