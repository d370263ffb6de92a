"""Help desk settings, read from environment variables when asked, with working local defaults
(development only: elsewhere secrets and addresses must be set)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from bot import settings_env as env_var
from bot.contract import (
    CONVERSATION_RETENTION_VARIABLE,
    DEFAULT_CONVERSATION_RETENTION_DAYS,
    DEFAULT_TICKET_RETENTION_DAYS,
    DEVELOPMENT_SERVICE_TOKEN,
    TICKET_RETENTION_VARIABLE,
)
from bot.helpdesk.conversations import DEFAULT_TRACKER_STORE_URL
from bot.settings_env import SettingsError as SettingsError

DEVELOPMENT_SECRET_KEY = "development-only-helpdesk-secret-key-change-me"
DEFAULT_DATABASE_URL = "sqlite:///var/helpdesk.db"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    """Everything the help desk needs to know about its surroundings."""

    database_url: str = DEFAULT_DATABASE_URL
    service_token: str = DEVELOPMENT_SERVICE_TOKEN
    due_days: int = 14
    secret_key: str = DEVELOPMENT_SECRET_KEY
    secure_cookies: bool = False
    smtp_host: str = "localhost"
    smtp_port: int = 1025
    mail_from: str = "privacy-assistant@localhost"
    mail_to: str = "helpdesk@localhost"
    mail_timeout_seconds: float = 10.0
    # Customer status lookups: per conversation and per customer email, in a moving window.
    status_limit_per_conversation: int = 10
    status_limit_per_email: int = 10
    status_limit_window_seconds: float = 60.0
    # New tickets through the API per conversation and per customer email, per day.
    tickets_per_conversation_per_day: int = 3
    tickets_per_email_per_day: int = 5
    # Login attempts per client address and username, and per client address (any username).
    login_limit: int = 5
    login_limit_per_client: int = 20
    login_limit_window_seconds: float = 300.0
    session_hours: int = 8  # absolute lifetime
    session_idle_minutes: int = 30
    # Rate limits in Redis (shared by every worker) when set, in memory otherwise.
    redis_url: str | None = None
    # Rasa's SQL tracker store, where the chat's conversations are (retention and erasure).
    tracker_store_url: str = DEFAULT_TRACKER_STORE_URL
    # Conversations are deleted this many days after their last message.
    conversation_retention_days: int = DEFAULT_CONVERSATION_RETENTION_DAYS
    # Closed tickets lose the requester's details this many days after their last change.
    ticket_retention_days: int = DEFAULT_TICKET_RETENTION_DAYS
    # Where customers reach the site (the verification link in the code email).
    public_url: str = "http://localhost:8000"
    # Verification codes tried per client address and ticket, in a sliding window.
    verification_limit: int = 10
    verification_limit_window_seconds: float = 600.0

    @property
    def uses_development_secret(self) -> bool:
        return self.secret_key == DEVELOPMENT_SECRET_KEY

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = env_var.environment(environ)
        settings = cls(
            database_url=env_var.location(env, "DATABASE_URL", cls.database_url),
            service_token=env_var.secret(env, "HELPDESK_SERVICE_TOKEN", cls.service_token),
            due_days=env_var.integer(env, "HELPDESK_DUE_DAYS", cls.due_days, minimum=1),
            secret_key=env_var.secret(env, "HELPDESK_SECRET_KEY", cls.secret_key),
            secure_cookies=env_var.boolean(env, "HELPDESK_SECURE_COOKIES", cls.secure_cookies),
            smtp_host=env_var.location(env, "SMTP_HOST", cls.smtp_host),
            smtp_port=env_var.integer(env, "SMTP_PORT", cls.smtp_port, minimum=1),
            mail_from=env_var.text(env, "HELPDESK_MAIL_FROM", cls.mail_from),
            mail_to=env_var.location(env, "HELPDESK_MAIL_TO", cls.mail_to),
            status_limit_per_conversation=env_var.integer(
                env, "HELPDESK_STATUS_LIMIT_PER_CONVERSATION", 10, minimum=1
            ),
            status_limit_per_email=env_var.integer(
                env, "HELPDESK_STATUS_LIMIT_PER_EMAIL", 10, minimum=1
            ),
            tickets_per_conversation_per_day=env_var.integer(
                env, "HELPDESK_TICKETS_PER_CONVERSATION_PER_DAY", 3, minimum=1
            ),
            tickets_per_email_per_day=env_var.integer(
                env, "HELPDESK_TICKETS_PER_EMAIL_PER_DAY", 5, minimum=1
            ),
            session_idle_minutes=env_var.integer(
                env, "HELPDESK_SESSION_IDLE_MINUTES", 30, minimum=1
            ),
            redis_url=env_var.text(env, "REDIS_URL", "") or None,
            tracker_store_url=env_var.location(env, "TRACKER_STORE_URL", cls.tracker_store_url),
            public_url=env_var.location(env, "HELPDESK_PUBLIC_URL", cls.public_url).rstrip("/"),
            conversation_retention_days=env_var.integer(
                env, CONVERSATION_RETENTION_VARIABLE, cls.conversation_retention_days, minimum=1
            ),
            ticket_retention_days=env_var.integer(
                env, TICKET_RETENTION_VARIABLE, cls.ticket_retention_days, minimum=1
            ),
        )
        if not env_var.is_development(env) and not settings.secure_cookies:
            raise SettingsError(
                f"HELPDESK_SECURE_COOKIES must be true: {env_var.ENVIRONMENT_VARIABLE} is not "
                f"'{env_var.DEVELOPMENT}', so session cookies must only travel over HTTPS"
            )
        if settings.uses_development_secret:
            log.warning(
                "HELPDESK_SECRET_KEY is not set: using the development key. "
                "Set it in production so sessions and CSRF tokens cannot be forged."
            )
        return settings
