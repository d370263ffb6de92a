"""Settings of the public site, read from the environment when asked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bot import settings_env as env_var
from bot.chat.limits import DEFAULT_MAX_MESSAGE_LENGTH, ChatLimits
from bot.contract import (
    CONVERSATION_RETENTION_VARIABLE,
    DEFAULT_CONVERSATION_RETENTION_DAYS,
    DEFAULT_TICKET_RETENTION_DAYS,
    TICKET_RETENTION_VARIABLE,
)
from bot.settings_env import SettingsError

DEFAULT_RASA_URL = "http://localhost:5005"
# The policy text and its sections: data/policy of the checkout, unless POLICY_DIR says where.
POLICY_DIR = Path(__file__).resolve().parents[2] / "data" / "policy"


class SiteSettingsError(SettingsError):
    """A site setting has a value the site cannot use."""


def _checked_rasa_url(value: str) -> str:
    url = value.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SiteSettingsError(
            f"RASA_URL must be an http(s) URL such as {DEFAULT_RASA_URL}, not {value!r}"
        )
    if parts.query or parts.fragment:
        raise SiteSettingsError(f"RASA_URL must not carry a query or fragment: {value!r}")
    return url


@dataclass(frozen=True)
class SiteSettings:
    """Where the widget finds Rasa, how long a message may be, where the policy text lives.

    `max_message_length` is the chat channel's own limit (CHAT_MAX_MESSAGE_LENGTH, read by the
    same helper), so the widget stops typing exactly where Rasa would stop reading.
    """

    rasa_url: str = DEFAULT_RASA_URL
    max_message_length: int = DEFAULT_MAX_MESSAGE_LENGTH
    policy_path: Path = POLICY_DIR / "privacy-policy.md"
    sections_path: Path = POLICY_DIR / "sections.yml"
    # Stated on the page; the help desk's purge deletes conversations after the same period.
    conversation_retention_days: int = DEFAULT_CONVERSATION_RETENTION_DAYS
    # Stated on the page too; the same purge trims closed tickets after this period.
    ticket_retention_days: int = DEFAULT_TICKET_RETENTION_DAYS

    def __post_init__(self) -> None:
        object.__setattr__(self, "rasa_url", _checked_rasa_url(self.rasa_url))
        if self.max_message_length < 1:
            raise SiteSettingsError(
                f"The chat's message length limit must be at least 1, not {self.max_message_length}"
            )

    @property
    def rasa_webhook_url(self) -> str:
        return f"{self.rasa_url}/webhooks/rest/webhook"

    @property
    def rasa_origin(self) -> str:
        parts = urlsplit(self.rasa_url)
        return f"{parts.scheme}://{parts.netloc}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SiteSettings:
        env = env_var.environment(environ)
        policy_dir = Path(env_var.text(env, "POLICY_DIR", str(POLICY_DIR)))
        return cls(
            rasa_url=env_var.location(env, "RASA_URL", DEFAULT_RASA_URL),
            max_message_length=ChatLimits.from_env(env).max_message_length,
            policy_path=policy_dir / "privacy-policy.md",
            sections_path=policy_dir / "sections.yml",
            conversation_retention_days=env_var.integer(
                env, CONVERSATION_RETENTION_VARIABLE, DEFAULT_CONVERSATION_RETENTION_DAYS, minimum=1
            ),
            ticket_retention_days=env_var.integer(
                env, TICKET_RETENTION_VARIABLE, DEFAULT_TICKET_RETENTION_DAYS, minimum=1
            ),
        )
