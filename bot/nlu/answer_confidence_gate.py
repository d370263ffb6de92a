"""A Rasa NLU component that turns an unsure answer into `nlu_fallback` instead of a guess.

The answer selector always picks some FAQ topic, and the intent classifier always picks some
intent. A privacy assistant that states the wrong thing about someone's rights is worse than
one that says it is unsure, so after both have run this component checks five things:

- the chance of the chosen answer (P(faq) x P(topic | faq)) is at least `answer_min_confidence`;
- the chosen topic leads the next one by at least `answer_min_margin`;
- a request (request_*, check_request_status) leads the FAQ reading of the same message by at
  least `request_min_margin`: "how do you handle complaints?" must not open a complaint;
- small talk or out of scope (greet, bot_challenge, out_of_scope, ...) leads the FAQ reading by
  at least `smalltalk_min_margin`: "are you going to spam me with ads now" must not get "Sorry,
  I can't help with that" when the FAQ reading is nearly as likely;
- out of scope, the refusal ("Sorry, I can't help with that"), is at least
  `out_of_scope_min_confidence` likely: a privacy question refused is a wrong reply, and the
  questions the classifier refuses by mistake ("is paying by card on your site stored?") are
  read as out of scope less surely than real off-topic ones (the weather, a watch's price).

And one thing about the words: a request about the customer's data asked as a question of whether
they can ("can I ask you to erase my data?", "is it possible to get a copy?") is as likely to ask
how it works as to ask CASIO to act, whatever the classifier's confidence, so the bot asks which
they mean (`asks_whether_possible`). "Can you delete my data" is a polite request and acts.

When a request is read close to a question (the request margin, or "can I ...?"), the question
has a clear answer (its topic passes the two answer checks on the answer selector's own ranking),
and that answer's buttons open the request read, the bot answers instead of asking which is
meant: "can I ask you to stop using my data?" gets the rights answer, with its button to stop
the use. Neither reading is lost. Otherwise it asks. `gate_decision` says which.

And one more about the words: a customer asking where something they already asked for stands
names the earlier action ("I asked you to delete my data last month, any news?"), and those
words pull the classifier to a new request of that type, which would open a second ticket, or to
the FAQ answer about that right. When the message tells of an earlier request of the customer's
and asks about its progress (`asks_about_earlier_request`), a reading of a new data request, or
a FAQ reading whose likeliest request is the status check, becomes the status check
(`READ_AS_STATUS`). A complaint or an inquiry that tells of an earlier request stays what it is.

Likewise, a customer who asks in so many words to be put through to a person ("connect me with
whoever handles data protection", "can I talk to an actual person about my data") is handed over
(`request_human`) when the classifier reads a question or small talk instead, or a Help Desk
request too close to a question to act on (`asks_for_a_person`, `HAND_OVER`).

When a check fails, the intent becomes `nlu_fallback` (as Rasa's FallbackClassifier does), and
`unsure_reason` says which check failed; the rankings are kept, so the fallback action can offer
the closest topics, and the request, as buttons. The thresholds are chosen on the blind dev set
(scripts/choose_thresholds.py --dev-cases, docs/trainers-guide.md "The unsure path").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Collection, Mapping, Sequence

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.training_data.message import Message

FAQ_INTENT = "faq"
STATUS_INTENT = "check_request_status"
REQUEST_PREFIX = "request_"
UNSURE_REASON = "unsure_reason"
REQUEST_OR_QUESTION = "request_or_question"
# The reason when a request is asked as whether the customer can: the same offer as
# "request_or_question" outside a form; inside one, the customer is already asking for something,
# and a request asked that way changes its type (actions/forms.py).
WHETHER_POSSIBLE = "whether_possible"
# The request readings that are asked about only when the question reading has no clear answer.
ASK_WHICH = frozenset({REQUEST_OR_QUESTION, WHETHER_POSSIBLE})
# Not a reason to be unsure: the gate's decision to answer the FAQ reading instead of a request.
ANSWER_THE_QUESTION = "answer_the_question"
# Not a reason to be unsure either: the decision to look up an earlier request instead of opening
# a new one. Set on the message too, with the classifier's reading as its value.
READ_AS_STATUS = "read_as_status"
# Not a reason to be unsure: the decision to put the customer through to a person, as asked.
HAND_OVER = "hand_over"
HUMAN_INTENT = "request_human"
# What the words decide, and the intent each acts on.
WORDED_INTENT = {READ_AS_STATUS: STATUS_INTENT, HAND_OVER: HUMAN_INTENT}
# Set on a message whose request the gate did not act on because of how it was asked ("can I
# ...?", unsure or answered as a question): the request read. Inside a request form, that request
# changes the open request's type instead (actions/forms.py).
REQUEST_READ = "request_read"
ANSWER_MIN_CONFIDENCE = "answer_min_confidence"
ANSWER_MIN_MARGIN = "answer_min_margin"
REQUEST_MIN_MARGIN = "request_min_margin"
SMALLTALK_MIN_MARGIN = "smalltalk_min_margin"
OUT_OF_SCOPE_MIN_CONFIDENCE = "out_of_scope_min_confidence"
OUT_OF_SCOPE_INTENT = "out_of_scope"
THRESHOLD_KEYS = (
    ANSWER_MIN_CONFIDENCE,
    ANSWER_MIN_MARGIN,
    REQUEST_MIN_MARGIN,
    SMALLTALK_MIN_MARGIN,
    OUT_OF_SCOPE_MIN_CONFIDENCE,
)


# Small talk and out of scope: a reading that replies without answering or acting. The form's
# own intents (inform, affirm, deny, stop, ...) are not among them: a name or the details of a
# request may well look like a question, and the form decides what to do with them.
SMALLTALK_INTENTS = frozenset({"greet", "goodbye", "thank", "bot_challenge", OUT_OF_SCOPE_INTENT})

# The two requests that open an inquiry to the Help Desk: talking to a person, asking it something.
HELP_DESK_INTENTS = frozenset({HUMAN_INTENT, "request_inquiry"})
# Requests that asking "can I ...?" about is asking to do: the Help Desk's two, looking up a
# request. The others act on the customer's data.
ASKING_IS_DOING = HELP_DESK_INTENTS | {STATUS_INTENT}
# The readings a plain ask for a person replaces: a question, small talk, out of scope, and the
# Help Desk's own two (whatever their margin over the question reading).
HANDED_OVER_FROM = HELP_DESK_INTENTS | SMALLTALK_INTENTS | {FAQ_INTENT}
# The requests that act on the customer's data: the ones a status check is mistaken for.
ACTS_ON_DATA = frozenset(
    {
        "request_disclosure",
        "request_correction",
        "request_erasure",
        "request_stop_use",
        "request_stop_third_party_provision",
    }
)
_OPENERS = r"^\W*(?:(?:hi|hello|hey|ok|okay|so|um|and|but|plz|please|quick question)\W+)*"
_WHETHER_POSSIBLE = re.compile(
    _OPENERS + r"(?:(?:can|cn|could|may|might)\s+(?:i|my|we|our|one)\b"
    r"|(?:am i|are we) able\b|(?:is|would) it (?:be )?possible\b"
    r"|do i have (?:a|the) right\b|is there a way\b|am i allowed\b)",
    re.IGNORECASE,
)


# A request of the customer's own in the past: "I asked you to ...", "we sent ...", "you promised".
_EARLIER_REQUEST = re.compile(
    r"\b(?:i|we)(?:\s+(?:already|have|had|did|once))?(?:'ve)?\s+(?:asked|requested|sent|submitted"
    r"|applied|filed|filled|emailed|e-mailed|wrote|put in|told you|made|lodged|raised|phoned"
    r"|called|contacted|mailed)\b"
    r"|\byou (?:said|promised|told me)\b"
    r"|\b(?:my|the) (?:earlier|previous|pending|last|open|outstanding)"
    r" (?:one|request|ask|application|query|question)\b",
    re.IGNORECASE,
)
# Asking how far it has got: "yet", "any news", "gone through", "heard nothing", "status".
_PROGRESS = re.compile(
    r"\b(?:yet|any news|any word|(?:any|an) updates?|updates? on|heard (?:nothing|back|anything)"
    r"|no (?:reply|response|answer|news)|still waiting|waiting (?:for|on)|(?:gone|go|went) through"
    r"|been (?:done|processed|handled|completed|dealt with|actioned|sorted)|finished|completed?"
    r"|(?:it|that|this|mine)(?:'s| is| was)? (?:done|sorted)"
    r"|processed|status|progress|where (?:is|are|does|do) (?:it|that|things|we|this|my)"
    r"|what(?:'s| is)? happen(?:ed|ing)|stands|chasing|follow(?:ing)?[- ]up)\b",
    re.IGNORECASE,
)


# Asking to be put through to a person: "connect me with ...", "put me through to ...", "talk to a
# real person", "speak with someone". Not "pass me on to" ("do you pass me on to advertisers?").
_ASKS_FOR_A_PERSON = re.compile(
    r"\b(?:connect|put) me (?:through )?(?:to|with)\b|\btransfer me to\b"
    r"|\b(?:talk|speak|chat) (?:to|with) (?:a |an |some |your |one of your )?"
    r"(?:real |actual |live |human |proper )?"
    r"(?:person|people|human|someone|somebody|agent|staff|representative|member of staff)\b",
    re.IGNORECASE,
)


def asks_for_a_person(text: str) -> bool:
    """The message asks to be put through to a person."""
    return bool(_ASKS_FOR_A_PERSON.search(text))


def asks_about_earlier_request(text: str) -> bool:
    """The message tells of a request the customer made before and asks how far it has got."""
    return bool(_EARLIER_REQUEST.search(text) and _PROGRESS.search(text))


def asks_whether_possible(text: str) -> bool:
    """The message asks whether the customer can do something ("can I ...?", "is it possible
    to ...?"), not for it to be done."""
    return bool(_WHETHER_POSSIBLE.match(text))


@dataclass(frozen=True)
class Thresholds:
    answer_min_confidence: float = 0.0
    answer_min_margin: float = 0.0
    request_min_margin: float = 0.0
    smalltalk_min_margin: float = 0.0
    out_of_scope_min_confidence: float = 0.0

    @staticmethod
    def from_config(config: Mapping[str, Any]) -> Thresholds:
        values = {}
        for key in THRESHOLD_KEYS:
            value = config.get(key, 0.0)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"'{key}' must be a number from 0 to 1, got {value!r}.")
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"'{key}' must be a number from 0 to 1, got {value!r}.")
            values[key] = float(value)
        return Thresholds(**values)


