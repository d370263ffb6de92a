"""Takes the FAQ answers' texts off the training examples before anything featurizes them.

Rasa attaches to every `faq/<topic>` example the text of its answer (the `response` attribute),
for Rasa's ResponseSelector, which learns from the answers' words. This pipeline does not use
it: `LogisticResponseSelector` learns the answer key from the question alone. Left in place,
every later component would tokenize, count (words and character n-grams) and fingerprint the
answer once per example, 2,695 copies of 60 long texts: two thirds of the count vectors'
training time (15.0 -> 5.3 s of CPU), and vocabularies nothing reads.

First in the pipeline. A message being answered never has the attribute, so serving is
unchanged.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import RESPONSE
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.stateless_component import StatelessComponent


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class AnswerTextRemover(StatelessComponent):
    """Clears the `response` attribute (the answer's text) of training examples."""

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            if example.get(RESPONSE) is not None:
                # None, as on an example without an answer: tokenizers and featurizers skip it.
                example.set(RESPONSE, None)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        return messages
