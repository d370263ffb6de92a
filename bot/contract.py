"""What the bot and the help desk must agree on, in one place both can import.

The action server (actions/) and the help desk (bot/helpdesk/) are two processes that talk over
the JSON API of docs/architecture.md. Every rule they share lives here: the request types and
their wording, the ticket statuses and what customers are told about them, the field limits,
the email address rule, the reference format, and the development service token.

Standard library only: the action server imports this module and nothing else of the help desk.
"""

from __future__ import annotations

import enum
import re

# The service token both sides use when HELPDESK_SERVICE_TOKEN is not set (local development).
DEVELOPMENT_SERVICE_TOKEN = "local-dev-service-token"
# The header Rasa sends to the action server (endpoints*.yml), holding ACTION_SERVER_TOKEN.
ACTION_TOKEN_HEADER = "X-Action-Token"


class RequestType(str, enum.Enum):
    """What a customer asks the Help Desk for (the `type` of a ticket)."""

    DISCLOSURE = "disclosure"
    CORRECTION = "correction"
    STOP_USE = "stop_use"
    ERASURE = "erasure"
    STOP_THIRD_PARTY_PROVISION = "stop_third_party_provision"
    INQUIRY = "inquiry"
    COMPLAINT = "complaint"


class Status(str, enum.Enum):
    """Where a ticket is in the Help Desk's workflow."""

    NEW = "new"
    IDENTITY_CHECK = "identity_check"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Origin(str, enum.Enum):
    """Where a ticket was opened: in the chat (by the bot) or in the staff console."""

    CHAT = "chat"
    CONSOLE = "console"


# How the bot names a request type inside a sentence ("Your erasure request ... is open").
REQUEST_TYPE_LABELS: dict[str, str] = {
    RequestType.DISCLOSURE.value: "disclosure",
    RequestType.CORRECTION.value: "correction",
    RequestType.STOP_USE.value: "stop-use",
    RequestType.ERASURE.value: "erasure",
    RequestType.STOP_THIRD_PARTY_PROVISION.value: "stop third-party provision",
    RequestType.INQUIRY.value: "inquiry",
    RequestType.COMPLAINT.value: "complaint",
}
# How the bot describes a request type when it shows the customer a summary.
REQUEST_TYPE_DESCRIPTIONS: dict[str, str] = {
    RequestType.DISCLOSURE.value: "Disclosure of the personal data CASIO holds about you",
    RequestType.CORRECTION.value: "Correction (modification, addition or deletion) of your data",
    RequestType.STOP_USE.value: "Stop using your personal data",
    RequestType.ERASURE.value: "Erasure of your personal data",
    RequestType.STOP_THIRD_PARTY_PROVISION.value: "Stop providing your data to third parties",
    RequestType.INQUIRY.value: "Inquiry to the Help Desk",
    RequestType.COMPLAINT.value: "Complaint to the Help Desk",
}
# How staff see a request type (console columns, notification emails).
REQUEST_TYPE_TITLES: dict[RequestType, str] = {
    RequestType.DISCLOSURE: "Disclosure",
    RequestType.CORRECTION: "Correction",
    RequestType.STOP_USE: "Stop use",
    RequestType.ERASURE: "Erasure",
    RequestType.STOP_THIRD_PARTY_PROVISION: "Stop third-party provision",
    RequestType.INQUIRY: "Inquiry",
    RequestType.COMPLAINT: "Complaint",
}

# What the customer is told about each status (the API's `status_label`, said by the bot).
STATUS_LABELS: dict[Status, str] = {
    Status.NEW: "We have received your request",
    Status.IDENTITY_CHECK: "We are verifying your identity",
    Status.IN_PROGRESS: "We are working on your request",
    Status.COMPLETED: "Your request has been completed",
    Status.REJECTED: "We could not carry out your request; we have written to you with the reasons",
    Status.WITHDRAWN: "Your request was withdrawn",
}
# In identity_check with a code emailed and not yet entered, or locked after wrong codes.
WAITING_FOR_EMAIL_VERIFICATION_LABEL = (
    "We are waiting for you to verify your email (with the code we emailed you)"
)
VERIFICATION_LOCKED_LABEL = (
    "Verification is locked after three wrong codes; please contact the Personal Information "
    "Protection Help Desk"
)
OPEN_STATUSES = frozenset({Status.NEW, Status.IDENTITY_CHECK, Status.IN_PROGRESS})
CLOSED_STATUSES = tuple(status.value for status in Status if status not in OPEN_STATUSES)

