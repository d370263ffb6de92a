"""Plain checks for what customers type into the forms. No Rasa imports: tested directly."""

from __future__ import annotations

import re

MAX_NAME_LENGTH = 200
MAX_EMAIL_LENGTH = 254
MAX_SERVICE_LENGTH = 200
MIN_DETAILS_LENGTH = 3
MAX_DETAILS_LENGTH = 5000

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
# Help desk references look like PR-7KQ2-M9XD. Fixed width, so linear time already.
REFERENCE_PATTERN = re.compile(r"\bPR[-\s]?([A-Z0-9]{4})[-\s]?([A-Z0-9]{4})\b", re.IGNORECASE)
SKIP_WORDS = frozenset(
    {
        "skip",
        "none",
        "no",
        "nope",
        "n/a",
        "na",
        "-",
        "nothing",
        "not sure",
        "no idea",
        "don't know",
        "dont know",
        "i don't know",
        "i dont know",
        "all",
        "all of them",
        "any",
        "no service",
        "not applicable",
    }
)
# Short answers that are clearly not a name ("yes", "ok").
NOT_NAMES = frozenset({"yes", "yeah", "yep", "ok", "okay", "sure", "hi", "hello", "hey"})


def normalize_email(text: str | None) -> str | None:
    """The one email address in `text`, lower-cased, or None when there is none or several."""
    if not text:
        return None
    found = {match.group(0).rstrip(".").lower() for match in EMAIL_PATTERN.finditer(text)}
    if len(found) != 1:
        return None
    email = found.pop()
    local, _, domain = email.partition("@")
    if (
        len(email) > MAX_EMAIL_LENGTH
        or ".." in email
        or local.startswith(".")
        or local.endswith(".")
    ):
        return None
    if not domain:
        return None
    return email


def normalize_reference(text: str | None) -> str | None:
    """A ticket reference in canonical form (PR-XXXX-XXXX), or None when `text` has none."""
    if not text:
        return None
    match = REFERENCE_PATTERN.search(text)
    if match is None:
        return None
    return f"PR-{match.group(1).upper()}-{match.group(2).upper()}"


def normalize_name(text: str | None) -> str | None:
    """A plausible full name with tidy spacing, or None."""
    if not text:
        return None
    name = " ".join(text.split())
    if not name or len(name) > MAX_NAME_LENGTH or name.startswith("/"):
        return None
    if "@" in name or not any(character.isalpha() for character in name):
        return None
    if any(character.isdigit() for character in name):
        return None
    if sum(character.isalpha() for character in name) < 2 or is_skip_answer(name):
        return None
    if name.lower().strip(" .!") in NOT_NAMES:
        return None
    return name


MAX_NAME_WORDS = 5


def name_answer(text: str | None) -> str | None:
    """A reply that is plainly just a name ("Max Mailer"), not a sentence or a question."""
    name = normalize_name(text)
    if name is None or "?" in name or len(name.split()) > MAX_NAME_WORDS:
        return None
    return name


def is_skip_answer(text: str | None) -> bool:
    """True when the customer declines to name a service ("skip", "none", "n/a", ...)."""
    if text is None:
        return False
    cleaned = " ".join(text.lower().replace("’", "'").split()).strip(" .!")
    return cleaned in SKIP_WORDS


def normalize_service(text: str | None) -> str | None:
    """The service or website named by the customer, or None when the answer is unusable."""
    if not text:
        return None
    service = " ".join(text.split())
    if not service or len(service) > MAX_SERVICE_LENGTH or service.startswith("/"):
        return None
    return service


def normalize_details(text: str | None) -> str | None:
    """The request details with surrounding space removed, or None when too short or too long."""
    if not text:
        return None
    details = text.strip()
    if details.startswith("/"):
        return None
    if not MIN_DETAILS_LENGTH <= len(details) <= MAX_DETAILS_LENGTH:
        return None
    return details
