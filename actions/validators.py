"""Plain checks for what customers type into the forms. No Rasa imports: tested directly."""

from __future__ import annotations

import re

# The field limits, the email pattern and the reference format are the help desk contract's.
from bot.contract import (
    EMAIL_PATTERN,
    MAX_DETAILS_LENGTH,
    MAX_EMAIL_LENGTH,  # noqa: F401 - re-exported: the bot's limits are the contract's
    MAX_NAME_LENGTH,
    MAX_SERVICE_LENGTH,
    MIN_DETAILS_LENGTH,
    REFERENCE_IN_TEXT,
    is_email,
)
from bot.contract import normalize_reference as normalize_reference

REFERENCE_PATTERN = REFERENCE_IN_TEXT

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
    """The one email address in `text`, lower-cased, or None when there is none or several.

    What counts as an address the Help Desk can write to is the contract's rule (`is_email`).
    """
    if not text:
        return None
    found = {match.group(0).rstrip(".").lower() for match in EMAIL_PATTERN.finditer(text)}
    if len(found) != 1:
        return None
    email = found.pop()
    return email if is_email(email) else None


# "my name is Jane Doe" -> "Jane Doe"
_NAME_INTRODUCTION = re.compile(
    r"^(?:(?:hi|hello|hey)[,!.]?\s+)?(?:my name is|my name's|name is|name:|i am|i'm|im|it's|it is|"
    r"this is|call me)\s+",
    re.IGNORECASE,
)
MAX_NAME_WORDS = 6
# Words that make a reply a sentence or a question rather than a name. Name particles
# ("de", "van", "bin", "al") are not here.
NOT_NAME_WORDS = frozenset(
    """i me my mine you your we our us it its is are am was were be been do does did can could
    would should will shall may might must want wanna need like please what whats why how when
    where who whom which the a an to of for with without about from into on in at by this that
    these those there here not no yes yeah ok okay just actually really also so but or if then
    than data information info personal details request requests delete deletion correct
    correction stop cancel help bot robot human person agent weather thanks thank hello hi hey
    email address name privacy policy tomorrow today""".split()
)


def normalize_name(text: str | None) -> str | None:
    """A plausible full name with tidy spacing ("my name is" removed), or None.

    A name has letters, no digits, "@", "?" or "/", at most six words, and none of the words
    that mark a sentence or a question ("are you a bot", "what's the weather tomorrow",
    "actually I just want to correct my address").
    """
    if not text:
        return None
    name = _NAME_INTRODUCTION.sub("", " ".join(text.split())).strip(" .!,")
    if not name or len(name) > MAX_NAME_LENGTH or name.startswith("/"):
        return None
    if any(character in name for character in '@?/:;<>{}[]()=+*#%&|\\"_'):
        return None
    if not any(character.isalpha() for character in name):
        return None
    if any(character.isdigit() for character in name):
        return None
    if sum(character.isalpha() for character in name) < 2 or is_skip_answer(name):
        return None
    if name.lower() in NOT_NAMES:
        return None
    words = name.split()
    if len(words) > MAX_NAME_WORDS:
        return None
    if any(word.lower().strip(".,'’-") in NOT_NAME_WORDS for word in words):
        return None
    if any(
        word.lower().replace("’", "'").endswith(("'s", "n't", "'re", "'m", "'ll")) for word in words
    ):
        return None
    return name


def name_answer(text: str | None) -> str | None:
    """A reply that is plainly just a name ("Max Mailer"), whatever intent NLU gave it."""
    return normalize_name(text)


# What customers type to stop a form. Anything longer ("stop sending me emails") is an answer.
EXPLICIT_CANCEL = frozenset(
    {
        "stop", "stop it", "stop this", "stop that", "stop please", "please stop", "stop here",
        "stop the request", "cancel", "cancel it", "cancel this", "cancel that", "cancel please",
        "please cancel", "cancel the request", "cancel my request", "cancel the form",
        "never mind", "nevermind", "forget it", "forget about it", "quit", "exit", "abort",
        "no stop", "i changed my mind", "i've changed my mind", "don't send it",
        "do not send it", "let's stop", "let's stop here", "i want to stop", "i want to cancel",
        "start over", "no thanks, cancel",
    }
)  # fmt: skip


def is_explicit_cancel(text: str | None) -> bool:
    """True when the whole message asks to stop the form ("cancel", "never mind", ...)."""
    if not text:
        return False
    return " ".join(text.lower().replace("’", "'").split()).strip(" .!") in EXPLICIT_CANCEL


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
