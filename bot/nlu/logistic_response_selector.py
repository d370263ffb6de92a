"""Picks the FAQ answer for a question: a response selector made of one logistic regression.

It answers the same question as Rasa's ResponseSelector ("which `faq/<topic>` answer fits?") and
writes its prediction in the same place and shape (`response_selector` on the parsed message), so
`utter_faq`, `rasa test nlu` and the fallback's topic buttons work unchanged. It trains in
seconds instead of minutes: a class-balanced multinomial logistic regression over the sentence
features of the chosen featurizers (word counts and the sentence embedding). Chosen by 3-fold
cross-validation on the training data against the ResponseSelector: docs/trainers-guide.md.

The model is saved as plain arrays and JSON (no pickle), so loading it runs no stored code.
"""

from __future__ import annotations

import json
import logging
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.linear_model import LogisticRegression

from bot.nlu.feature_rows import message_row, stack_rows

logger = logging.getLogger(__name__)

RETRIEVAL_INTENT = "retrieval_intent"
FEATURIZERS = "featurizers"
REGULARIZATION = "C"
MAX_ITERATIONS = "max_iter"
RANKING_LENGTH = "ranking_length"
RANDOM_STATE = "random_state"

# The keys Rasa's ResponseSelector writes; actions and `rasa test nlu` read them.
SELECTOR_PROPERTY = "response_selector"
ALL_RETRIEVAL_INTENTS = "all_retrieval_intents"

# Rasa's recipe validator warns that retrieval-intent examples go unused when the pipeline has no
# component of class ResponseSelector; this class uses them. Only that one message is silenced.
warnings.filterwarnings(
    "ignore",
    message="You have defined training data with examples for training a response selector",
    category=UserWarning,
)

_WEIGHTS_FILE = "weights.npz"
_META_FILE = "meta.json"


@dataclass(frozen=True)
class LinearModel:
    """A trained multinomial logistic regression: one row of weights per answer key."""

    labels: list[str]
    coefficients: np.ndarray  # (labels, features); one row when there are exactly two labels
    intercepts: np.ndarray
    _by_feature: np.ndarray = field(init=False, repr=False, compare=False)

    @property
    def feature_count(self) -> int:
        return int(self.coefficients.shape[1])

    def __post_init__(self) -> None:
        # The weights as (features, labels) in row order: a sparse row times the transposed
        # view would make SciPy copy the whole matrix on every message (about 1 ms each).
        object.__setattr__(self, "_by_feature", np.ascontiguousarray(self.coefficients.T))

    def probabilities(self, features: scipy.sparse.csr_matrix) -> np.ndarray:
        scores = np.asarray(features @ self._by_feature) + self.intercepts
        if scores.shape[1] == 1:  # scikit-learn keeps one row for two classes
            scores = np.hstack([np.zeros_like(scores), scores])
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return np.asarray(exp / exp.sum(axis=1, keepdims=True))


def sentence_features(
    message: Message, featurizers: list[str] | None
) -> scipy.sparse.csr_matrix | None:
    """The message's sparse and dense sentence features side by side, or None without any."""
    row = message_row(message, featurizers)
    return None if row is None else stack_rows([row])


