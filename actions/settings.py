"""Help desk settings for the action server, read from the environment when asked.

Nothing is read at import time: call `helpdesk_settings()` where the value is needed.
Every variable has a working local default (see docs/architecture.md); the parsing is
`bot.settings_env`, shared with the help desk and the site.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from bot import settings_env as env_var
from bot.contract import DEVELOPMENT_SERVICE_TOKEN

DEFAULT_URL = "http://localhost:8000"
DEFAULT_SERVICE_TOKEN = DEVELOPMENT_SERVICE_TOKEN
DEFAULT_TIMEOUT_SECONDS = 3.0
DEFAULT_RETRIES = 2


@dataclass(frozen=True)
class HelpDeskSettings:
    url: str
    service_token: str
    timeout_seconds: float
    retries: int


def helpdesk_settings(environ: Mapping[str, str] | None = None) -> HelpDeskSettings:
    """The help desk settings from `environ` (the process environment by default)."""
    env = env_var.environment(environ)
    return HelpDeskSettings(
        url=env_var.location(env, "HELPDESK_URL", DEFAULT_URL).rstrip("/"),
        service_token=env_var.secret(env, "HELPDESK_SERVICE_TOKEN", DEFAULT_SERVICE_TOKEN),
        timeout_seconds=env_var.positive_number(
            env, "HELPDESK_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS
        ),
        retries=env_var.integer(env, "HELPDESK_RETRIES", DEFAULT_RETRIES, minimum=0),
    )


@dataclass(frozen=True)
class ActionServerSettings:
    """What the action server itself needs: the secret Rasa must send (ACTION_SERVER_TOKEN)."""

    action_token: str


def action_server_settings(environ: Mapping[str, str] | None = None) -> ActionServerSettings:
    """Required in every configuration (no default): without it nobody could call the server,
    and with a public default anybody could. Outside development it must be a long secret."""
    env = env_var.environment(environ)
    return ActionServerSettings(action_token=env_var.secret(env, "ACTION_SERVER_TOKEN", None))
