"""Reads a long message sentence by sentence when, read whole, it would be refused or unsure.

Customers often wrap a request in a story: "I've been a customer for ages: a couple of watches,
a keyboard for my kid, some warranty registrations... Please pull together all the personal
information you hold about me and send it over." Read as one message, the story's words
(watches, a keyboard, a kid) pull it towards out of scope, or leave the bot unsure, though one of
its sentences asks plainly for a copy of the customer's data.

Two components, one at each end of the NLU pipeline, do the sentence reading in the same pass:

- `SentenceSplitter` (at the start) adds each sentence of a message of two or more sentences to the
  batch, as a message of its own, so every later component (featurizers, classifiers, the
  answer selector, the confidence gate) reads each sentence as it reads any message;
- `SentenceReadingMerger` (last, after the gate) takes the sentences off the batch again. When the
  whole message was refused (`out_of_scope`) or unsure (`nlu_fallback`) and a sentence is a
  request that the gate let through, the message takes that request as its intent, and
  `read_from_sentence` says which sentence it came from. Only requests: the sentence that asks
  to act carries its meaning alone ("Please delete whatever you still hold about me."), while a
  question's sentence often needs the story around it ("Could it?"); on the blind fifth dev set,
  questions answered from a single sentence gained one right answer and two wrong ones.
  A message read whole as a policy question takes a sentence's request only when that sentence
  asks in so many words ("please ...", "I want you to ...", "I request ..."): "I don't mind you
  keeping my warranty details, but please stop using my personal details for anything else" asks
  to act, but a sentence of a question read alone ("i googled and couldn't find it anywhere") is
  too often a request by accident.

Training is untouched (`process_training_data` passes the examples through), and a message of one
sentence costs nothing more. Chosen on the dev sets, 2026-11-28 (docs/trainers-guide.md, "Long
messages").
"""

from __future__ import annotations

import re

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.answer_confidence_gate import (
    FAQ_INTENT,
    OUT_OF_SCOPE_INTENT,
    REQUEST_READ,
    UNSURE_REASON,
    is_request,
)
from bot.nlu.stateless_component import StatelessComponent

# Set on a sentence's message: the position, in the batch, of the message it was taken from.
SENTENCE_OF = "sentence_of"
# Set on a message whose intent was read from one of its sentences: that sentence.
READ_FROM_SENTENCE = "read_from_sentence"
# Not taken from a sentence: "I'd like to ask your Help Desk something" says a question follows,
# and the question is in the other sentences (the whole message's reading, or the unsure path's
# topics and Help Desk button, serves it better than an empty inquiry form).
NOT_FROM_A_SENTENCE = frozenset({"request_inquiry"})
# The readings of a whole message that its sentences may replace.
REREAD = frozenset({DEFAULT_NLU_FALLBACK_INTENT_NAME, OUT_OF_SCOPE_INTENT})
# A whole message read as a policy question (FAQ_INTENT) is replaced only by a sentence that asks
# to act in so many words: "please", "kindly", "I want / would like / need you to", "I request".
_ASKS_IN_SO_MANY_WORDS = re.compile(
    r"\bplease\b|\bkindly\b|\bi (?:want|would like|'d like|need) you to\b"
    r"|\bi (?:hereby )?request\b",
    re.IGNORECASE,
)
# A sentence shorter than this ("Thanks.", "Not with tricks?") says too little on its own.
MIN_WORDS = 3
# More sentences than this are not read one by one: each costs a pass through the pipeline.
MAX_SENTENCES = 8

# Where a sentence, or a clause that can stand alone, ends: after . ! ? ; : or a line break, and
# before ", and" / ", but" / ", so" ("...two calculators for my kids, and I'd really like to see
# everything you have stored about me": dev requests 2 more right, nothing else changed).
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+|,\s+(?:and|but|so)\s+")


def sentences_of(text: str) -> list[str]:
    """The sentences (and clauses) of `text` worth reading alone; none for a message of one
    sentence, an intent payload ("/request_inquiry") or one too long to read sentence by
    sentence."""
    if text.lstrip().startswith("/"):
        return []
    parts = [part.strip() for part in _SENTENCE_END.split(text)]
    sentences = [part for part in parts if len(part.split()) >= MIN_WORDS]
    if len(sentences) < 2 or len(sentences) > MAX_SENTENCES:
        return []
    return sentences


def _confidence(message: Message) -> float:
    return float((message.get("intent") or {}).get("confidence") or 0.0)


def _is_sentence_request(sentence: Message) -> bool:
    name = str((sentence.get("intent") or {}).get("name"))
    return is_request(name) and name not in NOT_FROM_A_SENTENCE


def asks_in_so_many_words(text: str) -> bool:
    """The sentence asks for something plainly ("please ...", "I want you to ...")."""
    return bool(_ASKS_IN_SO_MANY_WORDS.search(text))


def request_sentence(message: Message, sentences: list[Message]) -> Message | None:
    """The sentence whose request the message should take, if the message needs one."""
    intent = (message.get("intent") or {}).get("name")
    if intent not in REREAD and intent != FAQ_INTENT:
        return None
    requests = [s for s in sentences if _is_sentence_request(s)]
    if intent == FAQ_INTENT:
        requests = [s for s in requests if asks_in_so_many_words(str(s.get(TEXT) or ""))]
    return max(requests, key=_confidence, default=None)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceSplitter(StatelessComponent):
    """Adds the sentences of a long message to the batch, each marked with its message."""

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        sentences = []
        for position, message in enumerate(messages):
            for sentence in sentences_of(str(message.get(TEXT) or "")):
                sentences.append(Message(data={TEXT: sentence, SENTENCE_OF: position}))
        return [*messages, *sentences]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SentenceReadingMerger(StatelessComponent):
    """Takes the sentences off the batch; a refused or unsure message takes a sentence's
    request."""

    def process(self, messages: list[Message]) -> list[Message]:
        whole = [m for m in messages if m.get(SENTENCE_OF) is None]
        by_message: dict[int, list[Message]] = {}
        for message in messages:
            position = message.get(SENTENCE_OF)
            if position is not None:
                by_message.setdefault(int(position), []).append(message)
        for position, sentences in by_message.items():
            message = messages[position]
            chosen = request_sentence(message, sentences)
            if chosen is None:
                continue
            message.set("intent", chosen.get("intent"), add_to_output=True)
            message.set("intent_ranking", chosen.get("intent_ranking"), add_to_output=True)
            message.set(READ_FROM_SENTENCE, chosen.get(TEXT), add_to_output=True)
            for gate_note in (UNSURE_REASON, REQUEST_READ):  # about the whole message's reading
                message.data.pop(gate_note, None)
        return whole