def is_request(intent: str) -> bool:
    return intent.startswith(REQUEST_PREFIX) or intent == STATUS_INTENT


def classifier_ranking(intent_ranking: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The intent classifier's readings, without an `nlu_fallback` an earlier component put
    first."""
    return [r for r in intent_ranking if r.get("name") != DEFAULT_NLU_FALLBACK_INTENT_NAME]


def _best_two(answer_ranking: Sequence[Mapping[str, Any]]) -> tuple[float, float]:
    """The confidences of the first two answers (0 for a missing second)."""
    best = float(answer_ranking[0].get("confidence") or 0.0)
    second = float(answer_ranking[1].get("confidence") or 0.0) if len(answer_ranking) > 1 else 0.0
    return best, second


def unsure_reason(
    intent_ranking: Sequence[Mapping[str, Any]],
    answer_ranking: Sequence[Mapping[str, Any]],
    thresholds: Thresholds,
) -> str | None:
    """Why the prediction should not be acted on, or None when it is clear enough."""
    ranked = classifier_ranking(intent_ranking)
    if not ranked:
        return None
    top_name = str(ranked[0].get("name"))
    top_confidence = float(ranked[0].get("confidence") or 0.0)
    if top_name == FAQ_INTENT:
        if not answer_ranking:
            return None
        best, second = _best_two(answer_ranking)
        if top_confidence * best < thresholds.answer_min_confidence:
            return "answer_confidence"
        if best - second < thresholds.answer_min_margin:
            return "answer_margin"
        return None
    faq = next((float(r.get("confidence") or 0) for r in ranked if r.get("name") == FAQ_INTENT), 0)
    lead = top_confidence - faq
    if is_request(top_name) and lead < thresholds.request_min_margin:
        return REQUEST_OR_QUESTION
    if top_name in SMALLTALK_INTENTS and lead < thresholds.smalltalk_min_margin:
        return "smalltalk_or_question"
    if top_name == OUT_OF_SCOPE_INTENT and top_confidence < thresholds.out_of_scope_min_confidence:
        return "out_of_scope_confidence"
    return None


def worded_as_whether_possible(intent: str, text: str) -> str | None:
    """WHETHER_POSSIBLE when a request about the customer's data is asked as whether they can,
    whatever its confidence; the words, not a threshold, decide it."""
    if is_request(intent) and intent not in ASKING_IS_DOING and asks_whether_possible(text):
        return WHETHER_POSSIBLE
    return None


def read_as_status(ranked: Sequence[Mapping[str, Any]], text: str) -> bool:
    """The words ask about an earlier request, and the classifier reads a new request about the
    customer's data, or a question whose likeliest request is the status check."""
    if not ranked or not asks_about_earlier_request(text):
        return False
    names = [str(r.get("name")) for r in ranked]
    if names[0] == FAQ_INTENT:
        return next((name for name in names if is_request(name)), None) == STATUS_INTENT
    return names[0] in ACTS_ON_DATA


def words_decision(ranked: Sequence[Mapping[str, Any]], text: str) -> str | None:
    """READ_AS_STATUS or HAND_OVER when the words say what the customer asks for better than the
    classifier's reading (`ranked`, without nlu_fallback), whatever its confidence."""
    if read_as_status(ranked, text):
        return READ_AS_STATUS
    intent = str(ranked[0].get("name")) if ranked else ""
    if intent in HANDED_OVER_FROM and asks_for_a_person(text):
        return HAND_OVER
    return None


def faq_reading_is_clear(
    answer_ranking: Sequence[Mapping[str, Any]], thresholds: Thresholds
) -> bool:
    """The answer selector's first topic passes the answer checks on its own ranking."""
    if not answer_ranking:
        return False
    best, second = _best_two(answer_ranking)
    return (
        best >= thresholds.answer_min_confidence and best - second >= thresholds.answer_min_margin
    )


def intents_offered(selector_output: Mapping[str, Any]) -> list[str]:
    """The intents the chosen answer's buttons send ("/request_erasure" -> request_erasure)."""
    responses = (selector_output.get("response") or {}).get("responses") or [{}]
    buttons = responses[0].get("buttons") or []
    return [str(button.get("payload") or "").lstrip("/") for button in buttons]


def gate_decision(
    intent_ranking: Sequence[Mapping[str, Any]],
    answer_ranking: Sequence[Mapping[str, Any]],
    thresholds: Thresholds,
    text: str,
    answer_offers: Collection[str] = (),
) -> str | None:
    """None to act on the classifier's intent, ANSWER_THE_QUESTION to answer the FAQ reading of
    a request instead (when the chosen answer `answer_offers` that request), READ_AS_STATUS to
    look up an earlier request, HAND_OVER to put the customer through to a person, or the reason
    the bot should say it is unsure."""
    ranked = classifier_ranking(intent_ranking)
    worded = words_decision(ranked, text)
    if worded:
        return worded
    intent = str(ranked[0].get("name")) if ranked else ""
    reason = unsure_reason(intent_ranking, answer_ranking, thresholds) or (
        worded_as_whether_possible(intent, text)
    )
    if (
        reason in ASK_WHICH
        and intent in answer_offers
        and faq_reading_is_clear(answer_ranking, thresholds)
    ):
        return ANSWER_THE_QUESTION
    return reason


def _act_on(message: Message, ranking: Sequence[dict[str, Any]], name: str) -> None:
    """Make the classifier's reading `name` the message's intent, first in its ranking."""
    reading = next((r for r in ranking if r.get("name") == name), None)
    message.set("intent", reading or {"name": name, "confidence": 0.0}, add_to_output=True)
    ranked_first = sorted(ranking, key=lambda candidate: candidate.get("name") != name)
    message.set("intent_ranking", ranked_first, add_to_output=True)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class AnswerConfidenceGate(GraphComponent):
    """Predicts `nlu_fallback` when the answer or the request reading is unsure."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {key: 0.0 for key in THRESHOLD_KEYS}

    def __init__(self, config: Mapping[str, Any]) -> None:
        self._thresholds = Thresholds.from_config({**self.get_default_config(), **config})

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> AnswerConfidenceGate:
        return cls(config)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        Thresholds.from_config({**cls.get_default_config(), **config})

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = message.get("intent") or {}
            if intent.get("name") == DEFAULT_NLU_FALLBACK_INTENT_NAME:
                continue
            selector = (message.get("response_selector") or {}).get(FAQ_INTENT) or {}
            ranking = message.get("intent_ranking") or []
            decision = gate_decision(
                ranking,
                selector.get("ranking") or [],
                self._thresholds,
                str(message.get("text") or ""),
                intents_offered(selector),
            )
            if decision is None:
                continue
            if decision in WORDED_INTENT:
                # The reading the words replaced, for the logs and the dev reports.
                message.set(decision, intent.get("name"), add_to_output=True)
                _act_on(message, ranking, WORDED_INTENT[decision])
                continue
            if decision in (ANSWER_THE_QUESTION, WHETHER_POSSIBLE):
                message.set(REQUEST_READ, intent.get("name"), add_to_output=True)
            if decision == ANSWER_THE_QUESTION:
                _act_on(message, ranking, FAQ_INTENT)
                continue
            fallback = {
                "name": DEFAULT_NLU_FALLBACK_INTENT_NAME,
                "confidence": intent.get("confidence"),
            }
            message.set("intent", fallback, add_to_output=True)
            message.set("intent_ranking", [fallback, *ranking])
            message.set(UNSURE_REASON, decision, add_to_output=True)
        return messages
