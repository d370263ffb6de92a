"""The logistic response selector picks FAQ answers the way Rasa's ResponseSelector reports them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.linear_model import LogisticRegression

from bot.nlu.logistic_response_selector import LinearModel, LogisticResponseSelector

# Three FAQ topics, each with its own direction in a tiny 4-dimensional "embedding".
TOPIC_DIRECTIONS = {
    "faq/cookies": [1.0, 0.0, 0.0, 0.0],
    "faq/joint_use": [0.0, 1.0, 0.0, 0.0],
    "faq/governing_law": [0.0, 0.0, 1.0, 0.0],
}
RESPONSES = {
    f"utter_{key}": [{"text": f"The answer about {key.split('/')[1]}."}] for key in TOPIC_DIRECTIONS
}


def with_features(message: Message, vector: list[float], origin: str = "embedding") -> Message:
    features = np.asarray([vector], dtype=np.float32)
    message.add_features(Features(features, FEATURE_TYPE_SENTENCE, TEXT, origin))
    return message


def question(vector: list[float], origin: str = "embedding") -> Message:
    return with_features(Message(data={TEXT: "a question"}), vector, origin)


def noisy(vector: list[float], rng: np.random.Generator) -> list[float]:
    return list(np.asarray(vector) + rng.normal(0.0, 0.1, size=len(vector)))


def faq_training_data(examples_per_topic: int = 8) -> TrainingData:
    rng = np.random.default_rng(0)
    examples = [
        with_features(
            Message(data={TEXT: f"{key} {i}", INTENT: "faq", INTENT_RESPONSE_KEY: key}),
            noisy(direction, rng),
        )
        for key, direction in TOPIC_DIRECTIONS.items()
        for i in range(examples_per_topic)
    ]
    # Another intent's examples point elsewhere; they must not become answers.
    examples += [
        with_features(Message(data={TEXT: f"hello {i}", INTENT: "greet"}), [0, 0, 0, 1.0])
        for i in range(examples_per_topic)
    ]
    return TrainingData(training_examples=examples, responses=RESPONSES)


@pytest.fixture
def storage(tmp_path: Path) -> LocalModelStorage:
    return LocalModelStorage(tmp_path)


def context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test-model", node_name="faq_selector")


def selector(storage: LocalModelStorage, **config: Any) -> LogisticResponseSelector:
    return LogisticResponseSelector.create(
        {**LogisticResponseSelector.get_default_config(), **config},
        storage,
        Resource("faq_selector"),
        context(),
    )


def trained(storage: LocalModelStorage, **config: Any) -> LogisticResponseSelector:
    component = selector(storage, **config)
    component.train(faq_training_data())
    return component


def prediction(message: Message) -> dict[str, Any]:
    return dict(message.get("response_selector")["faq"])


def test_picks_the_answer_whose_examples_the_question_resembles(
    storage: LocalModelStorage,
) -> None:
    message = question([0.05, 0.9, 0.0, 0.0])

    trained(storage).process([message])

    response = prediction(message)["response"]
    assert response["intent_response_key"] == "faq/joint_use"
    assert response["utter_action"] == "utter_faq/joint_use"
    assert response["responses"] == RESPONSES["utter_faq/joint_use"]
    assert response["confidence"] > 0.5


def test_reports_like_rasas_response_selector(storage: LocalModelStorage) -> None:
    message = question([0.9, 0.0, 0.1, 0.0])

    trained(storage).process([message])

    selector_output = message.get("response_selector")
    assert selector_output["all_retrieval_intents"] == ["faq"]
    ranking = prediction(message)["ranking"]
    assert [entry["intent_response_key"] for entry in ranking][0] == "faq/cookies"
    assert {entry["intent_response_key"] for entry in ranking} == set(TOPIC_DIRECTIONS)
    confidences = [entry["confidence"] for entry in ranking]
    assert confidences == sorted(confidences, reverse=True)
    assert sum(confidences) == pytest.approx(1.0)
    assert all(isinstance(entry["id"], int) for entry in ranking)
    assert "response_selector" in message.as_dict_nlu()


def test_only_the_retrieval_intents_examples_become_answers(storage: LocalModelStorage) -> None:
    message = question([0.0, 0.0, 0.0, 1.0])  # looks exactly like the greetings

    trained(storage).process([message])

    keys = {entry["intent_response_key"] for entry in prediction(message)["ranking"]}
    assert keys == set(TOPIC_DIRECTIONS)


def test_ranking_is_cut_to_its_configured_length(storage: LocalModelStorage) -> None:
    message = question([1.0, 0.0, 0.0, 0.0])

    trained(storage, ranking_length=2).process([message])

    assert len(prediction(message)["ranking"]) == 2


def test_uses_only_the_named_featurizers(storage: LocalModelStorage) -> None:
    component = trained(storage, featurizers=["embedding"])
    message = question([0.0, 0.0, 1.0, 0.0])
    # A feature from a featurizer the selector was not told to use changes nothing.
    with_features(message, [5.0, 5.0], origin="other_featurizer")

    component.process([message])

    assert prediction(message)["response"]["intent_response_key"] == "faq/governing_law"


def test_a_message_without_features_gets_no_answer(storage: LocalModelStorage) -> None:
    message = Message(data={TEXT: "not featurized"})

    trained(storage).process([message])

    assert message.get("response_selector") is None


def test_a_saved_selector_loads_and_answers_the_same(storage: LocalModelStorage) -> None:
    original = trained(storage)
    loaded = LogisticResponseSelector.load(
        LogisticResponseSelector.get_default_config(), storage, Resource("faq_selector"), context()
    )
    before, after = question([0.3, 0.6, 0.1, 0.0]), question([0.3, 0.6, 0.1, 0.0])

    original.process([before])
    loaded.process([after])

    assert prediction(after) == prediction(before)


def test_with_fewer_than_two_answers_it_trains_nothing_and_answers_nothing(
    storage: LocalModelStorage,
) -> None:
    only_one = TrainingData(
        training_examples=[
            with_features(
                Message(data={TEXT: "q", INTENT: "faq", INTENT_RESPONSE_KEY: "faq/cookies"}),
                [1.0, 0.0, 0.0, 0.0],
            )
        ],
        responses=RESPONSES,
    )
    component = selector(storage)
    component.train(only_one)
    loaded = LogisticResponseSelector.load(
        LogisticResponseSelector.get_default_config(), storage, Resource("faq_selector"), context()
    )
    message = question([1.0, 0.0, 0.0, 0.0])

    loaded.process([message])

    assert message.get("response_selector") is None


def test_an_untrained_resource_loads_as_an_empty_selector(storage: LocalModelStorage) -> None:
    loaded = LogisticResponseSelector.load(
        LogisticResponseSelector.get_default_config(), storage, Resource("never_trained"), context()
    )
    message = question([1.0, 0.0, 0.0, 0.0])

    loaded.process([message])

    assert message.get("response_selector") is None


@pytest.mark.parametrize("classes", [2, 4])
def test_probabilities_match_scikit_learn(classes: int) -> None:
    rng = np.random.default_rng(1)
    features = rng.normal(size=(60, 5))
    labels = [f"faq/topic_{i % classes}" for i in range(60)]
    classifier = LogisticRegression(max_iter=500).fit(features, labels)
    model = LinearModel(list(classifier.classes_), classifier.coef_, classifier.intercept_)

    ours = model.probabilities(scipy.sparse.csr_matrix(features))

    np.testing.assert_allclose(ours, classifier.predict_proba(features), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"retrieval_intent": ""}, "retrieval_intent"),
        ({"featurizers": "word_counts"}, "featurizers"),
        ({"C": 0}, "C"),
        ({"max_iter": -5}, "max_iter"),
        ({"ranking_length": 0}, "ranking_length"),
        ({"ranking_length": True}, "ranking_length"),
    ],
)
def test_rejects_a_bad_configuration(config: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        LogisticResponseSelector.validate_config(config)


def warnings_printed_after_import(*messages: str) -> list[str]:
    """For each message, what a fresh Python that loaded the selector printed on stderr when it
    raised that message as Rasa does (one interpreter: importing Rasa takes seconds)."""
    marker = "--- next warning ---"
    script = "import sys\nimport bot.nlu.logistic_response_selector\n"
    script += "from rasa.shared.utils.io import raise_warning\n"
    for message in messages:
        script += f"raise_warning({message!r}, category=UserWarning)\n"
        script += f"print({marker!r}, file=sys.stderr, flush=True)\n"
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    return completed.stderr.split(marker)[: len(messages)]


def test_rasas_no_response_selector_warning_is_silenced_and_no_other() -> None:
    silenced = (
        "You have defined training data with examples for training a response selector, but "
        "your NLU configuration does not include a response selector component."
    )
    other = "You have an overlap between the 'RegexEntityExtractor' and the CRF."

    after_silenced, after_other = warnings_printed_after_import(silenced, other)

    assert "response selector" not in after_silenced
    assert "overlap" in after_other