def response_key_to_action(intent_response_key: str) -> str:
    """`faq/cookies` -> `utter_faq/cookies`, the response (and action) that holds the answer."""
    return f"utter_{intent_response_key}"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LogisticResponseSelector(GraphComponent):
    """Selects the answer key (`<retrieval intent>/<topic>`) for a message."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            RETRIEVAL_INTENT: "faq",
            FEATURIZERS: [],  # aliases of the featurizers to use; empty: all of them
            REGULARIZATION: 10.0,
            MAX_ITERATIONS: 500,
            RANKING_LENGTH: 10,
            RANDOM_STATE: 42,
        }

    @staticmethod
    def required_packages() -> list[str]:
        return ["sklearn"]

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: LinearModel | None = None,
        responses: dict[str, list[dict[str, Any]]] | None = None,
        all_retrieval_intents: list[str] | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._model = model
        self._responses = responses or {}
        self._all_retrieval_intents = all_retrieval_intents or []

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LogisticResponseSelector:
        return cls(config, model_storage, resource)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        merged = {**cls.get_default_config(), **config}
        if not isinstance(merged[RETRIEVAL_INTENT], str) or not merged[RETRIEVAL_INTENT]:
            raise ValueError(f"'{RETRIEVAL_INTENT}' must name a retrieval intent, such as 'faq'.")
        featurizers = merged[FEATURIZERS]
        if not isinstance(featurizers, list) or not all(isinstance(f, str) for f in featurizers):
            raise ValueError(f"'{FEATURIZERS}' must be a list of featurizer aliases.")
        for key in (REGULARIZATION, MAX_ITERATIONS):
            value = merged[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"'{key}' must be a positive number, got {value!r}.")
        ranking = merged[RANKING_LENGTH]
        if isinstance(ranking, bool) or not isinstance(ranking, int) or ranking < 1:
            raise ValueError(f"'{RANKING_LENGTH}' must be a whole number of 1 or more.")

    @property
    def _retrieval_intent(self) -> str:
        return str(self._config[RETRIEVAL_INTENT])

    @property
    def _featurizers(self) -> list[str] | None:
        return list(self._config[FEATURIZERS]) or None

    def train(self, training_data: TrainingData) -> Resource:
        self._all_retrieval_intents = sorted(training_data.retrieval_intents)
        self._responses = dict(training_data.responses)
        examples = [
            example
            for example in training_data.intent_examples
            if example.get(INTENT) == self._retrieval_intent and example.get(INTENT_RESPONSE_KEY)
        ]
        rows = [sentence_features(example, self._featurizers) for example in examples]
        labelled = [(row, example) for row, example in zip(rows, examples) if row is not None]
        labels = sorted({str(example.get(INTENT_RESPONSE_KEY)) for _, example in labelled})
        if len(labels) < 2:
            logger.warning(
                "LogisticResponseSelector: fewer than two answers for retrieval intent '%s' "
                "have examples; nothing to train.",
                self._retrieval_intent,
            )
            self._model = None
            self.persist()
            return self._resource

        classifier = LogisticRegression(
            C=float(self._config[REGULARIZATION]),
            max_iter=int(self._config[MAX_ITERATIONS]),
            class_weight="balanced",
            random_state=int(self._config[RANDOM_STATE]),
        )
        classifier.fit(
            scipy.sparse.vstack([row for row, _ in labelled], format="csr"),
            [str(example.get(INTENT_RESPONSE_KEY)) for _, example in labelled],
        )
        self._model = LinearModel(
            labels=[str(label) for label in classifier.classes_],
            coefficients=np.asarray(classifier.coef_, dtype=np.float64),
            intercepts=np.asarray(classifier.intercept_, dtype=np.float64),
        )
        self.persist()
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds the chosen answer and a ranking of the next best to each message with text."""
        if self._model is None:
            return messages
        for message in messages:
            features = sentence_features(message, self._featurizers)
            if features is None or features.shape[1] != self._model.feature_count:
                continue
            probabilities = self._model.probabilities(features)[0]
            self._set_prediction(message, probabilities)
        return messages

    def _set_prediction(self, message: Message, probabilities: np.ndarray) -> None:
        assert self._model is not None
        order = np.argsort(-probabilities, kind="stable")[: int(self._config[RANKING_LENGTH])]
        ranking = [
            {
                "id": _stable_id(self._model.labels[index]),
                "confidence": float(probabilities[index]),
                INTENT_RESPONSE_KEY: self._model.labels[index],
            }
            for index in order
        ]
        best = ranking[0]
        key = str(best[INTENT_RESPONSE_KEY])
        action = response_key_to_action(key)
        properties = dict(message.get(SELECTOR_PROPERTY) or {})
        properties[ALL_RETRIEVAL_INTENTS] = self._all_retrieval_intents
        properties[self._retrieval_intent] = {
            "response": {
                "responses": self._responses.get(action) or [{TEXT: key}],
                "confidence": best["confidence"],
                INTENT_RESPONSE_KEY: key,
                "utter_action": action,
            },
            "ranking": ranking,
        }
        message.set(SELECTOR_PROPERTY, properties, add_to_output=True)

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            meta: dict[str, Any] = {
                "labels": self._model.labels if self._model else [],
                "responses": self._responses,
                ALL_RETRIEVAL_INTENTS: self._all_retrieval_intents,
            }
            (directory / _META_FILE).write_text(json.dumps(meta), encoding="utf-8")
            if self._model is not None:
                np.savez(
                    directory / _WEIGHTS_FILE,
                    coefficients=self._model.coefficients,
                    intercepts=self._model.intercepts,
                )

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LogisticResponseSelector:
        try:
            with model_storage.read_from(resource) as directory:
                return cls._from_directory(config, model_storage, resource, directory)
        except ValueError:
            logger.debug("LogisticResponseSelector: no trained model in '%s'.", resource.name)
            return cls.create(config, model_storage, resource, execution_context)

    @classmethod
    def _from_directory(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        directory: Path,
    ) -> LogisticResponseSelector:
        meta = json.loads((directory / _META_FILE).read_text(encoding="utf-8"))
        model = None
        if meta["labels"]:
            with np.load(directory / _WEIGHTS_FILE, allow_pickle=False) as weights:
                model = LinearModel(
                    labels=list(meta["labels"]),
                    coefficients=weights["coefficients"],
                    intercepts=weights["intercepts"],
                )
        return cls(
            config,
            model_storage,
            resource,
            model=model,
            responses=meta["responses"],
            all_retrieval_intents=list(meta[ALL_RETRIEVAL_INTENTS]),
        )


def _stable_id(label: str) -> int:
    """A number for a label that is the same in every run (Rasa's ranking entries carry one)."""
    return zlib.crc32(label.encode("utf-8"))
