"""Settings from environment variables, parsed one way for every process.

The action server, the help desk and the site each describe their settings in a small
dataclass and fill it with these readers, when asked (never at import time). A blank value
means "not set" and gives the local default; a value that cannot be used raises SettingsError
naming the variable, so a misconfigured process stops at startup with a sentence that says
what to fix. Standard library only: the action server imports this module too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


class SettingsError(ValueError):
    """An environment variable has a value the program cannot use (the message names it)."""


def environment(environ: Mapping[str, str] | None = None) -> Mapping[str, str]:
    """`environ` if given (tests), else the process environment as it is now."""
    return os.environ if environ is None else environ


def _raw(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    return value.strip() if value is not None and value.strip() else None


def text(env: Mapping[str, str], name: str, default: str) -> str:
    """The value without surrounding spaces, or `default` when unset or blank."""
    value = _raw(env, name)
    return default if value is None else value


def integer(env: Mapping[str, str], name: str, default: int, minimum: int | None = None) -> int:
    """A whole number, at least `minimum` if given."""
    raw = _raw(env, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, not {value}")
    return value


def positive_number(env: Mapping[str, str], name: str, default: float) -> float:
    """A number greater than zero (seconds, for instance)."""
    raw = _raw(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {raw!r}") from None
    if not value > 0:
        raise SettingsError(f"{name} must be greater than zero, not {raw!r}")
    return value


def boolean(env: Mapping[str, str], name: str, default: bool) -> bool:
    """true/false, yes/no, on/off or 1/0, in any case."""
    raw = _raw(env, name)
    if raw is None:
        return default
    if raw.lower() in TRUE_WORDS:
        return True
    if raw.lower() in FALSE_WORDS:
        return False
    raise SettingsError(f"{name} must be true or false, not {raw!r}")


# --- secrets: fail closed outside development ---------------------------------------------------

ENVIRONMENT_VARIABLE = "HELPDESK_ENV"
DEVELOPMENT = "development"
# 32 random bytes as URL-safe base64 (secrets.token_urlsafe(32)) are 43 characters.
MIN_SECRET_LENGTH = 43


def is_development(env: Mapping[str, str]) -> bool:
    """Only `HELPDESK_ENV=development` (set by `make run` and the tests) allows local defaults."""
    return (_raw(env, ENVIRONMENT_VARIABLE) or "").lower() == DEVELOPMENT


def location(env: Mapping[str, str], name: str, development_default: str) -> str:
    """Where something is (a database, a server, a public address). In development: the value,
    else this machine's `development_default`. Anywhere else it must be set: a local default
    there would quietly keep tickets in a stray SQLite file or send mail nowhere."""
    value = _raw(env, name)
    if value is not None:
        return value
    if is_development(env):
        return development_default
    raise SettingsError(
        f"{name} is not set: {ENVIRONMENT_VARIABLE} is not '{DEVELOPMENT}', so the local "
        f"default {development_default!r} is not used (docs/deploy.md lists what to set)"
    )


def secret(env: Mapping[str, str], name: str, development_default: str | None) -> str:
    """A shared secret. In development: the value, else `development_default` (if any).
    Anywhere else it must be set, differ from the public development value and be at least
    MIN_SECRET_LENGTH characters; otherwise SettingsError names the variable."""
    value = _raw(env, name)
    if is_development(env):
        if value is not None:
            return value
        if development_default is not None:
            return development_default
        raise SettingsError(f"{name} must be set (`helpdesk gen-secrets` prints a fresh value)")
    hint = (
        f"{ENVIRONMENT_VARIABLE} is not '{DEVELOPMENT}', so {name} must be set to at least "
        f"{MIN_SECRET_LENGTH} random characters (`helpdesk gen-secrets` prints fresh values)"
    )
    if value is None:
        raise SettingsError(f"{name} is not set: {hint}")
    if value == development_default:
        raise SettingsError(f"{name} is the public development value: {hint}")
    if len(value) < MIN_SECRET_LENGTH:
        raise SettingsError(f"{name} is too short ({len(value)} characters): {hint}")
    return value
