"""CSRF tokens: per-session tokens for staff forms, and signed tokens for the login form."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Any

LOGIN_NONCE_COOKIE = "helpdesk_login_nonce"


class LoginFormExpired(Exception):
    """The login form's signed token is missing or does not match its cookie."""


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def login_form_token(secret_key: str, nonce: str) -> str:
    """The login form's token is bound to a random cookie and signed with the secret key."""
    return hmac.new(secret_key.encode(), f"login:{nonce}".encode(), hashlib.sha256).hexdigest()


def login_token_matches(secret_key: str, nonce: str | None, submitted: str | None) -> bool:
    if not nonce or not submitted:
        return False
    return hmac.compare_digest(login_form_token(secret_key, nonce), submitted)


def session_token_matches(expected: str, submitted: str | None) -> bool:
    return bool(submitted) and hmac.compare_digest(expected, str(submitted))


def check_login_form(secret_key: str, nonce: str | None, form: Mapping[str, Any]) -> None:
    """Raises LoginFormExpired unless the form carries the token signed for this cookie."""
    if not login_token_matches(secret_key, nonce, form.get("csrf_token")):
        raise LoginFormExpired()