# Field limits of a ticket request, by the API's field names.
MAX_NAME_LENGTH = 200
MAX_EMAIL_LENGTH = 254
MAX_EMAIL_LOCAL_PART_LENGTH = 64
MAX_SERVICE_LENGTH = 200
MIN_DETAILS_LENGTH = 3  # what the bot asks for; the help desk only requires some text
MAX_DETAILS_LENGTH = 5000
MAX_FIELD_LENGTHS: dict[str, int] = {
    "requester_name": MAX_NAME_LENGTH,
    "email": MAX_EMAIL_LENGTH,
    "phone": 40,
    "membership_id": 64,
    "service": MAX_SERVICE_LENGTH,
    "details": MAX_DETAILS_LENGTH,
    "conversation_id": 200,
}
# The conversation excerpt sent with a chat ticket.
EXCERPT_SENDERS = ("customer", "bot", "staff")
# Chat conversations are deleted from the tracker store this many days after their last message
# (CONVERSATION_RETENTION_DAYS): the help desk's purge applies it, the site's page states it.
DEFAULT_CONVERSATION_RETENTION_DAYS = 30
CONVERSATION_RETENTION_VARIABLE = "CONVERSATION_RETENTION_DAYS"
# A closed ticket keeps its requester's details this many days after it was last changed
# (TICKET_RETENTION_DAYS); then the same purge keeps only its type, dates, status, reference and
# audit trail, the record that the request was handled. The site's page states it too.
DEFAULT_TICKET_RETENTION_DAYS = 365
TICKET_RETENTION_VARIABLE = "TICKET_RETENTION_DAYS"
# Slots holding what a customer told the bot about themselves: the tracker store keeps their
# values encrypted (bot/stores/), the tracker miner never writes them out (scripts/mine_tracker.py).
# Names of slots other teams may add (phone, membership id, the verification code) are listed
# ahead so they are covered from the day they appear.
PERSONAL_SLOTS = frozenset(
    {
        "requester_name", "email", "phone", "membership_id", "service", "details",
        "status_reference", "status_email", "verification_code",
    }
)  # fmt: skip

# Identity verification of a chat request by a code sent to the requester's email address.
VERIFICATION_CODE_DIGITS = 6
VERIFICATION_VALID_HOURS = 24
VERIFICATION_MAX_ATTEMPTS = 3
# A code as customers type one in the chat: "482913", "482 913", "482-913", "my code is 482913".
# Fixed width with digit look-arounds: linear time, and never part of a longer number.
VERIFICATION_CODE_IN_TEXT = re.compile(r"(?<!\d)(\d{3})[ -]?(\d{3})(?!\d)")


def find_verification_code(text: str | None) -> str | None:
    """The 6-digit code in a chat message (its digits only), or None when there is none."""
    match = VERIFICATION_CODE_IN_TEXT.search(text or "")
    return None if match is None else match.group(1) + match.group(2)


MAX_EXCERPT_MESSAGES = 50
MAX_EXCERPT_TEXT = 2000

# One address: a local part, an "@", and a domain with at least one dot and a 2+ letter ending.
# Linear time on any input (issue 16): a match may only start where a run of local-part
# characters starts (the lookbehind), and every repetition is bounded by the RFC 5321/1035 limits
# (local part 64, label 63, TLD 63), so each start position costs a bounded amount of work.
_LOCAL_CHARS = "A-Za-z0-9.!#$%&'*+/=?^_`{|}~-"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_PATTERN = re.compile(
    rf"(?<![{_LOCAL_CHARS}])[{_LOCAL_CHARS}]{{1,64}}"
    rf"@{_LABEL}(?:\.{_LABEL}){{0,126}}\.[A-Za-z]{{2,63}}(?![A-Za-z])"
)


def is_email(address: str) -> bool:
    """True when `address` is exactly one email address the Help Desk can write to."""
    if EMAIL_PATTERN.fullmatch(address) is None or len(address) > MAX_EMAIL_LENGTH:
        return False
    local = address.partition("@")[0]
    return (
        len(local) <= MAX_EMAIL_LOCAL_PART_LENGTH
        and ".." not in address
        and not local.startswith(".")
        and not local.endswith(".")
    )


# Ticket references look like PR-7KQ2-M9XD: no 0/O, 1/I/L, or U (fewer misreadings and
# accidental words), 30 symbols, 8 of them ~ 39 bits.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_PATTERN = re.compile(rf"^PR-[{REFERENCE_ALPHABET}]{{4}}-[{REFERENCE_ALPHABET}]{{4}}$")
# A reference as customers write one in a message: "PR 7KQ2 M9XD", "pr-7kq2-m9xd", "PR7KQ2M9XD".
REFERENCE_IN_TEXT = re.compile(r"\bPR[-\s]?([A-Z0-9]{4})[-\s]?([A-Z0-9]{4})\b", re.IGNORECASE)


def normalize_reference(text: str | None) -> str | None:
    """The reference a customer wrote in `text`, in canonical form (PR-XXXX-XXXX), or None."""
    if not text:
        return None
    match = REFERENCE_IN_TEXT.search(text)
    if match is None:
        return None
    return f"PR-{match.group(1).upper()}-{match.group(2).upper()}"


def parse_reference(text: str) -> str | None:
    """A reference given on its own (`pr 7kq2 m9xd`, `7KQ2M9XD`): canonical form, or None when
    it is not one the Help Desk could have issued."""
    compact = re.sub(r"[\s-]", "", text.strip().upper())
    if compact.startswith("PR"):
        compact = compact[2:]
    candidate = f"PR-{compact[:4]}-{compact[4:]}"
    return candidate if len(compact) == 8 and REFERENCE_PATTERN.match(candidate) else None
