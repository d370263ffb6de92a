"""How much a customer may send in one chat message: one setting, shared by Rasa and the site.

Dependency-free on purpose: the Rasa channel (`bot.chat.channel`) refuses longer messages, and the
site (`bot.site`) writes the same number into the page so the widget stops typing at it. Read from
the environment when asked, never at import time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot import settings_env as env_var
from bot.settings_env import SettingsError

DEFAULT_MAX_MESSAGE_LENGTH = 2000
# A request body above this is refused (413) before it is parsed. Big enough that a message far
# over the length limit still gets the friendly reply: 100,000 emoji are 1.2 MB \u-escaped.
DEFAULT_MAX_REQUEST_BYTES = 2_097_152


class ChatLimitsError(SettingsError):
    """A chat limit in the environment is not a usable whole number."""


@dataclass(frozen=True)
class ChatLimits:
    """`max_message_length` in characters (after trimming), `max_request_bytes` per request."""

    max_message_length: int = DEFAULT_MAX_MESSAGE_LENGTH
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ChatLimits:
        env = env_var.environment(environ)
        try:
            return cls(
                max_message_length=env_var.integer(
                    env, "CHAT_MAX_MESSAGE_LENGTH", DEFAULT_MAX_MESSAGE_LENGTH, minimum=1
                ),
                max_request_bytes=env_var.integer(
                    env, "CHAT_MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST_BYTES, minimum=1
                ),
            )
        except SettingsError as error:
            raise ChatLimitsError(str(error)) from None
