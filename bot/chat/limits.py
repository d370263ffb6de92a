"""How much a customer may send in one chat message: one setting, shared by Rasa and the site.

Dependency-free on purpose: the Rasa channel (`bot.chat.channel`) refuses longer messages, and the
site (`bot.site`) writes the same number into the page so the widget stops typing at it. Read from
the environment when asked, never at import time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_MAX_MESSAGE_LENGTH = 2000
# A request body above this is refused (413) before it is parsed. Big enough that a message far
# over the length limit still gets the friendly reply: 100,000 emoji are 1.2 MB \u-escaped.
DEFAULT_MAX_REQUEST_BYTES = 2_097_152


class ChatLimitsError(ValueError):
    """A chat limit in the environment is not a usable whole number."""


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ChatLimitsError(f"{name} must be a whole number, not {raw!r}") from None
    if value < 1:
        raise ChatLimitsError(f"{name} must be at least 1, not {value}")
    return value


@dataclass(frozen=True)
class ChatLimits:
    """`max_message_length` in characters (after trimming), `max_request_bytes` per request."""

    max_message_length: int = DEFAULT_MAX_MESSAGE_LENGTH
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ChatLimits:
        env = os.environ if environ is None else environ
        return cls(
            max_message_length=_positive_int(
                env, "CHAT_MAX_MESSAGE_LENGTH", DEFAULT_MAX_MESSAGE_LENGTH
            ),
            max_request_bytes=_positive_int(
                env, "CHAT_MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST_BYTES
            ),
        )
