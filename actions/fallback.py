"""Low-confidence fallback: offer the FAQ topics closest to what the customer wrote.

The rule for `nlu_fallback` first sends `utter_fallback_sorry` (a plain response, so the
customer gets an answer even when this server is down), then runs `action_suggest_topics`.
The action reads the ranking that NLU already computed for the message
(`tracker.latest_message`) and turns the best candidates into buttons.

A FAQ button's payload is the topic's canonical question: ordinary text that NLU classifies
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
MAX_SUGGESTIONS = 3
# Requests are offered only when NLU leaned towards them at least this much.
MIN_REQUEST_CONFIDENCE = 0.2


@dataclass(frozen=True)
class Suggestion:
    title: str
    payload: str

    def as_button(self) -> dict[str, str]:
        return {"title": self.title, "payload": self.payload}


def _faq(title: str, question: str) -> Suggestion:
    return Suggestion(title=title, payload=question)


# One entry per `faq/<topic>`: the button title and the canonical question sent when pressed.
FAQ_TOPICS: dict[str, Suggestion] = {
    "policy_purpose": _faq("Why this policy exists", "Why does CASIO have a privacy policy?"),
    "management_system": _faq(
        "Protection management system",
        "Does CASIO have a personal information protection management system?",
    ),
    "handling_principle": _faq(
        "How personal data is handled", "How does CASIO handle personal information?"
    ),
    "security_measures": _faq(
        "Security of my data", "How do you keep my personal information secure?"
    ),
    "compliance_laws": _faq("Compliance with laws", "Does CASIO comply with privacy laws?"),
    "individual_rights": _faq("My rights", "What rights do I have over my personal data?"),
    "queries_complaints": _faq(
        "Queries and complaints", "How do you deal with complaints about personal information?"
    ),
    "policy_dates_signer": _faq(
        "Policy dates and signer", "When was the privacy policy enacted and who signed it?"
    ),
    "applicable_scope": _faq("Who the policy covers", "Who does this privacy policy apply to?"),
    "provision_voluntary": _faq(
        "Do I have to give my data?", "Do I have to give you my personal information?"
    ),
    "jis_disclosure": _faq("JIS Q15001 requests", "What can I request under JIS Q15001?"),
    "membership_sites": _faq(
        "Data on membership sites", "Can I check my personal data on the membership website?"
    ),
    "help_desk_contact": _faq(
        "Contacting the Help Desk",
        "How do I contact the Personal Information Protection Help Desk?",
    ),
    "business_purposes": _faq(
        "Business purposes", "What business purposes do you use personal information for?"
    ),
    "use_customers": _faq(
        "How customer data is used", "What do you use my personal information for?"
    ),
    "use_business_partners": _faq(
        "Business partners' data", "How do you use personal data of business partners?"
    ),
    "use_shareholders": _faq(
        "Shareholders' data", "How do you use shareholders' personal information?"
    ),
    "use_job_applicants": _faq(
        "Job applicants' data", "How do you use the personal data of job applicants?"
    ),
    "use_outsourcing": _faq(
        "Data for outsourced work", "How do you use personal data received for outsourced work?"
    ),
    "use_other_purposes": _faq(
        "Use for other purposes", "Will you use my data for other purposes than those listed?"
    ),
    "third_party_sharing": _faq(
        "Sharing with third parties", "Do you share my personal information with third parties?"
    ),
    "third_party_legal": _faq(
        "Authorities and the law", "Do you give my data to the police or the government?"
    ),
    "third_party_emergency": _faq("Emergencies", "Would you share my data in an emergency?"),
    "third_party_contractors": _faq(
        "Contractors", "Do you give my data to contractors or subcontractors?"
    ),
    "third_party_merger": _faq(
        "Mergers", "What happens to my data if CASIO merges with another company?"
    ),
    "third_party_anonymous": _faq(
        "Statistical data", "Do you share anonymised or statistical data?"
    ),
    "joint_use_group": _faq("Group companies", "Do you share my data with CASIO group companies?"),
    "joint_use_manager": _faq(
        "Who manages jointly used data", "Who is responsible for managing jointly used data?"
    ),
    "browse_without_data": _faq(
        "Browsing without giving data",
        "Can I use your website without giving personal information?",
    ),
    "external_links": _faq("External links", "Are you responsible for websites you link to?"),
    "consent_by_input": _faq(
        "Agreeing to the policy",
        "Do I agree to the policy when I enter my information on the website?",
    ),
    "cookies_purpose": _faq("Cookies", "Do you use cookies and what for?"),
    "cookies_identify": _faq("Can cookies identify me?", "Can cookies identify me personally?"),
    "cookies_disable": _faq("Turning off cookies", "Can I turn off cookies?"),
    "cookies_leak": _faq("Cookie leaks", "Can cookies leak my data to other websites?"),
    "modify_data": _faq("Updating my data", "How can I update my personal information?"),
    "reregistration": _faq(
        "Re-registration",
        "What happens when I change my registration on a membership site?",
    ),
    "account_revocation": _faq(
        "Account revocation", "Can CASIO cancel my account without telling me?"
    ),
    "account_deletion": _faq(
        "Deleting registered data", "Will you delete my data when I stop using the service?"
    ),
    "law_and_disputes": _faq("Governing law and court", "Which law governs the privacy policy?"),
    "policy_changes": _faq("Policy changes", "Can the privacy policy change without notice?"),
    "separate_regulations": _faq(
        "Separate privacy rules", "What if there are separate privacy rules for a service?"
    ),
    "not_covered_retention": _faq(
        "How long data is kept", "How long do you keep my personal data?"
    ),
    "not_covered_international": _faq(
        "Where data is stored", "Do you transfer my data to other countries?"
    ),
    "not_covered_selling": _faq("Selling data", "Do you sell my personal data?"),
    "not_covered_breach": _faq("Data breaches", "Will you tell me if my data is breached?"),
    "not_covered_gdpr": _faq("GDPR and EU rights", "What rights do I have under the GDPR?"),
    "not_covered_ccpa": _faq(
        "California and US laws", "Does the policy cover my rights under the CCPA?"
    ),
    "not_covered_children": _faq(
        "Children's data", "Do you collect personal information from children?"
    ),
    "not_covered_ai_profiling": _faq(
        "AI and profiling", "Do you use my personal data to train AI?"
    ),
    "not_covered_analytics": _faq(
        "Analytics and trackers", "Do you use Google Analytics or other tracking tools?"
    ),
    "not_covered_regulator": _faq(
        "Complaining to a regulator", "Which authority can I complain to about my data?"
    ),
    "not_covered_identity_verification": _faq(
        "Identity checks", "How do you verify my identity when I make a request?"
    ),
    "not_covered_payment_cards": _faq(
        "Payment card details", "How do you protect my credit card details?"
    ),
    "not_covered_response_time": _faq(
        "How long requests take", "How long does it take to answer a privacy request?"
    ),
    "not_covered_fees": _faq("Fees for requests", "Do I have to pay for a request about my data?"),
    "not_covered_marketing_unsubscribe": _faq(
        "Marketing emails", "How do I stop receiving marketing emails?"
    ),
    "not_covered_representative": _faq(
        "Requests for someone else", "Can someone else make a request on my behalf?"
    ),
    "not_covered_dpo": _faq("Data protection officer", "Who is your data protection officer?"),
    "not_covered_portability": _faq(
        "Data portability", "Can I get my data in a machine-readable format?"
    ),
    "not_covered_certification": _faq(
        "Privacy certifications", "Does CASIO have a privacy certification?"
    ),
    "not_covered_help_desk_contact_details": _faq(
        "Help Desk phone and email", "What is the phone number or email of the Help Desk?"
    ),
    "not_covered_sensitive_data": _faq(
        "Health, location, biometrics",
        "Do you collect sensitive data like health or biometric information?",
    ),
}

# Requests the customer may have meant; their intents trigger the request flows directly.
REQUEST_SUGGESTIONS: dict[str, Suggestion] = {
    "request_disclosure": Suggestion("See the data you hold on me", "/request_disclosure"),
    "request_correction": Suggestion("Correct my data", "/request_correction"),
    "request_stop_use": Suggestion("Stop using my data", "/request_stop_use"),
    "request_erasure": Suggestion("Delete my data", "/request_erasure"),
    "request_stop_third_party_provision": Suggestion(
        "Stop giving my data to third parties", "/request_stop_third_party_provision"
    ),
    "request_complaint": Suggestion("Make a complaint", "/request_complaint"),
    "request_inquiry": Suggestion("Ask the Help Desk", "/request_inquiry"),
    "check_request_status": Suggestion("Check a request's status", "/check_request_status"),
}

# Offered when NLU gave no usable ranking at all.
DEFAULT_TOPICS = ("use_customers", "individual_rights", "cookies_purpose")
HELP_DESK = REQUEST_SUGGESTIONS["request_inquiry"]


def closest_faq_topics(
    latest_message: Mapping[str, Any], limit: int = MAX_SUGGESTIONS
) -> list[str]:
    """Known FAQ topics from the response selector's ranking, best first, without repeats."""
    selector = latest_message.get("response_selector") or {}
    ranking = (selector.get(RETRIEVAL_INTENT) or {}).get("ranking") or []
    topics: list[str] = []
    for candidate in ranking:
        key = str(candidate.get("intent_response_key") or "")
        intent, _, topic = key.partition("/")
        if intent == RETRIEVAL_INTENT and topic in FAQ_TOPICS and topic not in topics:
            topics.append(topic)
        if len(topics) >= limit:
            break
    return topics


