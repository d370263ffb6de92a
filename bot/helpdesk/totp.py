"""The optional TOTP second factor for staff (RFC 6238, 30-second steps, 6 digits, via pyotp).

A TOTP check needs the secret itself, so it cannot be hashed like a password: it is stored
encrypted (Fernet) under a key derived from HELPDESK_SECRET_KEY with HKDF. A database dump alone
does not give the secrets; a new HELPDESK_SECRET_KEY means enrolling again.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import datetime

import pyotp
from cryptography.fernet import InvalidToken

from bot.fernet_keys import fernet_for

ISSUER = "Privacy Help Desk"
ALLOWED_DRIFT_STEPS = 1  # one 30-second step either side of the server's clock
CODE = re.compile(r"^[0-9]{6}$")


class SecretUnreadable(Exception):
    """The stored secret does not decrypt under this key (HELPDESK_SECRET_KEY changed)."""


@dataclass(frozen=True)
class Enrolment:
    secret: str  # base32, shown once
    uri: str  # otpauth://totp/..., for a QR code or an authenticator app's "enter a link"


class SecretBox:
    """Encrypts and decrypts TOTP secrets with a key derived from the help desk's secret key."""

    def __init__(self, secret_key: str) -> None:
        self._fernet = fernet_for(secret_key, b"helpdesk staff totp secret")

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except (InvalidToken, ValueError) as error:
            raise SecretUnreadable() from error


def new_enrolment(username: str) -> Enrolment:
    secret = pyotp.random_base32()
    uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)
    return Enrolment(secret, uri)


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code `code` is (the current one, or one step either side), or None.
    The caller must still refuse a step already used."""
    code = code.strip().replace(" ", "")
    if not CODE.match(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    found = None
    for offset in range(-ALLOWED_DRIFT_STEPS, ALLOWED_DRIFT_STEPS + 1):
        expected = totp.generate_otp(current + offset)
        if hmac.compare_digest(expected.encode(), code.encode()):
            found = current + offset  # no early exit: the same work whichever step matches
    return found
