"""Help desk settings, read from environment variables when asked, with working local defaults."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

from bot.contract import DEVELOPMENT_SERVICE_TOKEN

DEVELOPMENT_SECRET_KEY = "development-only-helpdesk-secret-key-change-me"
DEFAULT_DATABASE_URL = "sqlite:///var/helpdesk.db"

log = logging.getLogger(__name__)


class SettingsError(ValueError):
    """An environment variable has a value the help desk cannot use."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, not {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, not {raw!r}")


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
    # Customer status lookups: per client address and per reference, in a sliding window.
    status_limit_per_client: int = 30
    status_limit_per_reference: int = 10
    status_limit_window_seconds: float = 60.0
    # Failed console logins per username and client address.
    login_limit: int = 5
    login_limit_window_seconds: float = 300.0
    session_hours: int = 8

    @property
    def uses_development_secret(self) -> bool:
        return self.secret_key == DEVELOPMENT_SECRET_KEY

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        settings = cls(
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            service_token=env.get("HELPDESK_SERVICE_TOKEN") or cls.service_token,
            due_days=_int(env, "HELPDESK_DUE_DAYS", cls.due_days),
            secret_key=env.get("HELPDESK_SECRET_KEY") or DEVELOPMENT_SECRET_KEY,
            secure_cookies=_bool(env, "HELPDESK_SECURE_COOKIES", False),
            smtp_host=env.get("SMTP_HOST") or cls.smtp_host,
            smtp_port=_int(env, "SMTP_PORT", cls.smtp_port),
            mail_from=env.get("HELPDESK_MAIL_FROM") or cls.mail_from,
            mail_to=env.get("HELPDESK_MAIL_TO") or cls.mail_to,
        )
        if settings.uses_development_secret:
            log.warning(
                "HELPDESK_SECRET_KEY is not set: using the development key. "
                "Set it in production so sessions and CSRF tokens cannot be forged."
            )
        return settings