def likely_request(latest_message: Mapping[str, Any]) -> Suggestion | None:
    """The request intent NLU ranked highest, if it is a plausible reading of the message."""
    for candidate in latest_message.get("intent_ranking") or []:
        name = candidate.get("name")
        if name in REQUEST_SUGGESTIONS:
            confidence = float(candidate.get("confidence") or 0.0)
            return REQUEST_SUGGESTIONS[name] if confidence >= MIN_REQUEST_CONFIDENCE else None
    return None


def suggestions_for(latest_message: Mapping[str, Any]) -> list[Suggestion]:
    """Buttons to offer: a likely request, then the closest FAQ topics, then the Help Desk."""
    chosen: list[Suggestion] = []
    request = likely_request(latest_message)
    if request is not None:
        chosen.append(request)
    topics = closest_faq_topics(latest_message, MAX_SUGGESTIONS - len(chosen))
    chosen.extend(FAQ_TOPICS[topic] for topic in topics)
    if not chosen:
        chosen.extend(FAQ_TOPICS[topic] for topic in DEFAULT_TOPICS)
    if HELP_DESK not in chosen:
        chosen.append(HELP_DESK)
    return chosen


def has_candidates(latest_message: Mapping[str, Any]) -> bool:
    return bool(closest_faq_topics(latest_message, 1)) or likely_request(latest_message) is not None


def response_for(latest_message: Mapping[str, Any]) -> str:
    """What to say above the buttons: which reading is unsure, or ask for other words."""
    if not has_candidates(latest_message):
        return "utter_ask_rephrase"
    if latest_message.get(UNSURE_REASON) == REQUEST_OR_QUESTION and likely_request(latest_message):
        return "utter_request_or_question"
    return "utter_unsure_topics"


class ActionSuggestTopics(Action):
    def name(self) -> str:
        return "action_suggest_topics"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[dict[str, Any]]:
        latest_message = tracker.latest_message or {}
        response = response_for(latest_message)
        buttons = [suggestion.as_button() for suggestion in suggestions_for(latest_message)]
        dispatcher.utter_message(response=response, buttons=buttons)
        return []
