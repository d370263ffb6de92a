"""Help desk settings for the action server, read from the environment when asked.

Nothing is read at import time: call `helpdesk_settings()` where the value is needed.
Every variable has a working local default (see docs/architecture.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

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


def _positive_float(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as error:
        raise ValueError(f"{name} must be a number of seconds, got {raw!r}") from error
    if value <= 0:
        raise ValueError(f"{name} must be greater than zero, got {raw!r}")
    return value


def _non_negative_int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as error:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from error
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {raw!r}")
    return value


def helpdesk_settings(environ: Mapping[str, str] | None = None) -> HelpDeskSettings:
    """The help desk settings from `environ` (the process environment by default)."""
    env = os.environ if environ is None else environ
    return HelpDeskSettings(
        url=(env.get("HELPDESK_URL", "").strip() or DEFAULT_URL).rstrip("/"),
        service_token=env.get("HELPDESK_SERVICE_TOKEN", "").strip() or DEFAULT_SERVICE_TOKEN,
        timeout_seconds=_positive_float(env, "HELPDESK_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS),
        retries=_non_negative_int(env, "HELPDESK_RETRIES", DEFAULT_RETRIES),
    )
