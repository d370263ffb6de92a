"""Low-confidence fallback: offer the FAQ topics closest to what the customer wrote.

The rule for `nlu_fallback` first sends `utter_fallback_sorry` (a plain response, so the
customer gets an answer even when this server is down), then runs `action_suggest_topics`.
The action reads the ranking that NLU already computed for the message
(`tracker.latest_message`) and turns the best candidates into buttons.

Button titles and questions live in domain.yml with the answers (`metadata.button` of each
`utter_faq/<topic>`, and `utter_request_choices`). A FAQ button's payload is the topic's canonical
question: ordinary text that NLU classifies
confidently (each canonical question is also a training example of its topic, which
tests/unit/actions/test_fallback.py checks), so pressing the button answers the topic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

RETRIEVAL_INTENT = "faq"
# Set by bot.nlu.answer_confidence_gate (not imported: the action server does not load Rasa NLU).
UNSURE_REASON = "unsure_reason"
REQUEST_OR_QUESTION = "request_or_question"
WHETHER_POSSIBLE = "whether_possible"  # "can I ...?" about a request: asked as a question
# Set by the gate on a request it did not act on because of how it was asked ("can I ...?",
# unsure or answered as a question): the request intent it was read as.
REQUEST_READ = "request_read"
MAX_SUGGESTIONS = 3
REQUEST_CHOICES = "utter_request_choices"
HELP_DESK_INTENT = "request_inquiry"
# Offered when NLU gave no usable ranking at all.
DEFAULT_TOPICS = ("use_customers", "individual_rights", "cookies_purpose")
# Requests are offered only when NLU leaned towards them at least this much.
MIN_REQUEST_CONFIDENCE = 0.2


@dataclass(frozen=True)
class Suggestion:
    title: str
    payload: str

    def as_button(self) -> dict[str, str]:
        return {"title": self.title, "payload": self.payload}


def _responses(domain: Mapping[str, Any]) -> Mapping[str, Any]:
    return domain.get("responses") or {}


def faq_suggestions(domain: Mapping[str, Any]) -> dict[str, Suggestion]:
    """One button per `faq/<topic>`: the title and canonical question kept with its answer.

    Each `utter_faq/<topic>` in domain.yml carries `metadata: {button: {title, question}}`; the
    question is sent when the button is pressed, and is a training example of its topic.
    """
    prefix = f"utter_{RETRIEVAL_INTENT}/"
    suggestions = {}
    for name, variants in _responses(domain).items():
        if not str(name).startswith(prefix) or not variants:
            continue
        button = (variants[0].get("metadata") or {}).get("button") or {}
        if button.get("title") and button.get("question"):
            suggestions[str(name)[len(prefix) :]] = Suggestion(button["title"], button["question"])
    return suggestions


def request_suggestions(domain: Mapping[str, Any]) -> dict[str, Suggestion]:
    """The request buttons of `utter_request_choices`, by the intent their payload sends."""
    variants = _responses(domain).get(REQUEST_CHOICES) or [{}]
    return {
        str(button["payload"]).lstrip("/"): Suggestion(button["title"], button["payload"])
        for button in variants[0].get("buttons") or []
    }


def faq_selection(latest_message: Mapping[str, Any]) -> Mapping[str, Any]:
    """What the answer selector chose for the message: its `response` and its `ranking`."""
    return (latest_message.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}


def closest_faq_topics(
    latest_message: Mapping[str, Any], known: Mapping[str, Suggestion], limit: int
) -> list[str]:
    """Known FAQ topics from the response selector's ranking, best first, without repeats."""
    ranking = faq_selection(latest_message).get("ranking") or []
    topics: list[str] = []
    for candidate in ranking:
        if len(topics) >= limit:
            break
        key = str(candidate.get("intent_response_key") or "")
        intent, _, topic = key.partition("/")
        if intent == RETRIEVAL_INTENT and topic in known and topic not in topics:
            topics.append(topic)
    return topics


def likely_request(
    latest_message: Mapping[str, Any], requests: Mapping[str, Suggestion]
) -> Suggestion | None:
    """The request intent NLU ranked highest, if it is a plausible reading of the message."""
    for candidate in latest_message.get("intent_ranking") or []:
        name = candidate.get("name")
        if name in requests:
            confidence = float(candidate.get("confidence") or 0.0)
            return requests[name] if confidence >= MIN_REQUEST_CONFIDENCE else None
    return None


@dataclass(frozen=True)
class Offer:
    """What the unsure path says above its buttons, and the buttons."""

    response: str
    suggestions: list[Suggestion]


def offer_for(latest_message: Mapping[str, Any], domain: Mapping[str, Any]) -> Offer:
    """A likely request, then the closest FAQ topics, then the Help Desk."""
    faqs = faq_suggestions(domain)
    requests = request_suggestions(domain)
    request = likely_request(latest_message, requests)
    chosen = [request] if request else []
    topics = closest_faq_topics(latest_message, faqs, MAX_SUGGESTIONS - len(chosen))
    chosen.extend(faqs[topic] for topic in topics)
    if not chosen:
        response = "utter_ask_rephrase"
        chosen.extend(faqs[topic] for topic in DEFAULT_TOPICS if topic in faqs)
    elif request and latest_message.get(UNSURE_REASON) in (REQUEST_OR_QUESTION, WHETHER_POSSIBLE):
        response = "utter_request_or_question"
    else:
        response = "utter_unsure_topics"
    help_desk = requests.get(HELP_DESK_INTENT)
    if help_desk and help_desk not in chosen:
        chosen.append(help_desk)
    return Offer(response, chosen)


class ActionSuggestTopics(Action):
    def name(self) -> str:
        return "action_suggest_topics"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[dict[str, Any]]:
        offer = offer_for(tracker.latest_message or {}, domain)
        buttons = [suggestion.as_button() for suggestion in offer.suggestions]
        dispatcher.utter_message(response=offer.response, buttons=buttons)
        return []
